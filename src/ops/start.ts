/**
 * `start`: take the service's lock, then fork the daemon (supervisor) whose first act is to
 * exec the COMMAND, so `--grace 0` returns without waiting for node to boot in the daemon. The
 * supervisor inherits the lock fd, and the pidfile names it before we return.
 */
import { closeSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchDaemon } from '../spawn/launch.js';
import { DaemonError, errnoCode } from '../errors/errors.js';
import {
  awaitDaemonPid,
  inspectService,
  launchMarker,
  LAUNCH_MARKER_PREFIX,
} from '../service/inspect.js';
import { describeOrphan, findOrphan, stopOrphan } from '../service/orphan.js';
import { defaultSchedule } from '../config/schedule.js';
import type { ServicePaths } from '../config/paths.js';
import {
  acquirePidLock,
  type PidLock,
  ensureDir,
  refuseOddPidfile,
  refuseUnsafePidfile,
  writePidfile,
} from '../service/pidfile.js';
import type { CommandSpec, SupervisorPayload } from '../config/spec.js';
import { readState, writeState } from '../service/state.js';
import { writeSpec } from '../service/spec-file.js';
import { serviceFacts } from '../service/service-facts.js';
import { execSpecFor, openStdin } from '../spawn/child.js';
import { openAppend } from '../spawn/launch.js';
import { createPipes } from '../logs/write/capture.js';
import { removeLeftSocketDir, removeSocketDir } from '../notify/socket-dir.js';
import { makePipe, pidfdOpen, pidfdWait } from '../sys/native.js';
import { readProcStat } from '../sys/proc.js';
import { PACKAGE_ROOT } from '../sys/root.js';
import { afterListen, readyFdLayout } from '../notify/readiness.js';
import { closeListeners, openListeners, ownershipOf, type Listener } from '../spawn/listen.js';
import { openNotifyListener } from '../notify/hub.js';
import type { NotifyHandle } from '../notify/listener.js';

export type StartResult =
  | { started: true; pid: number; childPid: number | null; logError?: string }
  | { started: false; pid: number | null }; // already running

const SUPERVISOR = join(PACKAGE_ROOT, 'dist', 'supervisor', 'main.cjs');
/**
 * A resident supervisor should cost little memory and keep it flat: a 1 MiB young generation
 * (V8's default grows to 16 MiB under the garbage of every restart), a small old space, gc()
 * exposed so it can collect after a COMMAND ends (service.ts), and no optimizing compiler: its
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

/** Where the supervisor finds the lock fd it inherits (after stdio, report and payload pipes);
 *  the log pipes (stdout read, write, stderr read, write) follow it. */
