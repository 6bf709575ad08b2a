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
import { acquirePidLock, removePidfile, writePidfile } from '../service/pidfile.js';
import {
  requestPending,
  takeReopenRequest,
  takeRollRequest,
  takeStopRequest,
  type RollRequest,
} from '../service/requests.js';
import { serviceFacts } from '../service/service-facts.js';
import { writeSpec } from '../service/spec-file.js';
import type { ExitRecord } from '../service/state.js';
import { makeRelease } from '../service/release.js';
import { markStopRan } from '../sys/cache-mark.js';
import { setCloexec } from '../sys/native.js';
import type { Inherited, ServiceEvent } from './events.js';
import { Instances } from './instances.js';
import {
  openServiceIO,
  releaseService,
  type ServiceLife,
  type ServiceOptions,
} from './service-files.js';
import type { Supervision } from './supervise.js';

export { reportTo, type Inherited, type ServiceEvent } from './events.js';
export type { ServiceOptions, SharedService } from './service-files.js';

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
  /** Every COMMAND the service runs now (instances, a roll's two): the reaper leaves them be. */
  commandPids(): number[];
  /** A `restart --rolling` asked (its request is taken now, and acted on): the SIGUSR1 is for
   *  it. */
  rollIfAsked(): boolean;
}

/** Take the lock (or, launched, keep the one inherited): its fd; null: another instance holds
 *  it. */
function takeLock(life: ServiceLife, notify: (event: ServiceEvent) => void): number | null {
  if (life.options.shared) return life.options.shared.lockFd; // taken by the caller
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
  // A shared service: said in the first write, the one that names its first COMMAND (made in
  // this same synchronous stretch; a `stop` meanwhile waits for a file to name the lock's holder,
  // inspectLaunched). Its requests come over the host's socket, read only once this start is
  // over (SharedHost.add calls handlingSignals before it returns): handlesSignals too. Two state
  // writes less per service: each is a file made (~1 ms on a busy ext4) and one removed.
  if (life.options.shared) runner.record.remember({ shared: true, handlesSignals: true });
  // Closed right after the lock: a `stop` waiting on it is done then (service/release.ts). In the
  // state from its first write; a stop signals us only once that says we handle signals.
  const release = life.options.shared ? null : makeRelease();
  runner.record.remember({
    lockFd,
    ...(release ? { releaseFd: release.fd, releaseIno: release.ino } : {}),
  });
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
    if (release) closeSync(release.fd);
  }
}

/** What the caller's signal handlers and requests act through. */
function controls(life: ServiceLife): Omit<ServiceRun, 'done'> {
  const { paths, runner } = life;
  const record = runner.record;
  return {
    requestStop(fallback = defaultSchedule(), by?: string) {
      if (!record.owns) return;
      markStopRan(); // a code cache made from now on holds this path (sys/cache-mark.ts)
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
      if (!record.handlesSignals) record.save({ handlesSignals: true });
      // Requests left for us while node booted (their senders do not signal until we say so).
      if (takeReopenRequest(paths.reopenRequest)) this.reopenLogs();
      if (requestPending(paths.stopRequest)) this.requestStop();
      this.rollIfAsked();
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
    rollIfAsked() {
      if (!record.owns) return false;
      const request = takeRollRequest(paths.rollRequest);
      if (!request) return false;
      void rollService(paths, runner, request);
      return true;
    },
    commandPids: () => runner.commandPids(),
    supervision: () => runner.supervision(),
    logLost: () => record.logLost(),
  };
}
/** A rolling restart, its outcome in the state file (`restart --rolling` waits for it there);
 *  the new spec recorded once every instance runs it. */
async function rollService(
  paths: ServicePaths,
  instances: Instances,
  request: RollRequest,
): Promise<void> {
  const { record } = instances;
  record.save({ roll: { at: request.at, outcome: 'rolling' } });
  const outcome = await instances.roll(request.spec, request.schedule);
  if (outcome.ok) {
    try {
      writeSpec(paths, request.spec);
    } catch {
      // the service runs the new spec; a later `restart` without a COMMAND starts the last one
    }
    record.save({
      roll: { at: request.at, outcome: 'done' },
      command: request.spec.command,
      ...serviceFacts(request.spec),
    });
    return;
  }
  const which = outcome.instance !== undefined ? `instance ${outcome.instance}: ` : '';
  record.save({
    roll: {
      at: request.at,
      outcome: 'failed',
      error: `${which}${outcome.reason}`,
      stderrTail: outcome.stderrTail,
    },
  });
}

export function runService(
  paths: ServicePaths,
  spec: CommandSpec,
  notify: (event: ServiceEvent) => void,
  inherited?: Inherited,
  options: ServiceOptions = {},
): ServiceRun {
  const shared = options.shared;
  let commandPid = 0; // shared: the pid the pidfile names
  // then the lock goes
  const cleanup = (): void => removePidfile(paths.pidfile, shared ? commandPid : process.pid);
  const command = (pid: number, running: boolean): void => {
    shared?.command?.(pid, running);
    if (!shared) return;
    // The COMMAND's pid while it runs, none between two: never a pid that may be reused.
    commandPid = running ? pid : 0;
    try {
      if (running) writePidfile(paths.pidfile, pid);
      else removePidfile(paths.pidfile, pid);
    } catch {
      // best effort, as the state file is once running: the service goes on
    }
  };
  const runner = new Instances(paths, spec, { notify, cleanup, command });
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
