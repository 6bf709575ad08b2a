/** What every command says: its lines made printable, its errors as lines and an exit code. */
import { type DaemonError, isDaemonError } from '../errors/errors.js';
import { exitCodeFor, type Action } from '../errors/exit-codes.js';
import type { ServicePaths } from '../config/paths.js';
import { terminalSafe } from '../service/format.js';
import { commandLine, failedStartReport } from '../service/format-details.js';
import { err, out } from './print.js';

// Every line may carry a service's words (its STATUS=, an exit reason, a path it chose): made
// printable here, once, for every command.
export const say = (text: string): void => out(`${terminalSafe(text)}\n`);
export const warn = (text: string): void => err(`daemonkit: ${terminalSafe(text)}\n`);

/** A library error said (a DaemonError; anything else is thrown on), and its exit code. */
export function report(action: Action, error: unknown, paths?: ServicePaths): number {
  if (!isDaemonError(error)) throw error;
  for (const line of problemLines(error)) warn(line);
  const tail = error.details.stderrTail;
  if (Array.isArray(tail) && paths) {
    // A failed start: the lines that hold its error, then where the whole log is.
    const identity =
      paths.name !== undefined
        ? `--name ${paths.name}`
        : `--pidfile ${commandLine([paths.pidfile])}`;
    const logFile = typeof error.details.logFile === 'string' ? error.details.logFile : null;
    err(`${failedStartReport(paths.display, identity, tail.map(String), logFile).join('\n')}\n`);
  }
  return exitCodeFor(action, error.code);
}

/** An error's problems, one line each (a start with several names each), else its message. */
export function problemLines(error: DaemonError): string[] {
  const list = error.details.problems;
  return Array.isArray(list) && list.length > 0 && list.every((p) => typeof p === 'string')
    ? list
    : [error.message];
}
