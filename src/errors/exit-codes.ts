/**
 * The one place where errors become exit codes: LSB init-script codes per action
 * (LSB Core 3.1.1 §20.2). status has its own table (0 running, 1 dead, 3 stopped, 4 unknown).
 */
import type { DaemonErrorCode } from './errors.js';

export type Action =
  | 'start'
  | 'stop'
  | 'restart'
  | 'status'
  | 'reload'
  | 'run'
  | 'list'
  | 'export'
  | 'reopen'
  | 'logs'
  | 'rm'
  | 'up'
  | 'down';

export const EXIT = {
  OK: 0,
  GENERIC: 1,
  BAD_ARGS: 2,
  UNIMPLEMENTED: 3,
  NO_PRIVILEGE: 4,
  NOT_INSTALLED: 5,
  NOT_CONFIGURED: 6,
  NOT_RUNNING: 7,
  STATUS_DEAD: 1,
  STATUS_STOPPED: 3,
  STATUS_UNKNOWN: 4,
} as const;

const ACTION_TABLE: Record<DaemonErrorCode, number> = {
  BAD_OPTION: EXIT.BAD_ARGS,
  BAD_PIDFILE: EXIT.BAD_ARGS,
  UNSAFE_PIDFILE: EXIT.NO_PRIVILEGE,
  PIDFILE_UNREADABLE: EXIT.NO_PRIVILEGE,
  NO_PERMISSION: EXIT.NO_PRIVILEGE,
  LOCK_FAILED: EXIT.GENERIC,
  COMMAND_NOT_FOUND: EXIT.NOT_INSTALLED,
  SPAWN_FAILED: EXIT.GENERIC,
  START_FAILED: EXIT.GENERIC,
  NOT_RUNNING: EXIT.NOT_RUNNING,
  STOP_TIMEOUT: EXIT.GENERIC,
  STATE_WRITE_FAILED: EXIT.GENERIC,
  LOG_FAILED: EXIT.GENERIC,
  NOTIFY_FAILED: EXIT.GENERIC,
  BAD_SPEC: EXIT.NOT_CONFIGURED,
  NO_SUCH_SERVICE: EXIT.NOT_INSTALLED,
  NOT_REMOVABLE: EXIT.GENERIC,
  UNSUPPORTED: EXIT.UNIMPLEMENTED,
};

/** Exit code for an error raised while performing `action`. */
export function exitCodeFor(action: Action, code: DaemonErrorCode | undefined): number {
  if (code === undefined) return action === 'status' ? EXIT.STATUS_UNKNOWN : EXIT.GENERIC;
  if (action === 'status')
    return code === 'BAD_OPTION'
      ? EXIT.BAD_ARGS
      : code === 'NO_SUCH_SERVICE'
        ? EXIT.STATUS_STOPPED
        : EXIT.STATUS_UNKNOWN;
  // No such service: stop has nothing to do (LSB: success), logs has no log, rm nothing to remove.
  if (code === 'NO_SUCH_SERVICE' && action === 'stop') return EXIT.OK;
  if (code === 'NO_SUCH_SERVICE' && (action === 'logs' || action === 'rm')) return EXIT.GENERIC;
  // reload/reopen: nothing runs to act on (LSB 'not running'), as for one stopped.
  if (code === 'NO_SUCH_SERVICE' && (action === 'reload' || action === 'reopen'))
    return EXIT.NOT_RUNNING;
  return ACTION_TABLE[code];
}
