/** `start`: launch a supervisor for a COMMAND, detached, and report once it is really up. */
import { watch } from 'node:fs';
import { dirname, join } from 'node:path';
import { launchDaemon } from './detach/launch.js';
import { findLockHolder, inspectService } from './inspect.js';
import type { ServicePaths } from './paths.js';
import { ensureDir, probeLock } from './pidfile.js';
import type { CommandSpec } from './spec.js';
import { PACKAGE_ROOT } from './sys/root.js';

export type StartResult =
  | { started: true; pid: number; childPid: number | null }
  | { started: false; pid: number | null }; // already running

const SUPERVISOR = join(PACKAGE_ROOT, 'dist', 'supervisor', 'main.cjs');

/**
 * The pid of the instance that holds the lock. A start that lost the race may ask before the
 * winner has written its pidfile, so wait for the pidfile directory to change (bounded).
 */
export async function runningPid(paths: ServicePaths, timeoutMs = 2000): Promise<number | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const insp = inspectService(paths);
    if (!insp.running) return null;
    if (insp.pid !== null && insp.stalePid === null) return insp.pid;
    const left = deadline - Date.now();
    if (left <= 0) return insp.pid ?? findLockHolder(probeLock(paths.lockfile));
    await new Promise<void>((resolve) => {
      const watcher = watch(dirname(paths.pidfile), () => done());
      const timer = setTimeout(done, Math.min(left, 100)); // a rename can land before the watch starts
      function done(): void {
        clearTimeout(timer);
        watcher.close();
        resolve();
      }
    });
  }
}

export async function startService(paths: ServicePaths, spec: CommandSpec): Promise<StartResult> {
  const insp = inspectService(paths);
  if (insp.running) return { started: false, pid: await runningPid(paths) };
  ensureDir(paths.pidfile);
  ensureDir(paths.statefile);
  const outcome = await launchDaemon({
    nodeArgs: [SUPERVISOR],
    env: process.env,
    stdin: '/dev/null',
    stdout: '/dev/null',
    // The supervisor's own complaints, if it ever has any, land beside the COMMAND's.
    stderr: spec.stderr ?? '/dev/null',
    payload: { paths, spec },
  });
  if (outcome.kind === 'running') return { started: false, pid: await runningPid(paths) };
  return { started: true, pid: outcome.pid, childPid: outcome.childPid ?? null };
}

