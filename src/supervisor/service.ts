/**
 * A supervised service's life, shared by the detached supervisor and foreground `run`:
 * hold the lock, write the pidfile, run the COMMAND, keep the state file true, clean up.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { DaemonError, isDaemonError } from '../errors.js';
import type { ServicePaths } from '../paths.js';
import { acquirePidLock, ensureDir, removePidfile, writePidfile, type PidLock } from '../pidfile.js';
import { defaultSchedule, parseSchedule, type StopSchedule } from '../schedule.js';
import type { CommandSpec } from '../spec.js';
import { writeState, type ExitRecord, type ServiceState } from '../state.js';
import { readProcStat } from '../sys/proc.js';
import { setCloexec } from '../sys/native.js';
import { writeSpec } from '../spec-file.js';
import { startCommand, type Adopted, type Supervision } from './supervise.js';

export type ServiceEvent =
  | { type: 'locked' }
  | { type: 'running'; childPid: number }
  | { type: 'start-failed'; error: DaemonError }
  | { type: 'already-running' };

export interface ServiceRun {
  /** Resolves with the COMMAND's exit, or null when it never ran (lock lost, spawn failed). */
  done: Promise<ExitRecord | null>;
  /** Ask for a stop: the schedule from a fresh stop request, else `fallback` (default schedule). */
  requestStop(fallback?: StopSchedule): void;
  /** Our signal handlers are in place: say so, and act on a stop request left while we booted. */
  handlingSignals(): void;
  supervision(): Supervision | null;
}

/** Read and consume the stop request left by `daemonkit stop` (its --retry schedule). */
function takeStopRequest(path: string): StopSchedule | null {
  try {
    const req = JSON.parse(readFileSync(path, 'utf8')) as { schedule?: string; at?: number };
    unlinkSync(path);
    if (typeof req.schedule === 'string' && typeof req.at === 'number' && Date.now() - req.at < 60_000) return parseSchedule(req.schedule);
    return defaultSchedule();
  } catch {
    return null; // no request (a plain SIGTERM), or an unreadable one
  }
}

/**
 * What the launcher already did for a detached supervisor: it took the lock (the fd is ours
 * now), wrote the pidfile with our pid, and our first act was to start the COMMAND.
 */
export interface Inherited {
  lockFd: number;
  adopted: Adopted;
}

export function runService(paths: ServicePaths, spec: CommandSpec, notify: (event: ServiceEvent) => void, inherited?: Inherited): ServiceRun {
  let sup: Supervision | null = null;
  let stopWanted = false;
  let pendingSchedule: StopSchedule | null = null;
  let lock: PidLock | null = null;
  const self = readProcStat(process.pid);
  // With --grace 0 an inherited COMMAND is already started: the launcher said so in the state.
  const initial = inherited && spec.graceMs === 0 ? 'running' : 'starting';
  const state: ServiceState = {
    version: 1, kind: 'supervisor', state: initial, pid: process.pid,
    ...(self ? { pidStartTime: self.startTime } : {}),
    command: spec.command, startedAt: Date.now(), updatedAt: Date.now(),
  };
  const save = (patch: Partial<ServiceState>): void => {
    Object.assign(state, patch);
    try {
      writeState(paths.statefile, state);
    } catch {
      // the state file is best effort once running: the service goes on
    }
  };

  const cleanup = (): void => {
    removePidfile(paths.pidfile, process.pid);
    // The lock is released when this process exits (or, for `run`, stays until it does).
  };

  const done = (async (): Promise<ExitRecord | null> => {
    if (inherited) {
      setCloexec(inherited.lockFd); // ours for life, never the COMMAND's
    } else {
      lock = acquirePidLock(paths.lockfile);
      if (!lock) {
        notify({ type: 'already-running' });
        return null;
      }
    }
    try {
      ensureDir(paths.statefile);
      if (!inherited) writePidfile(paths.pidfile, process.pid);
      notify({ type: 'locked' });
      if (!inherited) {
        try {
          unlinkSync(paths.stopRequest); // a stop request from an earlier life does not apply
        } catch {
          // none
        }
      }
      if (!inherited) writeSpec(paths, spec); // else the launcher wrote it
      try {
        sup = startCommand(spec, inherited?.adopted);
      } catch (error) {
        const err = isDaemonError(error) ? error : new DaemonError('SPAWN_FAILED', String(error));
        save({ state: 'failed', error: err.message });
        cleanup(); // before the launcher hears of it: a failed start leaves no pidfile
        notify({ type: 'start-failed', error: err });
        return null;
      }
      const child = sup.child.pid;
      // One write with the COMMAND in it: the launcher's state already named it, never drop it.
      save({ state: initial, childPid: child, childPgid: sup.group.pgid, childStartTime: sup.group.leaderStartTime });
      if (stopWanted) void sup.stop(pendingSchedule ?? defaultSchedule());
      const ok = await sup.started;
      if (ok) {
        save({ state: stopWanted ? 'stopping' : 'running' });
        notify({ type: 'running', childPid: child });
      }
      const exit = await sup.ended;
      if (!ok) {
        const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
        const error = new DaemonError('START_FAILED', `${spec.command[0]} ${how} within the ${spec.graceMs} ms grace period`, {
          stderrTail: sup.stderrTail(), exit,
        });
        save({ state: 'failed', lastExit: exit, error: error.message });
        cleanup();
        notify({ type: 'start-failed', error });
        return exit;
      }
      const failed = !exit.byStop && (exit.signal !== null || exit.code !== 0);
      save({ state: exit.byStop ? 'stopped' : failed ? 'failed' : 'exited', lastExit: exit });
      return exit;
    } catch (error) {
      const err = isDaemonError(error) ? error : new DaemonError('SPAWN_FAILED', (error as Error).message);
      cleanup();
      notify({ type: 'start-failed', error: err });
      return null;
    } finally {
      cleanup();
    }
  })();

  return {
    done,
    requestStop(fallback = defaultSchedule()) {
      const requested = takeStopRequest(paths.stopRequest);
      // A bare signal while a stop is under way adds nothing (the stopper also signals after
      // leaving its request, which we may already have acted on).
      if (!requested && stopWanted) return;
      const schedule = requested ?? fallback;
      stopWanted = true;
      if (!sup) {
        pendingSchedule = schedule;
        return;
      }
      void sup.stop(schedule); // signal first, bookkeeping after
      save({ state: 'stopping' });
    },
    handlingSignals() {
      save({ handlesSignals: true });
      try {
        readFileSync(paths.stopRequest);
      } catch {
        return; // no request left for us while node booted
      }
      this.requestStop();
    },
    supervision: () => sup,
  };
}
