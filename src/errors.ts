/**
 * Typed errors with stable codes, one per failing step. The CLI maps codes to LSB exit
 * codes in one place (src/exit-codes.ts); the library only throws.
 */
export type DaemonErrorCode =
  | 'BAD_OPTION'          // option validation failed (every problem listed)
  | 'BAD_PIDFILE'         // the pidfile path is unusable (a directory, a symlink, …)
  | 'UNSAFE_PIDFILE'      // in a world-writable directory without the sticky bit, or someone else's
  | 'PIDFILE_UNREADABLE'  // the pidfile exists but cannot be read
  | 'NO_PERMISSION'       // a directory or file we must write is not writable by us
  | 'LOCK_FAILED'         // the lock file could not be opened or locked for a reason other than contention
  | 'COMMAND_NOT_FOUND'   // the COMMAND does not exist or is not executable
  | 'SPAWN_FAILED'        // fork/exec of the daemon failed
  | 'START_FAILED'        // the daemon or COMMAND died before it was ready
  | 'NOT_RUNNING'         // an action that needs a running service found none
  | 'STOP_TIMEOUT'        // still running after the whole stop schedule
  | 'STATE_WRITE_FAILED'  // the state file could not be written
  | 'LOG_FAILED'          // the log files could not be (re)opened or written
  | 'NOTIFY_FAILED'       // an sd_notify socket could not be made, read or sent to
  | 'BAD_SPEC'            // the recorded spec.json cannot be used (restart without a COMMAND)
  | 'NO_SUCH_SERVICE'     // no service of that name (or pidfile) exists: nothing was ever started
  | 'NOT_REMOVABLE'       // `rm`: the service runs, is starting or restarting, or its directory holds others' files
  | 'UNSUPPORTED';        // the action does not apply to this kind of service

const BRAND = Symbol.for('daemonkit.DaemonError');

export class DaemonError extends Error {
  readonly code: DaemonErrorCode;
  /** Extra facts for the caller (e.g. the stderr tail of a failed start). */
  readonly details: Record<string, unknown>;
  readonly [BRAND] = true;

  constructor(code: DaemonErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
    Object.defineProperty(this, 'name', { value: 'DaemonError', enumerable: false });
  }
}

export function isDaemonError(value: unknown): value is DaemonError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** errno code of a Node system error, or undefined. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * An exec that failed, as the user should see it: not found / not executable is its own code; a
 * failed switch to --user, or a working directory that user may not enter, is a privilege problem.
 * `step` (set by native/spawn.c) says where the forked child failed when it was not at exec.
 */
export function execFailure(error: unknown, file: string, context: { cwd?: string; user?: string } = {}): DaemonError {
  const code = errnoCode(error);
  const step = (error as { step?: unknown } | null)?.step;
  const why = code === 'ENOENT' ? 'no such file' : code === 'ENOEXEC' ? 'not an executable format' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
  const as = context.user !== undefined ? ` as user ${context.user}` : '';
  if (step === 'setgroups' || step === 'setgid' || step === 'setuid' || step === 'verify') {
    const what = step === 'verify' ? 'the switch did not take (an id unchanged, or root could be regained)' : (error as Error).message;
    return new DaemonError('NO_PERMISSION', `cannot run ${file}${as}: ${what}`, { path: file, step }, { cause: error });
  }
  if (step === 'chdir') {
    const denied = code === 'EACCES' || code === 'EPERM';
    return new DaemonError(denied ? 'NO_PERMISSION' : 'BAD_OPTION', `cannot enter --chdir ${context.cwd ?? '(unknown)'}${as}: ${why}`, { path: context.cwd, step }, { cause: error });
  }
  const notFound = code === 'ENOENT' || code === 'EACCES' || code === 'ENOEXEC' || code === 'ENOTDIR';
  return new DaemonError(notFound ? 'COMMAND_NOT_FOUND' : 'SPAWN_FAILED', `cannot execute ${file}${as}: ${why}`, { path: file }, { cause: error });
}
