/**
 * Typed errors with stable codes, one per failing step. The CLI maps codes to LSB exit
 * codes in one place (src/exit-codes.ts); the library only throws.
 */
import { readFileSync } from 'node:fs';
export type DaemonErrorCode =
  | 'BAD_OPTION' // option validation failed (every problem listed)
  | 'BAD_PIDFILE' // the pidfile path is unusable (a directory, a symlink, …)
  | 'UNSAFE_PIDFILE' // in a world-writable directory without the sticky bit, or someone else's
  | 'PIDFILE_UNREADABLE' // the pidfile exists but cannot be read
  | 'NO_PERMISSION' // a directory or file we must write is not writable by us
  | 'LOCK_FAILED' // the lock file could not be opened or locked for a reason other than contention
  | 'COMMAND_NOT_FOUND' // the COMMAND does not exist or is not executable
  | 'SPAWN_FAILED' // fork/exec of the daemon failed
  | 'START_FAILED' // the daemon or COMMAND died before it was ready
  | 'NOT_RUNNING' // an action that needs a running service found none
  | 'STOP_TIMEOUT' // still running after the whole stop schedule
  | 'STATE_WRITE_FAILED' // the state file could not be written
  | 'LOG_FAILED' // the log files could not be (re)opened or written
  | 'NOTIFY_FAILED' // an sd_notify socket could not be made, read or sent to
  | 'BAD_SPEC' // the recorded spec.json cannot be used (restart without a COMMAND)
  | 'NO_SUCH_SERVICE' // no service of that name (or pidfile) exists: nothing was ever started
  | 'NOT_REMOVABLE' // `rm`: the service runs, is starting or restarting, or its directory holds others' files
  | 'UNSUPPORTED'; // the action does not apply to this kind of service

const BRAND = Symbol.for('daemonkit.DaemonError');

export class DaemonError extends Error {
  readonly code: DaemonErrorCode;
  /** Extra facts for the caller (e.g. the stderr tail of a failed start). */
  readonly details: Record<string, unknown>;
  readonly [BRAND] = true;

  constructor(
    code: DaemonErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.details = details;
    Object.defineProperty(this, 'name', { value: 'DaemonError', enumerable: false });
  }
}

export function isDaemonError(value: unknown): value is DaemonError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true
  );
}

/** errno code of a Node system error, or undefined. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** What a forked child was asked to do, for naming the value when a step of it fails. */
export interface ExecContext {
  cwd?: string;
  user?: string;
  nice?: number;
  limits?: [string, number, number][];
}

/** `nofile=1024`, `core=0:unlimited`: a --limit as the user wrote it. */
export function formatLimit([name, soft, hard]: [string, number, number]): string {
  const v = (n: number): string => (n < 0 ? 'unlimited' : String(n));
  return soft === hard ? `${name}=${v(soft)}` : `${name}=${v(soft)}:${v(hard)}`;
}

/** What a privilege failure needs, per step: root, or (root in a container may lack it) the
 *  capability. */
function needs(step: 'nice' | 'setrlimit'): string {
  const cap = step === 'nice' ? 'CAP_SYS_NICE' : 'CAP_SYS_RESOURCE';
  const what = step === 'nice' ? 'needs' : 'raising a hard limit needs';
  return process.geteuid?.() === 0
    ? `${what} ${cap}, which this root process lacks`
    : `${what} root or ${cap}`;
}

/** The system's cap on nofile (setrlimit refuses more, even to root, with EPERM); null if
 *  unknown. */
function nrOpen(): number | null {
  try {
    const n = Number(readFileSync('/proc/sys/fs/nr_open', 'utf8').trim());
    return Number.isSafeInteger(n) ? n : null;
  } catch {
    return null;
  }
}

/**
 * A forked child that failed before exec, at `step` (set by native/spawn.c): named by its option
 * and value. A privilege failure (EPERM/EACCES) is NO_PERMISSION (exit 4); a value the system
 * refuses anyway is BAD_OPTION (exit 2); setsid and the fd layout failing is SPAWN_FAILED.
 */
