/** Messages from a daemon to its launcher, one JSON object per line on an inherited pipe. */
export type ReportMessage =
  | { type: 'locked'; pid: number } // lock held, pidfile written
  | { type: 'ready'; pid: number; childPid?: number; logError?: string } // initialization complete: the launcher may exit 0
  | { type: 'running' } // lost the lock: another instance runs
  | { type: 'error'; code: string; message: string; details?: Record<string, unknown> };

/** fds of a daemon: 0-2 stdio, then these. */
export const REPORT_FD = 3;
export const PAYLOAD_FD = 4;
/** Marks a re-exec'd daemon; its value is a one-time nonce. Scrubbed from the environment at
 *  once. */
export const MARKER = 'DAEMONKIT_DAEMON';
