/**
 * A supervised service's life, shared by the detached supervisor and foreground `run`, and the
 * entry point for running one: runService(). It takes the lock, opens the service's files (log
 * pipes, notify socket), runs its state machine (runner.ts) until there is nothing left to
 * supervise, and releases all of it. Nothing here is process-wide: signals, exit and the reaper
 * are the caller's (supervisor/main.ts, cli/run.ts, daemon/supervised.ts), so one process may run
 * several services, each awaiting its own `done`.
 */
import { closeSync } from 'node:fs';
import type { ServicePaths } from '../config/paths.js';
import { defaultSchedule, type StopSchedule } from '../config/schedule.js';
import type { CommandSpec } from '../config/spec.js';
import { DaemonError, isDaemonError } from '../errors/errors.js';
import { acquirePidLock, removePidfile } from '../service/pidfile.js';
import { requestPending, takeReopenRequest, takeStopRequest } from '../service/requests.js';
import type { ExitRecord } from '../service/state.js';
import { setCloexec } from '../sys/native.js';
import type { Inherited, ServiceEvent } from './events.js';
import { Runner } from './runner.js';
import {
  openServiceIO,
  releaseService,
  type ServiceLife,
  type ServiceOptions,
} from './service-files.js';
import type { Supervision } from './supervise.js';

export { reportTo, type Inherited, type ServiceEvent } from './events.js';
export type { ServiceOptions } from './service-files.js';

export interface ServiceRun {
  /** Resolves with the COMMAND's last exit, or null when it never ran (lock lost, spawn failed). */
  done: Promise<ExitRecord | null>;
  /** Ask for a stop: the schedule from a fresh stop request, else `fallback` (default schedule).
   *  `by`: who asks, for the log (`SIGTERM`); a stop request names its own command. */
  requestStop(fallback?: StopSchedule, by?: string): void;
  /** Our signal handlers are in place: say so, and act on a stop request left while we booted. */
  handlingSignals(): void;
  /** Close and reopen the log files (SIGUSR1, `daemonkit reopen`). */
  reopenLogs(): void;
  /** `daemonkit reopen` asked (and the request is now taken): the SIGUSR1 is for us. */
  takeReopenRequest(): boolean;
  supervision(): Supervision | null;
  /** Once done: what the log files could not take at the end (see LogCapture.close), or null. */
  logLost(): string | null;
}

/** Take the lock (or, launched, keep the one inherited): its fd; null: another instance holds
 *  it. */
function takeLock(life: ServiceLife, notify: (event: ServiceEvent) => void): number | null {
  if (life.inherited) {
    setCloexec(life.inherited.lockFd); // ours for the service's life, never the COMMAND's
    return life.inherited.lockFd;
  }
  const lock = acquirePidLock(life.paths.lockfile);
  if (!lock) notify({ type: 'already-running' });
  return lock?.fd ?? null;
}

/** The service's life under the lock: its files opened, its COMMANDs run until the runner is
 *  done, everything released, the lock last: a waiting `stop` is done when it goes. */
async function live(
  life: ServiceLife,
  notify: (event: ServiceEvent) => void,
  cleanup: () => void,
): Promise<ExitRecord | null> {
  const { runner, inherited } = life;
  const lockFd = takeLock(life, notify);
  if (lockFd === null) return null;
  runner.record.own();
  try {
    const io = openServiceIO(life);
    notify({ type: 'locked' });
    runner.start(io, inherited?.adopted, inherited?.readyFd);
    await runner.finished;
    return runner.record.lastExit();
  } catch (error) {
    const err = isDaemonError(error)
      ? error
      : new DaemonError('SPAWN_FAILED', (error as Error).message);
    cleanup();
    notify({ type: 'start-failed', error: err });
    return null;
  } finally {
    releaseService(life);
    cleanup();
    closeSync(lockFd); // not running any more, all said: the lock goes now, not at our exit
  }
}

/** What the caller's signal handlers and requests act through. */
function controls(life: ServiceLife): Omit<ServiceRun, 'done'> {
  const { paths, runner } = life;
  const record = runner.record;
  return {
    requestStop(fallback = defaultSchedule(), by?: string) {
      if (!record.owns) return;
      const requested = takeStopRequest(paths.stopRequest);
      runner.dispatch({
        type: 'stop',
        request: requested !== null,
        forRestart: requested?.forRestart ?? false,
        schedule: requested?.schedule ?? fallback,
        by: requested ? `daemonkit ${requested.forRestart ? 'restart' : 'stop'}` : by,
      });
    },
    handlingSignals() {
      if (!record.owns) return;
      record.save({ handlesSignals: true });
      // Requests left for us while node booted (their senders do not signal until we say so).
      if (takeReopenRequest(paths.reopenRequest)) this.reopenLogs();
      if (requestPending(paths.stopRequest)) this.requestStop();
    },
    reopenLogs() {
      this.takeReopenRequest();
      const capture = life.capture;
      if (!record.owns || !capture) return;
      capture.reopen();
      record.save({ logsReopenedAt: Date.now(), logError: capture.error ?? undefined });
    },
    takeReopenRequest() {
      return record.owns && takeReopenRequest(paths.reopenRequest); // never another's, once let go
    },
    supervision: () => runner.supervision(),
    logLost: () => record.logLost(),
  };
}

export function runService(
  paths: ServicePaths,
  spec: CommandSpec,
  notify: (event: ServiceEvent) => void,
  inherited?: Inherited,
  options: ServiceOptions = {},
): ServiceRun {
  const cleanup = (): void => removePidfile(paths.pidfile, process.pid); // then the lock goes
  const runner = new Runner(paths, spec, { notify, cleanup });
  // With --grace 0 an inherited COMMAND is already started: the launcher said so in the state.
  if (inherited && spec.graceMs === 0 && !spec.ready) runner.dispatch({ type: 'announced' });
  const life: ServiceLife = {
    paths,
    spec,
    inherited,
    options,
    runner,
    capture: null,
    hub: null,
    listeners: [],
  };
  return { done: live(life, notify, cleanup), ...controls(life) };
}
