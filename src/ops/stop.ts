/**
 * `stop`: verify the daemon (it holds the lock), then stop it by its schedule and wait for it
 * to be gone, on a pidfd: no polling, no PID-reuse race. A supervisor runs the schedule on its
 * COMMAND's group itself; a library daemon is a single process, signalled here.
 */
import { closeSync } from 'node:fs';
import { dirname } from 'node:path';
import { DaemonError } from '../errors/errors.js';
import { type Inspection, isDaemon } from '../service/inspect.js';
import type { ServicePaths } from '../config/paths.js';
import { acquirePidLock } from '../service/pidfile.js';
import { describeOrphan, findOrphan, stopOrphan } from '../service/orphan.js';
import {
  formatSchedule,
  runSchedule,
  scheduleDurationMs,
  type StopSchedule,
} from '../config/schedule.js';
import { readState } from '../service/state.js';
import { lookUntil } from '../sys/watch.js';
import { pidfdOpen, pidfdSignal, pidfdWait, pidfdWaitSync } from '../sys/native.js';
import { defaultSignalsDuring } from '../sys/blocking.js';
import { needsContinue, signalNumber } from '../sys/group.js';
import { writeRequest } from '../service/requests.js';
import { openRelease } from '../service/release.js';
import { keepFdHints } from '../sys/proc-fds.js';
import { inspectLaunched, refuseForeign } from './signal-target.js';

export interface StopResult {
  /** false when nothing was running (LSB: still success). */
  wasRunning: boolean;
  pid: number | null;
  /** Anything odd seen on the way (a stale or garbage pidfile), for the caller to show. */
  notes: string[];
}

export interface StopOptions {
  /** Wait for the daemon's exit on the calling thread (a blocking poll() on its pidfd) instead of
   *  the thread pool: for a caller with nothing else to do meanwhile, like the CLI. It stalls the
   *  caller's event loop for as long as the stop takes (up to the whole schedule). */
  block?: boolean;
  /** Part of a `restart`: a start this stop cuts short says it was stopped by a restart. */
  forRestart?: boolean;
}

/** How long a stop waits for a launching start to name its daemon. */
const LAUNCH_WAIT_MS = 10_000;

/** Slack for the supervisor to say its schedule ran out (or to exit) after the schedule's
 *  length. */
const SUPERVISOR_MARGIN_MS = 2000;

/** Anything odd the inspection saw, for the caller to show. */
function notesOf(insp: Inspection): string[] {
  const notes: string[] = [];
  if (insp.pidfileProblem) notes.push(insp.pidfileProblem.message);
  if (insp.stalePid !== null)
    notes.push(`pidfile named pid ${insp.stalePid}, which is not the daemon; it was not signalled`);
  return notes;
}

/** Nothing holds the lock: stop a COMMAND its killed supervisor left running, if any, under the
 *  lock so no start slips in between. */
async function stopLeft(
  paths: ServicePaths,
  insp: Inspection,
  schedule: StopSchedule,
  options: StopOptions,
  notes: string[],
): Promise<StopResult> {
  const orphan = findOrphan(insp.state);
  if (!orphan || !insp.state) return { wasRunning: false, pid: null, notes };
  const lock = acquirePidLock(paths.lockfile);
  // someone started it meanwhile: stop that
  if (!lock) return stopVerified(paths, schedule, options);
  try {
    notes.push(`${describeOrphan(orphan)}; stopping it`);
    if (!(await stopOrphan(paths, insp.state, orphan, schedule))) {
      throw new DaemonError(
        'STOP_TIMEOUT',
        `${paths.display}: the orphaned COMMAND (process group ${orphan.group.pgid}) is still running after the stop schedule ${formatSchedule(schedule)}`,
      );
    }
    return { wasRunning: true, pid: orphan.group.pgid, notes };
  } finally {
    closeSync(lock.fd);
  }
}

/** Blocking, a signal that would end us anyway takes its default action meanwhile (a Ctrl-C
 *  ends our waiting at once; the stop, asked for already, goes on in the supervisor). One turn of
 *  the event loop first: V8's pending tasks (a scavenge it scheduled while our code loaded, ~1 ms)
 *  then run while the daemon stops, not after it, when the caller waits for us. */
const waiterFor = (options: StopOptions): typeof pidfdWait =>
  options.block
    ? async (fds: number[], ms: number) => {
        await new Promise((resolve) => setImmediate(resolve));
        return defaultSignalsDuring(() => pidfdWaitSync(fds, ms));
      }
    : pidfdWait;

/** Run the schedule on the daemon at `pidfd` (through its supervisor, for one): gone in time? */
async function stopByPidfd(
  paths: ServicePaths,
  insp: Inspection,
  pid: number,
  pidfd: number,
  schedule: StopSchedule,
  options: StopOptions,
): Promise<boolean> {
  const waitExit = waiterFor(options);
  const supervised = insp.state?.kind === 'supervisor' && insp.state.pid === pid;
  if (supervised && insp.state?.shared)
    return (await import('./shared.js')).stopShared(paths, schedule, options.forRestart === true);
  if (supervised)
    return stopSupervisor(paths, insp, pid, pidfd, schedule, waitExit, options.forRestart === true);
  return runSchedule(schedule, {
    send(signal) {
      pidfdSignal(pidfd, signalNumber(signal));
      if (needsContinue(signal)) pidfdSignal(pidfd, signalNumber('SIGCONT'));
    },
    waitGone: async (ms) => (await waitExit([pidfd], ms)) === 0,
  });
}

