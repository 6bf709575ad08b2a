/**
 * What is true of a service right now, from the kernel: is its lock held, and by which pid.
 * Read-only: never deletes, never signals, never takes the lock.
 */
import { readdirSync } from 'node:fs';
import { DaemonError, isDaemonError } from './errors.js';
import type { ServicePaths } from './paths.js';
import { pidHoldsLock, probeLock, readPidfile, type LockProbe } from './pidfile.js';
import { readState, type ServiceState } from './state.js';

export interface Inspection {
  paths: ServicePaths;
  probe: LockProbe;
  /** The lock is held. */
  running: boolean;
  /** The daemon pid when running: proven to hold the lock, unless `unverified`. */
  pid: number | null;
  /** The daemon belongs to another user: its /proc entries cannot be read, so the pid is the
   *  pidfile's word only. Never signal such a pid. */
  unverified: boolean;
  /** The pidfile names the lock holder. False while a start is in progress (the launcher holds
   *  the lock before the pidfile is written) or after someone removed the pidfile. */
  pidfileNamesHolder: boolean;
  /** A pidfile pid that is not the lock holder: stale (dead daemon or a recycled pid). */
  stalePid: number | null;
  /** Why the pidfile could not be used, if it could not. */
  pidfileProblem: DaemonError | null;
  state: ServiceState | null;
}

/** Scan /proc for the process holding the lock file (used when the pidfile does not say). */
export function findLockHolder(probe: LockProbe, hint?: number): number | null {
  if (hint && pidHoldsLock(hint, probe) === true) return hint;
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidHoldsLock(pid, probe) === true) return pid;
  }
  return null;
}

/** Sleep without an event loop: only for the short settle wait below. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function inspectService(paths: ServicePaths): Inspection {
  // A daemon that is exiting has dropped its fd table (and its pidfile) a moment before the
  // kernel releases its lock. Held-but-nobody-holds-it settles within milliseconds: re-look.
  let insp = inspectOnce(paths);
  for (let wait = 1; insp.running && insp.pid === null && !insp.unverified && wait <= 256; wait *= 2) {
    pause(wait);
    insp = inspectOnce(paths);
  }
  return insp;
}

function inspectOnce(paths: ServicePaths): Inspection {
  const probe = probeLock(paths.lockfile);
  let pidfilePid: number | null = null;
  let pidfileProblem: DaemonError | null = null;
  try {
    pidfilePid = readPidfile(paths.pidfile);
  } catch (error) {
    if (!isDaemonError(error)) throw error;
    pidfileProblem = error;
  }
  const state = readState(paths.statefile);
  if (!probe.held) return { paths, probe, running: false, pid: null, unverified: false, pidfileNamesHolder: false, stalePid: pidfilePid, pidfileProblem, state };
  const holds = pidfilePid !== null ? pidHoldsLock(pidfilePid, probe) : false;
  if (holds === 'unknown') return { paths, probe, running: true, pid: pidfilePid, unverified: true, pidfileNamesHolder: true, stalePid: null, pidfileProblem, state };
  const pid = holds ? pidfilePid : findLockHolder(probe, state?.pid);
  return {
    paths, probe, running: true, pid, unverified: false, pidfileNamesHolder: holds === true,
    stalePid: pidfilePid !== null && pidfilePid !== pid ? pidfilePid : null,
    pidfileProblem, state,
  };
}