function stepFailure(
  error: unknown,
  step: string,
  file: string,
  context: ExecContext,
): DaemonError | null {
  const code = errnoCode(error);
  const denied = code === 'EPERM' || code === 'EACCES';
  const why = denied ? 'permission denied' : strerror(error);
  const details = { path: file, step };
  if (step === 'nice') {
    const what = `cannot set --nice ${context.nice ?? '(unknown)'}`;
    return denied
      ? new DaemonError('NO_PERMISSION', `${what}: permission denied (${needs('nice')})`, details, {
          cause: error,
        })
      : new DaemonError('BAD_OPTION', `${what}: ${why}`, details, { cause: error });
  }
  if (step === 'setrlimit') {
    const index = (error as { index?: unknown }).index;
    const limit = typeof index === 'number' ? context.limits?.[index] : undefined;
    const what = `cannot set --limit ${limit ? formatLimit(limit) : '(unknown)'}`;
    const most = limit?.[0] === 'nofile' ? nrOpen() : null;
    // nofile above fs.nr_open is EPERM even for root: a value too big, not a missing privilege.
    if (
      limit &&
      most !== null &&
      (limit[2] < 0 || limit[2] > most || limit[1] < 0 || limit[1] > most)
    ) {
      return new DaemonError(
        'BAD_OPTION',
        `${what}: above the system's most, ${most} (/proc/sys/fs/nr_open)`,
        details,
        { cause: error },
      );
    }
    return denied
      ? new DaemonError(
          'NO_PERMISSION',
          `${what}: permission denied (${needs('setrlimit')})`,
          details,
          { cause: error },
        )
      : new DaemonError('BAD_OPTION', `${what}: ${why}`, details, { cause: error });
  }
  if (step === 'setsid' || step === 'fds') {
    const what = step === 'setsid' ? 'its own session (setsid)' : 'its file descriptors in place';
    return new DaemonError(
      'SPAWN_FAILED',
      `cannot start ${file}: could not give it ${what}: ${strerror(error)}`,
      details,
      { cause: error },
    );
  }
  return null;
}

/** An errno's text, lower case as our messages have it: "Operation not permitted" -> "operation
 *  not permitted". */
function strerror(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  const colon = message.indexOf(': ');
  const text = colon >= 0 ? message.slice(colon + 2) : message;
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/**
 * An exec that failed, as the user should see it: not found / not executable is its own code; a
 * failed switch to --user, or a working directory that user may not enter, is a privilege problem.
 * `step` (set by native/spawn.c) says where the forked child failed when it was not at exec:
 * each step is named with its option and value (stepFailure).
 */
export function execFailure(error: unknown, file: string, context: ExecContext = {}): DaemonError {
  const code = errnoCode(error);
  const step = (error as { step?: unknown } | null)?.step;
  const why =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'ENOEXEC'
        ? 'not an executable format'
        : code === 'EACCES'
          ? 'permission denied'
          : (error as Error).message;
  const as = context.user !== undefined ? ` as user ${context.user}` : '';
  if (typeof step === 'string') {
    const failure = stepFailure(error, step, file, context);
    if (failure) return failure;
  }
  if (step === 'setgroups' || step === 'setgid' || step === 'setuid' || step === 'verify') {
    const what =
      step === 'verify'
        ? 'the switch did not take (an id unchanged, or root could be regained)'
        : (error as Error).message;
    return new DaemonError(
      'NO_PERMISSION',
      `cannot run ${file}${as}: ${what}`,
      { path: file, step },
      { cause: error },
    );
  }
  if (step === 'chdir') {
    const denied = code === 'EACCES' || code === 'EPERM';
    return new DaemonError(
      denied ? 'NO_PERMISSION' : 'BAD_OPTION',
      `cannot enter --chdir ${context.cwd ?? '(unknown)'}${as}: ${why}`,
      { path: context.cwd, step },
      { cause: error },
    );
  }
  const notFound =
    code === 'ENOENT' || code === 'EACCES' || code === 'ENOEXEC' || code === 'ENOTDIR';
  return new DaemonError(
    notFound ? 'COMMAND_NOT_FOUND' : 'SPAWN_FAILED',
    `cannot execute ${file}${as}: ${why}`,
    { path: file },
    { cause: error },
  );
}
