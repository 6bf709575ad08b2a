/**
 * --listen ADDR: the sockets the supervisor holds for the service's life and hands to every
 * COMMAND as fds 3, 4, … (sd_listen_fds(3)). This module is the syntax only (pure, no I/O):
 *   [NAME=]tcp:[HOST:]PORT   HOST an IPv4 address or an IPv6 one in brackets; none: every
 *                            address, IPv4 and IPv6 (systemd's ListenStream=PORT)
 *   [NAME=]unix:PATH         a stream socket at PATH (made absolute by the caller)
 */

export type ListenAddr =
  | { name: string | null; kind: 'tcp'; host: string | null; port: number }
  | { name: string | null; kind: 'unix'; path: string };

/** sd_listen_fds_with_names(3) says "unknown" for an fd without a name; we name them the same,
 *  so a program sees the same under daemonkit and under a unit that does not name it. */
export const UNNAMED = 'unknown';

/** systemd's fdname_is_valid, less '=' (ours separates the name): printable ASCII, no ':'. */
const NAME = /^[!-9;<>-~]{1,255}$/;
const IPV4 =
  /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$/;

/** An IPv6 address as the URL parser takes it between brackets (no zone: it takes none). */
function isIPv6(text: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(':')) return false;
  try {
    return new URL(`http://[${text}]/`).hostname !== '';
  } catch {
    return false;
  }
}

/** One ADDR, or why it is not one (a relative unix: path is made absolute by resolve.ts). */
export function parseListen(text: string): ListenAddr | string {
  const m = /^(?:([^=:]*)=)?(tcp|unix):(.*)$/s.exec(text);
  if (!m) return 'use tcp:[HOST:]PORT or unix:PATH, optionally NAME= first';
  const [, rawName, kind, rest] = m as unknown as [string, string | undefined, string, string];
  if (rawName !== undefined && !NAME.test(rawName))
    return `the name '${rawName}' must be 1 to 255 printable characters, without ':', '=' or blanks`;
  const name = rawName ?? null;
  if (kind === 'unix') {
    if (rest === '' || rest.includes('\0') || rest.includes('\n')) return 'unix: needs a path';
    if (rest.endsWith('/')) return 'unix: needs the path of a socket, not of a directory';
    const why = socketPathProblem(rest);
    return why ?? { name, kind: 'unix', path: rest };
  }
  const t = /^(?:(\[[^\]]*\]|[^:[\]]*):)?([0-9]{1,5})$/.exec(rest);
  if (!t) return 'use tcp:PORT, tcp:HOST:PORT or tcp:[IPV6]:PORT';
  const port = Number(t[2]);
  if (port < 1 || port > 65535) return 'the port must be 1 to 65535';
  const hostText = t[1];
  if (hostText === undefined) return { name, kind: 'tcp', host: null, port };
  const bracketed = hostText.startsWith('[');
  const host = bracketed ? hostText.slice(1, -1) : hostText;
  if (bracketed ? !isIPv6(host) : !IPV4.test(host))
    return `the host '${hostText}' must be an IP address (an IPv6 one in brackets, [::1]), not a name`;
  return { name, kind: 'tcp', host, port };
}

/** sockaddr_un's sun_path holds 108 bytes with the NUL. */
export const socketPathProblem = (path: string): string | null =>
  Buffer.byteLength(path) > 107
    ? `the path ${path} is too long for a socket (at most 107 bytes)`
    : null;

/** The ADDR as given (canonical: a unix path absolute): parseListen(formatListen(a)) is a. */
export function formatListen(addr: ListenAddr): string {
  const name = addr.name === null ? '' : `${addr.name}=`;
  if (addr.kind === 'unix') return `${name}unix:${addr.path}`;
  const host =
    addr.host === null ? '' : addr.host.includes(':') ? `[${addr.host}]:` : `${addr.host}:`;
  return `${name}tcp:${host}${addr.port}`;
}

/** The address alone, for messages: `tcp:127.0.0.1:80`, `unix:/run/app.sock`. */
export const describeListen = (addr: ListenAddr): string => formatListen({ ...addr, name: null });

/** sd_listen_fds(3)'s variables for these sockets at fds 3, 4, …; LISTEN_PID is the COMMAND's
 *  own pid, written in by the forked child before exec (native/listen.c) over LISTEN_PID_SLOT. */
export const LISTEN_PID_SLOT = '@@@@@@@@@@';
export function listenEnv(addrs: readonly ListenAddr[]): Record<string, string> {
  if (addrs.length === 0) return {};
  return {
    LISTEN_FDS: String(addrs.length),
    LISTEN_PID: LISTEN_PID_SLOT,
    LISTEN_FDNAMES: addrs.map((a) => a.name ?? UNNAMED).join(':'),
  };
}

/** --listen-mode: an octal mode for unix: sockets (systemd's SocketMode=, default 0666). */
export const DEFAULT_LISTEN_MODE = 0o666;
export function parseListenMode(text: string): number | string {
  return /^0?[0-7]{3}$/.test(text)
    ? Number.parseInt(text, 8)
    : 'use an octal mode such as 0660 or 600';
}
