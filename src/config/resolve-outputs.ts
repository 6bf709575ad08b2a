/**
 * Where a start's output goes (--stdout, --stderr, the log file) and the checks of every file a
 * start writes: a usable kind, directories above it no other user can redirect, and writable.
 */
import { dirname, resolve } from 'node:path';
import { DaemonError } from '../errors/errors.js';
import { logDirProblem } from '../files/ancestors.js';
import { ourTrust } from '../files/trust.js';
import type { ValidStart } from './options.js';
import { printable, type ServicePaths } from './paths.js';
import type { Problems } from './problems.js';
import { existingAncestor, isDirectory, unusableLogKind, writableDir } from './resolve-files.js';

export interface Outputs {
  stdout: string | null;
  stderr: string | null;
}

/** The files stdout and stderr go to (null: not redirected). */
export function outputs(
  opts: ValidStart,
  paths: ServicePaths,
  cwd: string,
  foreground: boolean,
): Outputs {
  const out = (p: string | undefined): string | null => (p === undefined ? null : resolve(cwd, p));
  let stdout = out(opts.stdout);
  let stderr = out(opts.stderr);
  if (!foreground) {
    stdout ??= paths.logfile;
    stderr ??= stdout;
  } else if (stderr === null && stdout !== null && opts.stderr === undefined) {
    stderr = null; // foreground: stderr stays the terminal's unless asked
  }
  return { stdout, stderr };
}

/** The log files' own problems: not a file, or below a directory another user could redirect. */
export function logFileProblems(
  problems: Problems,
  opts: ValidStart,
  { stdout, stderr }: Outputs,
): void {
  // --stderr is its own problem when given, even when it names the same path as --stdout.
  const logFiles: [string, string | null][] = [
    ['--stdout', stdout],
    ['--stderr', opts.stderr !== undefined || stderr !== stdout ? stderr : null],
  ];
  for (const [flag, target] of logFiles) {
    const kind = target === null ? null : unusableLogKind(target);
    if (kind)
      problems.add(
        new DaemonError('BAD_OPTION', `${problems.named(flag, target!)} is a ${kind}, not a file`, {
          path: target,
        }),
      );
    // A directory above the log's that another user could redirect (logrotate's "insecure
    // permissions"): root would write wherever they pointed it. The log's own directory may be
    // theirs.
    const insecure = target === null ? null : logDirProblem(dirname(target), ourTrust());
    const label =
      flag === '--stdout' && opts.stdout === undefined
        ? `the log file ${printable(target ?? '')}`
        : problems.named(flag, target ?? '');
    if (insecure)
      problems.add(
        new DaemonError('NO_PERMISSION', `cannot use ${label}: ${insecure}`, { path: target }),
      );
  }
}

/** The directories a start cannot write in: each said once, for the first file it blocks. */
export function unwritableProblems(
  paths: ServicePaths,
  { stdout, stderr }: Outputs,
): DaemonError[] {
  const problems: DaemonError[] = [];
  const unwritable = new Set<string>();
  for (const target of new Set([paths.pidfile, paths.statefile, stdout, stderr])) {
    if (target === null) continue;
    const dir = existingAncestor(dirname(target));
    if (!unwritable.has(dir) && !writableDir(dir)) {
      unwritable.add(dir);
      const why = isDirectory(dir) ? 'permission denied' : 'it is not a directory';
      problems.push(
        new DaemonError('NO_PERMISSION', `cannot write in ${dir} (needed for ${target}): ${why}`, {
          path: dir,
        }),
      );
    }
  }
  return problems;
}