/** Stop the daemon that holds the lock, verified on a pidfd; wait for it to be gone. */
async function stopHolder(
  paths: ServicePaths,
  insp: Inspection,
  pid: number,
  schedule: StopSchedule,
  options: StopOptions,
  notes: string[],
): Promise<StopResult> {
  let pidfd: number;
  try {
    pidfd = pidfdOpen(pid);
  } catch {
    return { wasRunning: false, pid, notes }; // exited meanwhile
  }
  try {
    // Verified after the pidfd is open: the pidfd cannot be recycled, the pid could have been.
    if (!isDaemon(pid, insp)) return { wasRunning: false, pid, notes };
    if (!(await stopByPidfd(paths, insp, pid, pidfd, schedule, options))) {
      throw new DaemonError(
        'STOP_TIMEOUT',
        `${paths.display} (pid ${pid}) is still running after the stop schedule ${formatSchedule(schedule)}`,
        { pid },
      );
    }
    // The supervisor's last word: output it could not write (its log file failing to the end).
    const last = insp.state?.kind === 'supervisor' ? readState(paths.statefile) : null;
    if (last?.pid === pid && last.logLost) notes.push(`${paths.display}: ${last.logLost}`);
    return { wasRunning: true, pid, notes };
  } finally {
    closeSync(pidfd);
  }
}

export async function stopService(
  paths: ServicePaths,
  schedule: StopSchedule,
  options: StopOptions = {},
): Promise<StopResult> {
  // The verification after the pidfd is open (isDaemon) looks first where the inspection found the
  // lock: that fd is checked afresh (fstat, fdinfo), as a walk of the supervisor's ~30 fds would
  // check it, and a miss still walks them all.
  const dropHints = keepFdHints();
  try {
    return await stopVerified(paths, schedule, options);
  } finally {
    dropHints();
  }
}

async function stopVerified(
  paths: ServicePaths,
  schedule: StopSchedule,
  options: StopOptions,
): Promise<StopResult> {
  // A start still launching names its daemon within moments (or fails and lets go): stop that.
  const insp = await inspectLaunched(paths, Math.min(LAUNCH_WAIT_MS, scheduleDurationMs(schedule)));
  if (insp.launching) {
    throw new DaemonError(
      'STOP_TIMEOUT',
      `${paths.display}: its lock is held by pid ${insp.holder}, which neither the pidfile nor the state file names as the daemon (a start still launching?); it was not signalled`,
      { pid: insp.holder ?? undefined },
    );
  }
  const notes = notesOf(insp);
  if (!insp.running) return stopLeft(paths, insp, schedule, options, notes);
  refuseForeign(paths, insp);
  const pid = insp.pid;
  if (pid === null)
    throw new DaemonError(
      'STOP_TIMEOUT',
      `${paths.display}: the lock is held but no process holding it could be found`,
    );
  return stopHolder(paths, insp, pid, schedule, options, notes);
}

async function stopSupervisor(
  paths: ServicePaths,
  insp: Inspection,
  pid: number,
  pidfd: number,
  schedule: StopSchedule,
  waitExit: typeof pidfdWait,
  forRestart: boolean,
): Promise<boolean> {
  writeRequest(paths.stopRequest, 'stop', {
    schedule: formatSchedule(schedule),
    ...(forRestart ? { restart: true } : {}),
  });
  // A supervisor still booting (node not yet handling signals) would be killed by SIGTERM: it
  // finds the request itself once it is up. It writes handlesSignals before it looks, and we
  // read it after writing the request, so one of us always sees the other. Once said, it stays
  // so for that process: a state of this very pid read before (the inspection's) that says so
  // needs no second read.
  const requestedAt = Date.now();
  const state =
    insp.state?.pid === pid && insp.state.handlesSignals === true
      ? insp.state
      : readState(paths.statefile);
  // Done when the service is (its release pipe closed after its lock) or the process is gone,
  // whichever we see first; opened before the signal, so that its closing cannot be missed.
  const release = openRelease(pid, state);
  const ends = release === null ? [pidfd] : [pidfd, release];
  try {
    if (state?.handlesSignals && !pidfdSignal(pidfd, signalNumber('SIGTERM'))) return true;
    if ((await waitExit(ends, scheduleDurationMs(schedule))) >= 0) return true;
    // The supervisor runs the schedule itself, from a moment after our request: when it ends
    // with the COMMAND still there, it says so in its state and goes on. Wait for that word (or
    // its end), not for a fixed time; the margin is for a supervisor that never answers.
    const answer = await lookUntil(dirname(paths.statefile), SUPERVISOR_MARGIN_MS, () => {
      if (pidfdWaitSync(ends, 0) >= 0) return 'gone'; // its end writes the state too
      const now = readState(paths.statefile);
      return now?.pid === state?.pid && (now?.stopRanOut?.at ?? 0) >= requestedAt
        ? 'ran out'
        : undefined;
    });
    return answer === 'gone';
  } finally {
    if (release !== null) closeSync(release);
  }
}
