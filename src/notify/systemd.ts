/**
 * A daemon's side of sd_notify, under a service manager that set NOTIFY_SOCKET (systemd's
 * Type=notify / notify-reload, or a daemonkit supervisor): READY=1, STOPPING=1, RELOADING=1
 * around a reload, STATUS=…, and WATCHDOG=1 pings. Outside one, every method does nothing.
 *
 * The notification environment is taken once, when the process becomes the daemon, and removed
 * from process.env: what the daemon starts next does not inherit it.
 *
 * Notifications are best effort: a failed send never stops the daemon (sd_notify's callers
 * ignore its result too).
 */
import { DaemonError } from '../errors/errors.js';
import { monotonicUsec, sendNotify, takeNotifyEnv } from './client.js';
import { notifySend as notifySendRaw } from '../sys/native.js';
import type { NotifyFields } from './protocol.js';

export interface ServiceManagerLink {
  /** True when a NOTIFY_SOCKET was given. */
  readonly active: boolean;
  /** READY=1 (again after a reload). */
  ready(): void;
  /** STOPPING=1, once. */
  stopping(): void;
  /**
   * RELOADING=1 with MONOTONIC_USEC, run `reload`, then READY=1 — once the daemon has been
   * ready, and not while it stops (else `reload` only). Reloads run one after another.
   */
  reload(reload: () => unknown): Promise<void>;
  /** STATUS=text. Throws BAD_OPTION for a newline or NUL (the protocol's separators), active or
   *  not. */
  status(text: string): void;
  /** Pass on a supervised COMMAND's own message (`run --ready notify`), without READY and
   *  MAINPID: readiness is ours to say (after the grace period or its READY=1), and the main pid
      is us. */
  relay(text: string): void;
  /** Stop the watchdog pings (at release). */
  close(): void;
}

/** A status line as STATUS= can carry it: a string without newline or NUL; else BAD_OPTION. */
export function checkStatus(text: unknown): string {
  if (typeof text !== 'string' || /[\n\0]/.test(text)) {
    throw new DaemonError(
      'BAD_OPTION',
      'invalid status: a string without newlines or NUL characters',
    );
  }
  return text;
}

/** Whether READY=1 was said, and STOPPING=1: what a reload may announce. */
interface LinkState {
  ready: boolean;
  stopping: boolean;
}

/** Sends to `socket` (none: nothing), best effort: the service manager may be gone (or
 *  restarting); the daemon goes on. */
function sender(socket: string | null): (fields: NotifyFields) => void {
  return (fields) => {
    if (!socket) return;
    try {
      sendNotify(socket, fields);
    } catch {
      // best effort
    }
  };
}

/** WATCHDOG=1 every WATCHDOG_USEC/2, from an unref'd timer (null: no watchdog for us). */
function startWatchdog(
  socket: string | null,
  watchdogUsec: number | null,
  send: (fields: NotifyFields) => void,
): NodeJS.Timeout | null {
  if (!socket || watchdogUsec === null) return null;
  const everyMs = Math.max(1, Math.min(Math.floor(watchdogUsec / 2000), 2 ** 31 - 1));
  return setInterval(() => send({ WATCHDOG: 1 }), everyMs).unref();
}

/** ServiceManagerLink.reload: one after another, announced once ready and not while stopping. */
function serialReloads(
  state: LinkState,
  send: (fields: NotifyFields) => void,
): ServiceManagerLink['reload'] {
  let reloads: Promise<void> = Promise.resolve();
  return (reload) => {
    const run = async (): Promise<void> => {
      const announce = state.ready && !state.stopping;
      if (announce) send({ RELOADING: 1, MONOTONIC_USEC: monotonicUsec() });
      try {
        await reload();
      } finally {
        if (announce && !state.stopping) send({ READY: 1 });
      }
    };
    reloads = reloads.then(run, run);
    return reloads;
  };
}

/** ServiceManagerLink.relay: a COMMAND's message to `socket`, less READY and MAINPID. */
function relay(socket: string | null, text: string): void {
  const lines = text.split('\n').filter((line) => line !== '' && !/^(READY|MAINPID)=/.test(line));
  if (socket && lines.length > 0) {
    try {
      notifySendRaw(socket, lines.join('\n'));
    } catch {
      // best effort, as sender's
    }
  }
}

/**
 * Take NOTIFY_SOCKET (and the watchdog's WATCHDOG_USEC/WATCHDOG_PID) from `env`. With a
 * watchdog for this process, WATCHDOG=1 goes out every WATCHDOG_USEC/2 from an unref'd timer on
 * the event loop: it never keeps the process alive, and a blocked loop sends no pings — which
 * is what the watchdog is there to notice.
 */
export function linkServiceManager(
  env: NodeJS.ProcessEnv = process.env,
  pid: number = process.pid,
): ServiceManagerLink {
  const { socket, watchdogUsec } = takeNotifyEnv(env, pid);
  const send = sender(socket);
  const state: LinkState = { ready: false, stopping: false };
  let watchdog = startWatchdog(socket, watchdogUsec, send);
  return {
    active: socket !== null,
    ready() {
      state.ready = true;
      send({ READY: 1 });
    },
    stopping() {
      if (state.stopping) return;
      state.stopping = true;
      send({ STOPPING: 1 });
    },
    reload: serialReloads(state, send),
    status(text) {
      send({ STATUS: checkStatus(text) });
    },
    relay: (text) => relay(socket, text),
    close() {
      if (watchdog) clearInterval(watchdog);
      watchdog = null;
    },
  };
}
