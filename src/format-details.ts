/**
 * How daemonkit says the longer things (pure): `status -v`'s facts, a COMMAND line, a restart
 * policy, and the report of a start that failed (its stderr tail and where the whole log is).
 */
import { formatDuration, formatExit } from './format.js';
import type { RestartPolicy } from './supervisor/policy.js';
import type { ServiceStatus } from './status.js';

/** Control characters (a terminal would act on them) shown as escapes: one line, printable. */
export function printableLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** A COMMAND as a shell would read it back: words quoted where they need it. */
export function commandLine(argv: readonly string[]): string {
  return argv.map((word) => (PLAIN.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).map(printableLine).join(' ');
}

/** A restart policy in words: "on-failure (delay 100ms, doubling up to 30s; …)". */
export function describePolicy(p: RestartPolicy): string {
  if (p.restart === 'no') return 'no';
  const delay = (ms: number): string => (ms < 1000 ? `${ms}ms` : formatDuration(ms));
  return `${p.restart} (delay ${delay(p.delayMs)}, doubling up to ${delay(p.maxDelayMs)}, back to ${delay(p.delayMs)} after ${delay(p.minUptimeMs)} up; `
    + `gives up after ${p.maxRestarts} restarts within ${delay(p.windowMs)})`;
}

/** `status -v`: the lines under the status line. */
export function statusDetails(s: ServiceStatus, now = Date.now()): string[] {
  const lines: string[] = [];
  if (s.command) lines.push(`command: ${commandLine(s.command)}`);
  if (s.cwd != null) lines.push(`cwd: ${printableLine(s.cwd)}`);
  if (s.user != null) lines.push(`user: ${printableLine(s.user)}`);
  if (s.restartPolicy) lines.push(`restart: ${describePolicy(s.restartPolicy)}`);
  if (s.nextRestartAt != null) {
    lines.push(`next restart: in ${formatDuration(Math.max(0, s.nextRestartAt - now))}, at ${new Date(s.nextRestartAt).toISOString()}`);
  }
  if (s.logFiles) {
    const file = (path: string | null): string => (path === null ? 'the supervisor\'s own' : printableLine(path));
    if (s.logFiles.stdout === s.logFiles.stderr) lines.push(`log: ${file(s.logFiles.stdout)}`);
    else lines.push(`stdout log: ${file(s.logFiles.stdout)}`, `stderr log: ${file(s.logFiles.stderr)}`);
  }
  lines.push(`pidfile: ${printableLine(s.pidfile)}`);
  if (s.exits.length > 0) lines.push('exits (oldest first):', ...s.exits.map((exit) => `  ${formatExit(exit)}`));
  return lines.map((line) => `  ${line}`);
}

/**
 * A failed start's stderr tail, each line marked with the service's name (`web | …`), then where
 * the whole log is: `see: daemonkit logs --name web (/run/daemonkit/web/web.log)`.
 */
export function failedStartReport(name: string, identity: string, tail: readonly string[], logFile: string | null): string[] {
  const lines = tail.map((line) => `${name} | ${printableLine(line)}`);
  const file = logFile !== null && logFile !== '/dev/null' ? ` (${printableLine(logFile)})` : '';
  lines.push(`see: daemonkit logs ${identity}${file}`);
  return lines;
}
