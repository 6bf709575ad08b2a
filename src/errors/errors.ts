/**
 * Typed errors with stable codes, one per failing step. The CLI maps codes to LSB exit
 * codes in one place (src/exit-codes.ts); the library only throws.
 */
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
