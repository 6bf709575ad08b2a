/**
 * Inside the daemon: hold the lock, write the pidfile, keep the state file, turn SIGTERM/SIGINT
 * into an aborted signal and SIGHUP into a reload, tell a service manager (sd_notify) about each,
 * and release everything on every way out.
 */
import { closeSync } from 'node:fs';
import { DaemonError } from '../errors/errors.js';
import type { ServicePaths } from '../config/paths.js';
import {
  acquirePidLock,
  ensureDir,
  removePidfile,
  writePidfile,
  type PidLock,
} from '../service/pidfile.js';
import { writeState, type ServiceState } from '../service/state.js';
import { readProcStat } from '../sys/proc.js';
import { writeEnvRecord } from '../config/env-record.js';
import { linkServiceManager } from '../notify/systemd.js';
import { routeSignals } from '../sys/signals.js';

export interface DaemonContext {
  /** Aborted on SIGTERM or SIGINT: the daemon should finish and return. */
  signal: AbortSignal;
  readonly alive: boolean;
  pid: number;
  /** Declare readiness (the launcher returns; READY=1 to a service manager); idempotent. */
  ready(): void;
  /** Tell a service manager what the daemon is doing (STATUS=…); nothing outside one. */
  setStatus(text: string): void;
  /** Release the pidfile and lock now (also done automatically at exit). */
  release(outcome?: { failed?: boolean; error?: string }): void;
}

export interface ContextHooks {
  onReady?(): void;
  onReload?(): void | Promise<void>;
}

type Manager = ReturnType<typeof linkServiceManager>;
type Outcome = { failed?: boolean; error?: string };

/** SIGTERM and SIGINT abort `controller`, SIGHUP is a reload — each told to the service manager
 *  once there is one. The function returned takes the routes away. */
function routeStopAndReload(
  controller: AbortController,
  hooks: ContextHooks,
  manager: () => Manager | null,
): () => void {
  const onTerm = (): void => {
    manager()?.stopping();
    controller.abort(new DaemonError('NOT_RUNNING', 'stop requested'));
  };
  const onHup = (): void => {
    const link = manager();
    void (
      link
        ? link.reload(() => hooks.onReload?.())
        : Promise.resolve().then(() => hooks.onReload?.())
    ).catch(() => undefined);
  };
  return routeSignals({ SIGTERM: onTerm, SIGINT: onTerm, SIGHUP: onHup });
}

function startingState(paths: ServicePaths): ServiceState {
  const self = readProcStat(process.pid);
  return {
    version: 1,
    kind: 'library',
    state: 'starting',
    pid: process.pid,
    ...(self ? { pidStartTime: self.startTime } : {}),
    pidfile: paths.pidfile,
    startedAt: Date.now(),
    updatedAt: Date.now(),
  };
}

/** Apply a patch to `state` and write it: best effort, the daemon goes on. */
const saver =
  (paths: ServicePaths, state: ServiceState) =>
  (patch: Partial<ServiceState>): void => {
    Object.assign(state, patch);
    try {
      writeState(paths.statefile, state);
    } catch {
      // best effort
    }
  };

/** The state's patch for how the daemon ended: stopped (by a signal), failed or exited. */
function endedState(state: ServiceState, byStop: boolean, outcome: Outcome): Partial<ServiceState> {
  const failed = outcome.failed === true && !byStop;
  return {
    state: failed ? 'failed' : byStop ? 'stopped' : 'exited',
    lastExit: {
      code: failed ? 1 : 0,
      signal: null,
      at: Date.now(),
      uptimeMs: Date.now() - state.startedAt,
      byStop,
    },
    ...(outcome.error ? { error: outcome.error } : {}),
  };
}

/** Take the lock and set up the daemon's life. null when another instance holds the lock. */
export function enterDaemon(paths: ServicePaths, hooks: ContextHooks = {}): DaemonContext | null {
  // Routed before the lock is taken and the pidfile written (sys/signals.ts): from the moment
  // this process is the daemon, SIGTERM is a stop and never leaves a stale pidfile behind.
  const controller = new AbortController();
  let manager: Manager | null = null;
  const unroute = routeStopAndReload(controller, hooks, () => manager);
  const lock: PidLock | null = acquirePidLock(paths.lockfile);
  if (!lock) {
    unroute();
    return null;
  }
  ensureDir(paths.statefile);
  const link = linkServiceManager(); // takes NOTIFY_SOCKET & co out of process.env
  manager = link;
  // Under the lock: the environment this daemon was started with, for `restart()` (as `daemonkit start` records it).
  writeEnvRecord(paths, process.env);
  const state = startingState(paths);
  const save = saver(paths, state);
  save({});
  writePidfile(paths.pidfile, process.pid); // after the state: readers of the pidfile find it
  let isReady = false;
  let released = false;
  const release = (outcome: Outcome = {}): void => {
    if (released) return;
    released = true;
    link.stopping();
    link.close();
    save(endedState(state, controller.signal.aborted, outcome));
    removePidfile(paths.pidfile, process.pid);
    unroute();
    process.off('exit', onExit);
    // The lock goes last, once the state says how it ended and the pidfile is gone: a process
    // that lives on after run() (a library's caller) no longer counts as the running service.
    closeSync(lock.fd);
  };
  const onExit = (code: number): void =>
    release({ failed: code !== 0, error: code !== 0 ? `exited with code ${code}` : '' });
  process.on('exit', onExit);
  return {
    signal: controller.signal,
    get alive() {
      return !controller.signal.aborted;
    },
    pid: process.pid,
    ready() {
      if (isReady) return;
      isReady = true;
      save({ state: 'running' });
      link.ready();
      hooks.onReady?.();
    },
    setStatus: (text) => link.status(text),
    release,
  };
}
