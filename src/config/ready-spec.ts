/**
 * Readiness (--ready): how the supervisor learns that a COMMAND is up, beyond "it has exec'd".
 *   tcp:[HOST:]PORT  the port accepts a connection (tried with a growing pause: there is no
 *                    event for "someone listens now")
 *   fd:N             s6 style: the COMMAND writes a newline on its fd N (a pipe we read)
 *   notify           sd_notify READY=1 on NOTIFY_SOCKET (see notify.ts)
 * This module is the option's syntax only (pure, no I/O): the CLI validates --ready with it on
 * every command, so it must not load node:net; the watches are in ready.ts.
 */
import { MAX_FDS } from '../sys/limits.js';

export type ReadySpec =
  | { kind: 'notify' }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'fd'; fd: number };

/** `notify`, `tcp:8080`, `tcp:127.0.0.1:8080`, `tcp:[::1]:8080`, `fd:3` (3 to MAX_FDS-1: the
 *  child's fds are 0..MAX_FDS-1); else why not. */
export function parseReady(text: string): ReadySpec | string {
  if (text === 'notify') return { kind: 'notify' };
  const fd = /^fd:([0-9]{1,2})$/.exec(text);
  if (fd) {
    const n = Number(fd[1]);
    return n >= 3 && n < MAX_FDS
      ? { kind: 'fd', fd: n }
      : `the fd must be 3 to ${MAX_FDS - 1} (0-2 are stdin, stdout, stderr)`;
  }
  const tcp = /^tcp:(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):)?([0-9]{1,5})$/.exec(text);
  if (tcp) {
    const port = Number(tcp[2]);
    if (port < 1 || port > 65535) return 'the port must be 1 to 65535';
    return { kind: 'tcp', host: (tcp[1] ?? 'localhost').replace(/^\[|\]$/g, ''), port };
  }
  return 'use notify, tcp:[HOST:]PORT or fd:N';
}

export function describeReady(ready: ReadySpec): string {
  return ready.kind === 'notify'
    ? 'notify'
    : ready.kind === 'fd'
      ? `fd:${ready.fd}`
      : `tcp:${ready.host.includes(':') ? `[${ready.host}]` : ready.host}:${ready.port}`;
}
