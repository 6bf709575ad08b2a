/**
 * The sending side of sd_notify(3), for the library: tell the service manager (systemd, or a
 * daemonkit supervisor started with --ready notify) about readiness, status and liveness.
 */
import { DaemonError } from '../errors/errors.js';
import { notifySend } from '../sys/native.js';
import { formatNotify, type NotifyFields } from './protocol.js';

/** What the service manager told this process through its environment. */
export interface NotifyEnv {
  /** $NOTIFY_SOCKET: "/path" or "@abstract"; null when unset or empty. */
  socket: string | null;
  /** $WATCHDOG_USEC when the watchdog is ours: set, valid, and $WATCHDOG_PID unset or our pid. */
  watchdogUsec: number | null;
}

/**
 * Read NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID (pure: nothing is changed). Like
 * sd_watchdog_enabled(3), a WATCHDOG_PID naming another process means the watchdog is not ours.
 */
export function readNotifyEnv(
  env: NodeJS.ProcessEnv = process.env,
  pid: number = process.pid,
): NotifyEnv {
  const socket = env.NOTIFY_SOCKET ? env.NOTIFY_SOCKET : null;
  let watchdogUsec: number | null = null;
  const usec = env.WATCHDOG_USEC;
  const owner = env.WATCHDOG_PID;
  if (usec !== undefined && /^[0-9]{1,15}$/.test(usec) && Number(usec) > 0) {
    if (owner === undefined || owner === '' || (/^[0-9]+$/.test(owner) && Number(owner) === pid))
      watchdogUsec = Number(usec);
  }
  return { socket, watchdogUsec };
}

/**
 * readNotifyEnv(), then remove the three variables from `env` (sd_notify's unset_environment):
 * what this process starts next — a worker copy, a child — neither pings our watchdog nor
 * speaks for us.
 */
export function takeNotifyEnv(
  env: NodeJS.ProcessEnv = process.env,
  pid: number = process.pid,
): NotifyEnv {
  const found = readNotifyEnv(env, pid);
  delete env.NOTIFY_SOCKET;
  delete env.WATCHDOG_USEC;
  delete env.WATCHDOG_PID;
  return found;
}

/**
 * Send one message to a notify socket address ("/path" or "@abstract"). Throws BAD_OPTION for
 * bad fields and NOTIFY_FAILED when the address is unsupported (e.g. vsock:) or the send fails.
 */
export function sendNotify(socket: string, fields: NotifyFields): void {
  const text = formatNotify(fields);
  if (!socket.startsWith('/') && !socket.startsWith('@')) {
    throw new DaemonError(
      'NOTIFY_FAILED',
      `unsupported notify socket address '${socket}': only /path and @abstract AF_UNIX addresses`,
      { socket },
    );
  }
  try {
    notifySend(socket, text);
  } catch (error) {
    throw new DaemonError(
      'NOTIFY_FAILED',
      `cannot notify ${socket}: ${(error as Error).message}`,
      { socket },
      { cause: error },
    );
  }
}

/**
 * sd_notify(0, …): send `fields` to $NOTIFY_SOCKET. Returns false, sending nothing, when it is
 * unset (not under a service manager that listens); true once sent.
 */
export function notify(fields: NotifyFields, env: NodeJS.ProcessEnv = process.env): boolean {
  const { socket } = readNotifyEnv(env);
  if (!socket) return false;
  sendNotify(socket, fields);
  return true;
}

/**
 * CLOCK_MONOTONIC in microseconds, for MONOTONIC_USEC. Node has no clock_gettime(), but
 * process.hrtime.bigint() is libuv's uv_hrtime(), which on Linux reads CLOCK_MONOTONIC.
 */
export function monotonicUsec(): bigint {
  return process.hrtime.bigint() / 1000n;
}