const LOCK_FD = 5;

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
  // We are about to hold the lock without being the daemon: say so first (a marker made after
  // taking the lock would leave a moment in which a stop could take us for the daemon).
  const marker = launchMarker(paths, process.pid);
  try {
    writeFileSync(marker, '');
  } catch (error) {
    // `daemonkit rm` took the directory away just now: make a fresh one (once).
    if (errnoCode(error) !== 'ENOENT') throw error;
    ensureDir(paths.statefile);
    writeFileSync(marker, '');
  }
  let lock: PidLock | null = null;
  try {
    lock = acquirePidLock(paths.lockfile);
  } finally {
    if (!lock) rmSync(marker, { force: true });
  }
  if (!lock) return alreadyRunning(paths);
  const owned: number[] = [];
  let notifyHandle: NotifyHandle | null = null;
  let listeners: Listener[] = [];
  let launched = false; // the supervisor holds the sockets now: their files are its to remove
  try {
    clearLeftovers(paths); // under the lock: nobody else's
    // A COMMAND left running by a supervisor that was killed must not get a twin.
    const recorded = readState(paths.statefile);
    const orphan = findOrphan(recorded);
    if (orphan && recorded && !(await stopOrphan(paths, recorded, orphan, defaultSchedule()))) {
      throw new DaemonError(
        'START_FAILED',
        `${paths.display}: ${describeOrphan(orphan)}, and it would not stop`,
      );
    }
    // The supervisor owns the log files; the COMMAND writes into pipes that it reads. Open the
    // files here once anyway, so an unwritable one is this start's error, said on its stderr.
    const serviceUid = spec.runAs?.uid;
    for (const file of new Set([spec.stdout!, spec.stderr!]))
      closeSync(
        openAppend(file, { createDir: true, ...(serviceUid !== undefined ? { serviceUid } : {}) }),
      );
    const stdin = openStdin(spec);
    owned.push(stdin);
    const pipes = createPipes(spec);
    owned.push(...[pipes.stdout, pipes.stderr].flatMap((pair) => pair ?? []));
    const [outRead, outWrite] = pipes.stdout!;
    const [errRead, errWrite] = pipes.stderr!;
    // --ready fd:N: the first COMMAND gets a pipe's write end at N; the supervisor reads it.
    const readyPipe = spec.ready?.kind === 'fd' ? makePipe() : null;
    if (readyPipe) owned.push(...readyPipe);
    const readyFds =
      readyPipe && spec.ready?.kind === 'fd'
        ? readyFdLayout(spec.ready.fd, readyPipe[1], afterListen(spec))
        : [];
    // --ready notify: the socket exists before the first COMMAND runs; the supervisor adopts it.
    notifyHandle =
      spec.ready?.kind === 'notify'
        ? openNotifyListener(paths.dir, spec.runAs?.drop ? spec.runAs : undefined).handOver()
        : null;
    if (notifyHandle) owned.push(notifyHandle.fd, notifyHandle.wake);
    const commandSpec = notifyHandle
      ? { ...spec, env: { ...spec.env, NOTIFY_SOCKET: notifyHandle.path } }
      : spec;
    const readyExtra = readyPipe
      ? [readyPipe[0]]
      : notifyHandle
        ? [notifyHandle.fd, notifyHandle.wake]
        : [];
    // --listen: bound here, as the caller (root, before the COMMAND drops to --user), for the
    // supervisor to hold for the service's life; the first COMMAND gets them at 3, 4, …
    listeners = openListeners(spec.listen ?? [], ownershipOf(spec));
    const listenFds = listeners.map((l) => l.fd);
    const listenAt = LOCK_FD + 5 + readyExtra.length; // where the supervisor finds them
    let spawned = false;
    let supervisorPid = 0;
    const outcome = await launchDaemon({
      nodeArgs: [...SUPERVISOR_NODE_FLAGS, SUPERVISOR],
      supervisor: true,
      env: supervisorEnv(),
      stdin: '/dev/null',
      stdout: '/dev/null',
      // The supervisor's own complaints, if it ever has any, land beside the COMMAND's.
      stderr: spec.stderr ?? '/dev/null',
      ...(serviceUid !== undefined ? { serviceUid } : {}),
      extraFds: [lock.fd, outRead, outWrite, errRead, errWrite, ...readyExtra, ...listenFds],
      command: execSpecFor(commandSpec, [stdin, outWrite, errWrite, ...listenFds, ...readyFds]),
      // Until the supervisor's handlers are in place (node boots first), a guard watches the
      // COMMAND.
      guardCommand: true,
      onSpawned({ pid, commandPid }) {
        spawned = true;
        supervisorPid = pid;
        // Under the lock, on the daemon's behalf (as start-stop-daemon does): the pidfile, the
        // spec and a first state exist before we return, even if node has not booted in the
        // daemon yet (it waits for its payload, sent after this, so it cannot overwrite them).
        // The pidfile last: a reader that finds it naming this pid finds this state with it.
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
      },
      payload: ({ commandPid, guardFd }): SupervisorPayload => ({
        paths,
        // recorded in env.json; the supervisor has no use for it
        spec: { ...spec, baseEnv: undefined },
        inherited: {
          lockFd: LOCK_FD,
          adopted: { pid: commandPid! },
          ...(guardFd !== undefined ? { guardFd } : {}),
          pipes: { stdout: [LOCK_FD + 1, LOCK_FD + 2], stderr: [LOCK_FD + 3, LOCK_FD + 4] },
          ...(readyPipe ? { readyFd: LOCK_FD + 5 } : {}),
          ...(notifyHandle
            ? { notify: { ...notifyHandle, fd: LOCK_FD + 5, wake: LOCK_FD + 6 } }
            : {}),
          ...(listeners.length > 0
            ? { listen: listeners.map((l, i) => ({ ...l, fd: listenAt + i })) }
            : {}),
        },
      }),
      awaitReport: spec.graceMs > 0 || spec.ready !== undefined,
    }).catch(async (error: unknown) => {
      // The supervisor died before it could report (it never booted, say): its COMMAND must
      // not run on unsupervised. We still hold the lock, so this cannot race a new start.
      const left = spawned ? readState(paths.statefile) : null;
      const orphan = findOrphan(left);
      if (orphan && left) await stopOrphan(paths, left, orphan, defaultSchedule());
      // A supervisor that reported the failure is on its way out: a failed start returns once
      // it is gone (and with it the lock), so a retry right after finds nothing in its way.
      if (supervisorPid) await waitForExit(supervisorPid, 2000);
      // The supervisor may never have adopted it. Only the two names we made: never a recursive
      // delete as root where anything else could be (see socket-dir.ts).
      if (notifyHandle) removeSocketDir(notifyHandle.path, notifyHandle.dir);
      throw error;
    });
    if (outcome.kind === 'running') return alreadyRunning(paths);
    launched = true;
    const logError = outcome.kind === 'ready' ? outcome.logError : undefined;
    return {
      started: true,
      pid: outcome.pid,
      childPid: outcome.childPid ?? null,
      ...(logError ? { logError } : {}),
    };
  } finally {
    for (const fd of owned) closeSync(fd);
    closeListeners(listeners, { remove: !launched });
    closeSync(lock.fd); // the supervisor holds the lock through its own copy of the fd
    // The daemon is named by now, or the start failed and the lock is let go: only then may the
    // marker go (a holder without one, named by no file, is taken for the daemon).
    rmSync(marker, { force: true });
  }
}

async function alreadyRunning(paths: ServicePaths): Promise<StartResult | 'lock-released'> {
  const pid = await runningPid(paths);
  return pid === null ? 'lock-released' : { started: false, pid };
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

/**
 * What an earlier life of the service may have left: a stop or reopen request that was never
 * taken (its supervisor died first; a new supervisor would act on it), a notify socket directory
 * of a supervisor that was killed, the launch marker of a start that was killed.
 */
function clearLeftovers(paths: ServicePaths): void {
  for (const file of [paths.stopRequest, paths.reopenRequest]) rmSync(file, { force: true });
  let entries: string[] = [];
  try {
    entries = readdirSync(paths.dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.startsWith('dk-notify-')) removeLeftSocketDir(join(paths.dir, entry));
    // A launcher's marker left by one that was killed (ours is kept: we are launching).
    if (entry.startsWith(LAUNCH_MARKER_PREFIX) && entry !== `${LAUNCH_MARKER_PREFIX}${process.pid}`)
      rmSync(join(paths.dir, entry), { force: true });
  }
}
