/**
 * What is true of a service right now, from the kernel: is its lock held, and by which pid.
 * Read-only: never deletes, never signals, never takes the lock.
 */
import { lstatSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { type DaemonError, isDaemonError } from '../errors/errors.js';
import type { ServicePaths } from '../config/paths.js';
import { pidHoldsLock, probeLock, readPidfile, type LockProbe } from './pidfile.js';
import { readState, type ServiceState } from './state.js';
import { lookUntil } from '../sys/watch.js';
import { inOneScan } from '../sys/proc.js';
import { lockHolders } from '../sys/proc-fdinfo.js';
import { inspectSharedQuickly } from './inspect-quick.js';
import { refuseForeignFile, refuseForeignProcess } from '../files/owner.js';

export interface Inspection {
  paths: ServicePaths;
  probe: LockProbe;
  /** The lock is held. */
  running: boolean;
  /** The daemon pid when running: named by the pidfile or the state file and proven to hold the
   *  lock, unless `unverified`. Null while a start is still launching (only the launching CLI
   *  holds the lock: it must never be taken for the daemon and signalled). */
  pid: number | null;
  /** Some process holding the lock when neither file names one (a launching `start`, or a daemon
   *  whose pidfile and state were deleted): for messages only, never signalled. */
  holder: number | null;
  /** The daemon belongs to another user: its /proc entries cannot be read, so the pid is the
   *  pidfile's word only. Never signal such a pid. */
  unverified: boolean;
  /** The pidfile names the lock holder. False while a start is in progress (the launcher holds
   *  the lock before the pidfile is written) or after someone removed the pidfile. */
  pidfileNamesHolder: boolean;
  /** The lock is held but no file names its holder yet: a start is launching. */
  launching: boolean;
  /** A pidfile pid that is not the lock holder: stale (dead daemon or a recycled pid). */
  stalePid: number | null;
  /** Why the pidfile could not be used, if it could not. */
  pidfileProblem: DaemonError | null;
  state: ServiceState | null;
}

/**
 * Scan /proc for the processes holding the lock (used when no file names one): `holders` hold a
 * write lock, as a daemon does; `all` are every process with a lock on the file, a read lock too
 * (anyone who may read the file can take one), for the caller to refuse those of another user.
 */
export function findLockHolders(probe: LockProbe): { holders: number[]; all: number[] } {
  if (probe.dev === undefined || probe.ino === undefined) return { holders: [], all: [] };
  const found = lockHolders(probe.dev, probe.ino);
  return {
    holders: found.filter((h) => h.kind === 'WRITE').map((h) => h.pid),
    all: found.map((h) => h.pid),
  };
}

/** The daemon named by a file: it must run as the lock file's owner (see owner.ts). */
function named(pid: number, probe: LockProbe, paths: ServicePaths, by: string): number {
  if (probe.uid !== undefined) refuseForeignProcess(pid, probe.uid, paths.lockfile, by);
  return pid;
}

/** Does a launch marker for `pid` exist? One another user made is refused, not believed. */
function hasLaunchMarker(paths: ServicePaths, pid: number): boolean {
  const marker = launchMarker(paths, pid);
  let st: Stats;
  try {
    st = lstatSync(marker);
  } catch {
    return false;
  }
  refuseForeignFile('launch marker', marker, st.uid);
  return true;
}

/** Sleep without an event loop: only for the short settle wait below. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Where the state says daemon `pid` holds its lock: a hint, checked afresh (sys/proc-fdinfo.ts). */
const lockFdOf = (state: ServiceState | null, pid: number): number | undefined =>
  state?.pid === pid && Number.isInteger(state.lockFd) && state.lockFd! >= 0
    ? state.lockFd
    : undefined;

export function inspectService(paths: ServicePaths): Inspection {
  // A report (`list`, `top`, `status -f`): a project's running service is proven from its state.
  const quick = inOneScan() ? inspectSharedQuickly(paths) : null;
  if (quick) return quick;
  // A daemon that is exiting has dropped its fd table (and its pidfile) a moment before the
  // kernel releases its lock. Held-but-nobody-holds-it settles within milliseconds: re-look.
  let insp = inspectOnce(paths);
  for (
    let wait = 1;
    insp.running && insp.pid === null && insp.holder === null && !insp.unverified && wait <= 256;
    wait *= 2
  ) {
    pause(wait);
    insp = inspectOnce(paths);
  }
  return insp;
}

function inspectOnce(paths: ServicePaths, rescan = false): Inspection {
  const probe = probeLock(paths.lockfile);
  let pidfilePid: number | null = null;
  let pidfileProblem: DaemonError | null = null;
  try {
    pidfilePid = readPidfile(paths.pidfile);
  } catch (error) {
    if (!isDaemonError(error)) throw error;
    pidfileProblem = error;
  }
  // Read after the pidfile: whoever writes both writes the state first, so a pidfile naming a new
  // daemon comes with that daemon's state.
  const state = readState(paths.statefile);
  const base = {
    paths,
    probe,
    unverified: false,
    pidfileNamesHolder: false,
    launching: false,
    holder: null,
    pidfileProblem,
    state,
  };
  // A shared supervisor's service: its pidfile names its COMMAND, by design (not stale; after
  // the supervisor's death, the orphan that status and stop deal with).
  // (Or its COMMAND just exec'd: the pidfile may come a moment before the state's write that
  // names it as running, as `spawning`; runner.ts.)
  const commandNamed =
    state?.shared === true &&
    pidfilePid !== null &&
    (pidfilePid === state.childPid || pidfilePid === state.spawning?.pgid);
  if (!probe.held)
    return { ...base, running: false, pid: null, stalePid: commandNamed ? null : pidfilePid };
  // A shared service's COMMAND never holds the lock (its supervisor does): not looked at, so
  // `list` of 200 such services walks 200 fewer fd tables.
  const holds =
    pidfilePid !== null && !commandNamed
      ? pidHoldsLock(pidfilePid, probe, lockFdOf(state, pidfilePid))
      : false;
  const byPidfile = `pidfile ${paths.pidfile} names`;
  if (holds)
    return {
      ...base,
      running: true,
      pid: named(pidfilePid!, probe, paths, byPidfile),
      ...(holds === 'unknown' ? { unverified: true } : {}),
      pidfileNamesHolder: true,
      stalePid: null,
    };
  const stale = { ...base, running: true, stalePid: commandNamed ? null : pidfilePid };
  // The pidfile was removed (or not yet written): the state's pid is as good a name, once proven.
  if (
    state?.pid &&
    state.pid !== pidfilePid &&
    pidHoldsLock(state.pid, probe, lockFdOf(state, state.pid)) === true
  ) {
    return { ...stale, pid: named(state.pid, probe, paths, `state file ${paths.statefile} names`) };
  }
  const { holders, all } = findLockHolders(probe);
  // A start launching: its daemon may hold the lock too by now, but is not named yet (it may
  // still be booting, deaf to signals). Nothing is to be signalled until it is. (A write lock is
  // held by one open file: every holder then has the launcher's, its own forks — a --user
  // COMMAND too, between its setuid and its exec, which closes it.)
  const launcher = holders.find((pid) => hasLaunchMarker(paths, pid));
  if (launcher !== undefined) return { ...stale, pid: null, holder: launcher, launching: true };
  // No marker: but a start may have finished while we scanned (it names its daemon, then drops
  // its marker), and what we read of the files is older than the scan. Look once more.
  if (!rescan) return inspectOnce(paths, true);
  // Held, and by a process of another user (a read lock on our 0644 file; a setuid program):
  // never taken for the daemon, nor left to pass for it.
  if (probe.uid !== undefined)
    for (const pid of all)
      refuseForeignProcess(pid, probe.uid, paths.lockfile, 'its lock is held by');
  // Nothing names the daemon (its pidfile and state were deleted): the lock's holder is it.
  return { ...stale, pid: holders[0] ?? null };
}

/**
 * Is `pid` the daemon of this inspection, still? It holds the lock and runs as the lock file's
 * owner. For a check made again with a pidfd open (the pid cannot be recycled under it).
 */
export function isDaemon(pid: number, insp: Inspection): boolean {
  if (pidHoldsLock(pid, insp.probe, lockFdOf(insp.state, pid)) !== true) return false;
  if (insp.probe.uid !== undefined)
    refuseForeignProcess(pid, insp.probe.uid, insp.paths.lockfile, 'its lock is held by');
  return true;
}

export const LAUNCH_MARKER_PREFIX = 'launching.';

/**
 * The file a `start` creates before it takes the lock and removes once its daemon is named: the
 * lock holder it names is that start's own process, not the daemon.
 */
export function launchMarker(paths: ServicePaths, pid: number): string {
  return join(paths.dir, `${LAUNCH_MARKER_PREFIX}${pid}`);
}

/**
 * The pid of the daemon holding the lock, once a file names it. A caller that finds a start still
 * launching (the launcher holds the lock, nothing named yet) waits for the pidfile directory to
 * change. Null when the lock is released meanwhile (the start failed, or a stop came), or when
 * nothing names a holder within `timeoutMs`.
 */
export async function awaitDaemonPid(
  paths: ServicePaths,
  timeoutMs = 10_000,
): Promise<number | null> {
  // The pidfile's directory (where it is written), and the state directory (where the launch
  // marker goes when a start gives up).
  const found = await lookUntil([dirname(paths.pidfile), paths.dir], timeoutMs, () => {
    const insp = inspectService(paths);
    return !insp.running ? null : (insp.pid ?? undefined);
  });
  return found ?? null;
}
