/**
 * How daemonkit says the longer things (pure): `status -v`'s facts, a COMMAND line, a restart
 * policy, and the report of a start that failed (its stderr tail and where the whole log is).
 */
import { formatDuration, formatExit, terminalSafe } from './format.js';
import type { RestartPolicy } from '../config/restart-policy.js';
import type { ServiceStatus } from './status.js';

const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** A COMMAND as a shell would read it back: words quoted where they need it. */
export function commandLine(argv: readonly string[]): string {
  return argv
    .map((word) => (PLAIN.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`))
    .map(terminalSafe)
    .join(' ');
}

/** A restart policy in words: "on-failure (delay 100ms, doubling up to 30s; …)". */
export function describePolicy(p: RestartPolicy): string {
  if (p.restart === 'no') return 'no';
  const delay = (ms: number): string => (ms < 1000 ? `${ms}ms` : formatDuration(ms));
  return (
    `${p.restart} (delay ${delay(p.delayMs)}, doubling up to ${delay(p.maxDelayMs)}, back to ${delay(p.delayMs)} after ${delay(p.minUptimeMs)} up; ` +
    (p.maxRestarts === null
      ? 'never gives up)'
      : `gives up after ${p.maxRestarts} restarts within ${delay(p.windowMs)})`)
  );
}

/** `status -v`: the lines under the status line. */
export function statusDetails(s: ServiceStatus, now = Date.now()): string[] {
  const lines: string[] = [];
  if (s.command) lines.push(`command: ${commandLine(s.command)}`);
  if (s.cwd != null) lines.push(`cwd: ${terminalSafe(s.cwd)}`);
  if (s.user != null) lines.push(`user: ${terminalSafe(s.user)}`);
  if (s.restartPolicy) lines.push(`restart: ${describePolicy(s.restartPolicy)}`);
  if (s.nextRestartAt != null) {
    lines.push(
      `next restart: in ${formatDuration(Math.max(0, s.nextRestartAt - now))}, at ${new Date(s.nextRestartAt).toISOString()}`,
    );
  }
  if (s.logFiles) {
    const file = (path: string | null): string =>
      path === null ? "the supervisor's own" : terminalSafe(path);
    if (s.logFiles.stdout === s.logFiles.stderr) lines.push(`log: ${file(s.logFiles.stdout)}`);
    else
      lines.push(
        `stdout log: ${file(s.logFiles.stdout)}`,
        `stderr log: ${file(s.logFiles.stderr)}`,
      );
  }
  lines.push(`pidfile: ${terminalSafe(s.pidfile)}`);
  if (s.exits.length > 0)
    lines.push('exits (oldest first):', ...s.exits.map((exit) => `  ${formatExit(exit)}`));
  return lines.map((line) => `  ${line}`);
}

/**
 * A failed start's stderr tail, each line marked with the service's name (`web | …`), then where
 * the whole log is: `see: daemonkit logs --name web (/run/daemonkit/web/web.log)`.
 */
export function failedStartReport(
  name: string,
  identity: string,
  tail: readonly string[],
  logFile: string | null,
): string[] {
  const lines = tail.map((line) => `${name} | ${terminalSafe(line)}`);
  const file = logFile !== null && logFile !== '/dev/null' ? ` (${terminalSafe(logFile)})` : '';
  lines.push(`see: daemonkit logs ${identity}${file}`);
  return lines;
}
