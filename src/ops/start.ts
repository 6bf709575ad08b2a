/**
 * `start`: take the service's lock, then fork the daemon (supervisor) whose first act is to
 * exec the COMMAND, so `--grace 0` returns without waiting for node to boot in the daemon. The
 * supervisor inherits the lock fd, and the pidfile names it before we return.
 */
import { closeSync, rmSync, writeFileSync } from 'node:fs';
import type { ServicePaths } from '../config/paths.js';
import type { CommandSpec } from '../config/spec.js';
import { errnoCode } from '../errors/errors.js';
import { awaitDaemonPid, inspectService, launchMarker } from '../service/inspect.js';
import {
  acquirePidLock,
  ensureDir,
  type PidLock,
  refuseOddPidfile,
  refuseUnsafePidfile,
} from '../service/pidfile.js';
import { closeListeners } from '../spawn/listen.js';
import type { LaunchOutcome } from '../spawn/launch.js';
import { emptyHandover, openFds, tryLogFiles } from './start-fds.js';
import { clearLeftovers, stopLeftCommand } from './start-leftovers.js';
import { launchSupervisor } from './start-supervisor.js';

export { SUPERVISOR_NODE_FLAGS } from './start-supervisor.js';

export type StartResult =
  | { started: true; pid: number; childPid: number | null; logError?: string }
  | { started: false; pid: number | null }; // already running

/**
 * The pid of the instance that holds the lock, for an "already running" answer. A start that lost
 * the race asks while the winner is still launching: wait for a file to name the daemon. Null when
 * the lock was released meanwhile (the winning start failed, or a stop came): the caller may try to
 * start after all.
 */
export async function runningPid(paths: ServicePaths, timeoutMs = 10_000): Promise<number | null> {
  const pid = await awaitDaemonPid(paths, timeoutMs);
  if (pid !== null) return pid;
  const insp = inspectService(paths);
  return insp.running ? (insp.pid ?? insp.holder) : null;
}

/** How often a start that found the lock released under it tries again before giving up. */
const START_ATTEMPTS = 5;

export async function startService(paths: ServicePaths, spec: CommandSpec): Promise<StartResult> {
  // A project's service runs under the project's one supervisor (ops/shared.ts).
  if (spec.project) return (await import('./shared.js')).startShared(paths, spec);
  for (let attempt = 1; ; attempt++) {
    const result = await startOnce(paths, spec);
    if (result !== 'lock-released') return result;
    if (attempt === START_ATTEMPTS) return { started: false, pid: null };
  }
}

/** Say that we hold the lock without being the daemon, before we take it (a marker made after
 *  taking the lock would leave a moment in which a stop could take us for the daemon). */
function markLaunch(paths: ServicePaths): string {
  const marker = launchMarker(paths, process.pid);
  try {
    writeFileSync(marker, '');
  } catch (error) {
    // `daemonkit rm` took the directory away just now: make a fresh one (once).
    if (errnoCode(error) !== 'ENOENT') throw error;
    ensureDir(paths.statefile);
    writeFileSync(marker, '');
  }
  return marker;
}

/** The lock, or null (held by another): the marker goes unless we hold it. */
function lockOrUnmark(paths: ServicePaths, marker: string): PidLock | null {
  let lock: PidLock | null = null;
  try {
    lock = acquirePidLock(paths.lockfile);
  } finally {
    if (!lock) rmSync(marker, { force: true });
  }
  return lock;
}

/** One try: 'lock-released' when another start held the lock and then let go without a daemon. */
async function startOnce(
  paths: ServicePaths,
  spec: CommandSpec,
): Promise<StartResult | 'lock-released'> {
  if (inspectService(paths).running) return alreadyRunning(paths);
  refuseOddPidfile(paths.pidfile); // before anything is created or spawned
  refuseUnsafePidfile(paths.pidfile);
  ensureDir(paths.pidfile);
  ensureDir(paths.statefile);
  const marker = markLaunch(paths);
  const lock = lockOrUnmark(paths, marker);
  if (!lock) return alreadyRunning(paths);
  const h = emptyHandover();
  try {
    clearLeftovers(paths); // under the lock: nobody else's
    await stopLeftCommand(paths);
    tryLogFiles(spec);
    const outcome = await launchSupervisor(paths, spec, lock.fd, h, openFds(h, spec, paths));
    if (outcome.kind === 'running') return alreadyRunning(paths);
    h.launched = true;
    return started(outcome);
  } finally {
    for (const fd of h.owned) closeSync(fd);
    closeListeners(h.listeners, { remove: !h.launched });
    closeSync(lock.fd); // the supervisor holds the lock through its own copy of the fd
    // The daemon is named by now, or the start failed and the lock is let go: only then may the
    // marker go (a holder without one, named by no file, is taken for the daemon).
    rmSync(marker, { force: true });
  }
}

function started(outcome: Exclude<LaunchOutcome, { kind: 'running' }>): StartResult {
  const logError = outcome.kind === 'ready' ? outcome.logError : undefined;
  return {
    started: true,
    pid: outcome.pid,
    childPid: outcome.childPid ?? null,
    ...(logError ? { logError } : {}),
  };
}

async function alreadyRunning(paths: ServicePaths): Promise<StartResult | 'lock-released'> {
  const pid = await runningPid(paths);
  return pid === null ? 'lock-released' : { started: false, pid };
}
