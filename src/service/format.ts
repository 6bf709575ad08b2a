/** How daemonkit says things (pure): durations, sizes, exits, status lines — for the CLI and the
 *  library's main(). */
import type { CommandStatus, ServiceStatus } from './status.js';
import type { ExitRecord } from './state.js';

/**
 * What a terminal must never be handed raw: C0 controls (ESC starts colour, clear-screen and
 * title sequences, CR overwrites a line, LF forges one), DEL, C1 controls (U+0080–U+009F: 0x9B is
 * an 8-bit CSI to some terminals), the line and paragraph separators, bidirectional overrides
 * (they reorder what is shown), and lone UTF-16 surrogates (text that was not valid UTF-8).
 */
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const hex = (c: string, digits: number): string =>
  c.charCodeAt(0).toString(16).padStart(digits, '0');

/**
 * Text that may have come from a service (its STATUS=, its stderr, its command line, a reason it
 * gave, a file name), made safe to print: every character above as an escape — `\n`, `\r`,
 * `\t`, `\x1b`, `\x7f`, `\u009b`, `\u2028`, `\ud800` — the rest as it is. The one function
 * every CLI line goes through. (Bytes that were not valid UTF-8 were decoded as U+FFFD.)
 */
export function terminalSafe(text: string): string {
  return text.replace(
    UNSAFE,
    (c) => NAMED[c] ?? (c.charCodeAt(0) < 0x80 ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`),
  );
}

/** JSON for a terminal: JSON.stringify (which escapes C0 controls and lone surrogates), with DEL,
 *  C1 controls, U+2028/2029 and bidirectional overrides escaped too (`\u009b`): the same value. */
export function terminalJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069]/g,
    (c) => `\\u${hex(c, 4)}`,
  );
}

export function formatDuration(ms: number): string {
  // Short runs to a tenth of a second (a crash after 885 ms is "0.9s", not "0s"), the shortest in
  // ms.
  if (ms < 100) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 10_000) return `${(Math.round(ms / 100) / 10).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  // 1023.96 KiB would print as "1024.0 KiB": move up once the rounded figure reaches 1024.
  while (value >= 1023.95 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

export function formatExit(exit: ExitRecord): string {
  const how = exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const when = new Date(exit.at)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return `${how}${exit.byStop ? ' (stopped)' : ''} at ${when} after ${formatDuration(exit.uptimeMs)}`;
}

/** How an exit went and how long the run lasted, without its date: "exited with code 2 after
 *  0.9s". */
export function exitInShort(exit: {
  code: number | null;
  signal: string | null;
  uptimeMs: number;
}): string {
  return `${exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`} after ${formatDuration(exit.uptimeMs)}`;
}

/** The one-line status: name, pids, the COMMAND's uptime, memory and CPU; or why it is not
 *  running. */
export function statusLine(s: ServiceStatus, now = Date.now()): string {
  if (s.running && s.state !== 'unknown') {
    // No pid while a start is still launching (its daemon not named yet).
    const parts = [`${s.name}: ${s.state}`, ...(s.pid !== null ? [`pid ${s.pid}`] : [])];
    if (s.childPid) parts.push(`command pid ${s.childPid}`);
    if (s.state === 'backoff') {
      const due =
        s.nextRestartAt != null ? ` in ${formatDuration(Math.max(0, s.nextRestartAt - now))}` : '';
      parts.push(`restarting${due}${s.lastExit ? ` (${exitInShort(s.lastExit)})` : ''}`);
    }
    // The COMMAND's uptime; the service's (the supervisor's) too once they differ: after a restart.
    if (s.uptimeMs != null) parts.push(`up ${formatDuration(s.uptimeMs)}`);
    if (s.serviceUptimeMs != null && (s.uptimeMs == null || s.restarts > 0))
      parts.push(`service up ${formatDuration(s.serviceUptimeMs)}`);
    if (s.rssBytes != null)
      parts.push(
        `memory ${formatBytes(s.rssBytes)}${s.processes != null && s.processes > 1 ? ` in ${s.processes} processes` : ''}`,
      );
    if (s.cpuMs != null) parts.push(`cpu ${formatCpu(s.cpuMs)}`);
    if (s.restarts > 0) parts.push(`${s.restarts} restart${s.restarts === 1 ? '' : 's'}`);
    if (s.statusText) parts.push(`status: ${s.statusText}`);
    return parts.join(', ') + (s.logError ? `; log error: ${s.logError}` : '');
  }
  const words: Record<string, string> = {
    'never-started': 'not running (never started)',
    stopped: 'not running (stopped)',
    exited: 'not running (exited)',
    failed: 'dead (failed)',
    dead: 'dead',
    unknown: 'status unknown',
  };
  let line = `${s.name}: ${words[s.state] ?? s.state}`;
  if (s.restarts > 0) line += ` after ${s.restarts} restart${s.restarts === 1 ? '' : 's'}`;
  if (s.lastExit) line += `; last exit: ${formatExit(s.lastExit)}`;
  // The reason without what the last exit already said ("exited with code 3" twice).
  const said = s.lastExit ? formatExit(s.lastExit).replace(/ at .*/, '') : null;
  const reason =
    said && s.reason
      ? s.reason === said
        ? null
        : s.reason.replace(`; last ${said}`, '')
      : s.reason;
  if (reason) line += `; ${reason}`;
  if (s.logLost) line += `; log: ${s.logLost}`;
  return line;
}

const formatCpu = (ms: number): string => `${(ms / 1000).toFixed(2)}s`;

/** A COMMAND of several, named: `instance 1`, and its part in a rolling restart. */
function commandName(c: CommandStatus): string {
  const role = c.role === 'new' ? ' (new)' : c.role === 'old' ? ' (old)' : '';
  return `instance ${c.instance}${role}`;
}

/** `status`'s lines after the first when a service runs several COMMANDs (`--instances`, a
 *  rolling restart's overlap): one each. */
export function commandLines(s: ServiceStatus): string[] {
  return (s.commands ?? []).map((c) => {
    const parts = [`  ${commandName(c)}: ${c.state}`];
    if (c.pid !== null) parts.push(`command pid ${c.pid}`);
    if (c.uptimeMs !== null) parts.push(`up ${formatDuration(c.uptimeMs)}`);
    if (c.role === 'current' && c.restarts > 0)
      parts.push(`${c.restarts} restart${c.restarts === 1 ? '' : 's'}`);
    return parts.join(', ');
  });
}

/** `list`'s rows: each service, then each of its COMMANDs when it runs several (`web/1`). */
export function listEntries(rows: readonly ServiceStatus[]): { name: string; state: string }[] {
  return rows.flatMap((s) => [
    { name: s.name, state: s.state },
    ...(s.commands ?? []).map((c) => ({ name: s.name, state: c.state })),
  ]);
}

/** `list` as a table: one row per service, columns padded to fit. PID is the supervisor's, CMD PID
 *  the COMMAND's; a COMMAND whose supervisor died is `orphaned`, with its own figures. A service
 *  with several COMMANDs has a row for each below its own (listEntries). */
export const listTable = (rows: readonly ServiceStatus[]): string => listLines(rows).join('\n');

const LIST_HEAD = ['NAME', 'STATE', 'PID', 'CMD PID', 'UPTIME', 'RESTARTS', 'MEMORY', 'CPU'];

/** listTable's lines, the heading first. (Built in one pass, with no array per cell's column:
 *  `list` of 200 services spent ~0.5 MB of short-lived arrays and strings here.) */
export function listLines(rows: readonly ServiceStatus[]): string[] {
  const cells: string[][] = [];
  for (const s of rows) {
    cells.push(serviceRow(s));
    for (const c of s.commands ?? []) cells.push(commandRow(s, c));
  }
  const widths = LIST_HEAD.map((h) => h.length);
  for (const row of cells)
    for (let i = 0; i < row.length; i++)
      if (row[i]!.length > widths[i]!) widths[i] = row[i]!.length;
  const line = (row: readonly string[]): string => {
    let text = '';
    for (let i = 0; i < row.length - 1; i++) text += `${row[i]!.padEnd(widths[i]!)}  `;
    return text + row[row.length - 1]!;
  };
  const lines = [line(LIST_HEAD)];
  for (const row of cells) lines.push(line(row));
  return lines;
}

function commandRow(s: ServiceStatus, c: CommandStatus): string[] {
  return [
    terminalSafe(`  ${s.name}/${c.instance}${c.role === 'current' ? '' : ` (${c.role})`}`),
    c.state,
    '-',
    c.pid === null ? '-' : String(c.pid),
    c.uptimeMs === null ? '-' : formatDuration(c.uptimeMs),
    String(c.restarts),
    '-',
    '-',
  ];
}

function serviceRow(s: ServiceStatus): string[] {
  return [
    terminalSafe(s.name),
    s.orphan ? 'orphaned' : terminalSafe(s.state),
    s.pid === null ? '-' : String(s.pid),
    s.childPid == null ? '-' : String(s.childPid),
    s.uptimeMs == null ? '-' : formatDuration(s.uptimeMs),
    String(s.restarts),
    s.rssBytes == null ? '-' : formatBytes(s.rssBytes),
    s.cpuMs == null ? '-' : formatCpu(s.cpuMs),
  ];
}
