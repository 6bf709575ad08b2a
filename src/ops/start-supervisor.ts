/**
 * Launching a service's supervisor: a resident node process that runs the COMMAND, with the lock
 * and the fds a start hands over (start-fds.ts); the files that name it written on its behalf.
 */
import { closeSync } from 'node:fs';
import { join } from 'node:path';
import type { ServicePaths } from '../config/paths.js';
import { defaultSchedule } from '../config/schedule.js';
import { instanceEnv, type CommandSpec, type SupervisorPayload } from '../config/spec.js';
import { removeSocketDir } from '../notify/socket-dir.js';
import { findOrphan, stopOrphan } from '../service/orphan.js';
import { writePidfile } from '../service/pidfile.js';
import { serviceFacts } from '../service/service-facts.js';
import { writeSpec } from '../service/spec-file.js';
import { readState, writeState } from '../service/state.js';
import { execSpecFor } from '../spawn/child.js';
import { type LaunchOutcome, launchDaemon } from '../spawn/launch.js';
import { pidfdOpen, pidfdWait } from '../sys/native.js';
import { readProcStat } from '../sys/proc.js';
import { PACKAGE_ROOT } from '../sys/root.js';
import { commandFds, type Handover, inherited, type OpenFds, supervisorFds } from './start-fds.js';

const SUPERVISOR = join(PACKAGE_ROOT, 'dist', 'supervisor', 'main.cjs');
/**
 * A resident supervisor should cost little memory and keep it flat: a 1 MiB young generation
 * (V8's default grows to 16 MiB under the garbage of every restart), a small old space, gc()
 * exposed so it can collect after a COMMAND ends (supervisor/gc.ts), and no optimizing compiler: its
 * code for each restart path would otherwise grow RssAnon by ~1-2 MiB over the first restarts,
 * for code that runs once per exit (Sparkplug's baseline code stays; see docs/decisions.md).
 */
export const SUPERVISOR_NODE_FLAGS = [
  '--max-semi-space-size=1',
  '--max-old-space-size=16',
  '--expose-gc',
  '--no-opt',
  // SIGUSR1 is ours (log reopening), never node's inspector (Node ≥ 22.14 has the flag).
  ...(process.allowedNodeEnvironmentFlags.has('--disable-sigusr1') ? ['--disable-sigusr1'] : []),
];
/**
 * The supervisor's own environment (the COMMAND's is spec.env, made apart): ours, with one malloc
 * arena (its few threads do not need more, and each one costs memory), and without
 * NODE_EXTRA_CA_CERTS: node reads and parses that bundle as it starts (~50 ms for a system's
 * bundle, measured: more than the rest of node's start-up), and a supervisor makes no TLS
 * connection. Its boot is on the path of a stop that comes right after a start.
 */
export function supervisorEnv(): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _unused, ...env } = process.env;
  return { ...env, MALLOC_ARENA_MAX: '1' };
}

/**
 * Under the lock, on the daemon's behalf (as start-stop-daemon does): the pidfile, the spec and
 * a first state exist before we return, even if node has not booted in the daemon yet (it waits
 * for its payload, sent after this, so it cannot overwrite them). The pidfile last: a reader
 * that finds it naming this pid finds this state with it.
 */
function recordLaunch(paths: ServicePaths, spec: CommandSpec, pid: number, commandPid?: number) {
  writeSpec(paths, spec);
  const sup = readProcStat(pid);
  const cmd = commandPid ? readProcStat(commandPid) : null;
  writeState(paths.statefile, {
    version: 1,
    kind: 'supervisor',
    state: spec.graceMs === 0 && !spec.ready ? 'running' : 'starting',
    pid,
    startedAt: Date.now(),
    updatedAt: Date.now(),
    command: spec.command,
    pidfile: paths.pidfile,
    ...serviceFacts(spec),
    ...(sup ? { pidStartTime: sup.startTime } : {}),
    ...(commandPid ? { childPid: commandPid, childPgid: commandPid } : {}),
    ...(cmd ? { childStartTime: cmd.startTime } : {}),
  });
  writePidfile(paths.pidfile, pid);
}

/** Wait (on a pidfd, bounded) for a process to exit; at once if it is gone already. */
async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  let fd: number;
  try {
    fd = pidfdOpen(pid);
  } catch {
    return; // gone
  }
  try {
    await pidfdWait([fd], timeoutMs);
  } finally {
    closeSync(fd);
  }
}

/** The supervisor died before it could report (it never booted, say): its COMMAND must not run
 *  on unsupervised. We still hold the lock, so this cannot race a new start. */
async function cleanUpFailedLaunch(paths: ServicePaths, h: Handover, supervisorPid: number) {
  const left = supervisorPid ? readState(paths.statefile) : null;
  const orphan = findOrphan(left);
  if (orphan && left) await stopOrphan(paths, left, orphan, defaultSchedule());
  // A supervisor that reported the failure is on its way out: a failed start returns once it is
  // gone (and with it the lock), so a retry right after finds nothing in its way.
  if (supervisorPid) await waitForExit(supervisorPid, 2000);
  // The supervisor may never have adopted it. Only the two names we made: never a recursive
  // delete as root where anything else could be (see socket-dir.ts).
  if (h.notify) removeSocketDir(h.notify.path, h.notify.dir);
}

export async function launchSupervisor(
  paths: ServicePaths,
  spec: CommandSpec,
  lockFd: number,
  h: Handover,
  fds: OpenFds,
): Promise<LaunchOutcome> {
  const serviceUid = spec.runAs?.uid;
  const commandSpec = {
    ...spec,
    env: {
      ...spec.env,
      ...(h.notify ? { NOTIFY_SOCKET: h.notify.path } : {}),
      ...instanceEnv(spec, 0),
    },
  };
  let supervisorPid = 0; // 0: not spawned
  return launchDaemon({
    nodeArgs: [...SUPERVISOR_NODE_FLAGS, SUPERVISOR],
    supervisor: true,
    env: supervisorEnv(),
    stdin: '/dev/null',
    stdout: '/dev/null',
    // The supervisor's own complaints, if it ever has any, land beside the COMMAND's.
    stderr: spec.stderr ?? '/dev/null',
    ...(serviceUid !== undefined ? { serviceUid } : {}),
    extraFds: supervisorFds(lockFd, h, fds),
    command: execSpecFor(commandSpec, commandFds(h, fds)),
    // Until the supervisor's handlers are in place (node boots first), a guard watches the
    // COMMAND.
    guardCommand: true,
    onSpawned({ pid, commandPid }) {
      supervisorPid = pid;
      recordLaunch(paths, spec, pid, commandPid);
    },
    payload: ({ commandPid, guardFd }): SupervisorPayload => ({
      paths,
      // recorded in env.json; the supervisor has no use for it
      spec: { ...spec, baseEnv: undefined },
      inherited: inherited(h, fds, commandPid!, guardFd),
    }),
    awaitReport: spec.graceMs > 0 || spec.ready !== undefined,
  }).catch(async (error: unknown) => {
    await cleanUpFailedLaunch(paths, h, supervisorPid);
    throw error;
  });
}
