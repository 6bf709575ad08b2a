/**
 * The caller's side of a project's shared supervisor (supervisor/project-main.ts): found by its
 * lock, launched detached when none runs (as `start` launches a supervisor), and asked over its
 * control socket to run a service, to act on one service's request files, or to say when one has
 * ended. A signal would reach the whole project; a request names its service.
 */
import { closeSync, lstatSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { DaemonError } from '../errors/errors.js';
import type { ServicePaths } from '../config/paths.js';
import { formatSchedule, scheduleDurationMs, type StopSchedule } from '../config/schedule.js';
import type { CommandSpec } from '../config/spec.js';
import { awaitDaemonPid } from '../service/inspect.js';
import {
  acquirePidLock,
  pidHoldsLock,
  probeLock,
  readPidfile,
  type LockProbe,
} from '../service/pidfile.js';
import { writeRequest } from '../service/requests.js';
import { readState } from '../service/state.js';
import { launchDaemon } from '../spawn/launch.js';
import {
  sharedPaths,
  type SharedPaths,
  type SharedPayload,
  type SharedReply,
  type SharedRequest,
} from '../supervisor/shared-control.js';
import { pidfdOpen, pidfdWait } from '../sys/native.js';
import { PACKAGE_ROOT } from '../sys/root.js';
import { lookUntil } from '../sys/watch.js';
import { SUPERVISOR_NODE_FLAGS, type StartResult } from './start.js';
import { supervisorEnv } from './start-supervisor.js';

const PROJECT_SUPERVISOR = join(PACKAGE_ROOT, 'dist', 'supervisor', 'project-main.cjs');

/** Slack for the supervisor to say a stop's schedule ran out, after the schedule's length. */
const MARGIN_MS = 2000;

type Body = SharedRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

/** One connection to the supervisor, kept for the caller's life (`up` of 200 services asks 200
 *  times), holding the event loop only while a reply is due. A reply of null: it closed first (it
 *  was exiting). */
export class Control {
  private next = 1;
  private readonly pending = new Map<number, (reply: SharedReply | null) => void>();
  closed = false;

  constructor(private readonly socket: Socket) {
    socket.unref();
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const reply = JSON.parse(buffer.slice(0, nl)) as SharedReply;
        buffer = buffer.slice(nl + 1);
        this.pending.get(reply.id)?.(reply);
        this.pending.delete(reply.id);
      }
      if (this.pending.size === 0) socket.unref();
    });
    const closed = (): void => {
      this.closed = true;
      for (const resolve of this.pending.values()) resolve(null);
      this.pending.clear();
    };
    socket.on('close', closed);
    socket.on('error', closed);
  }

  request(body: Body): Promise<SharedReply | null> {
    const id = this.next++;
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve(null);
      this.pending.set(id, resolve);
      this.socket.ref();
      this.socket.write(`${JSON.stringify({ ...body, id })}\n`);
    });
  }

  /** Done with it for now: kept open for the next request (unref'd once nothing is due). */
  close(): void {
    // Not on a socket that has closed: node's unref of a socket without a handle waits for a
    // 'connect' that never comes, one listener per call (up of 20 printed node's leak warning).
    if (this.pending.size === 0 && !this.socket.destroyed) this.socket.unref();
  }
}

/** The connection to each project's supervisor this process has made, or is making: callers at
 *  once (`up`'s services of one level) share one look-up, launch and connection. On globalThis:
 *  the CLI's bundles each have their own copy of this module (scripts/bundle.mjs), and `up`'s
 *  and `start`'s must share it. */
type Known = Control | Promise<Control | null>;
const KEY = Symbol.for('daemonkit.sharedConnections');
const connections: Map<string, Known> = ((globalThis as Record<symbol, unknown>)[KEY] ??= new Map<
  string,
  Known
>()) as Map<string, Known>;
const isPromise = (known: Known): known is Promise<Control | null> => 'then' in known;

/** The socket, if a supervisor listens on it: ours (a socket we own), connected. */
function tryConnect(sp: SharedPaths): Promise<Control | null> {
  try {
    const st = lstatSync(sp.socket);
    if (!st.isSocket() || st.uid !== process.geteuid?.()) return Promise.resolve(null);
  } catch {
    return Promise.resolve(null);
  }
  return new Promise((resolve) => {
    const socket = connect(sp.socket);
    socket.once('connect', () => {
      socket.off('error', failed);
      resolve(new Control(socket));
    });
    const failed = (): void => {
      socket.destroy();
      resolve(null);
    };
    socket.once('error', failed);
  });
}

/** The supervisor is up: its lock held by the pid its pidfile names (written once it listens;
 *  one killed with -9 leaves a pidfile and a socket naming nobody), and its socket there (gone
 *  first when it is on its way out). */
function listening(sp: SharedPaths, probe: LockProbe): boolean {
  let pid: number | null = null;
  try {
    pid = readPidfile(sp.pidfile);
    if (!lstatSync(sp.socket).isSocket()) return false;
  } catch {
    return false;
  }
  return pid !== null && pidHoldsLock(pid, probe) === true;
}

/** The lock is held but the supervisor is not up: a launch under way (its pidfile comes), or a
 *  supervisor on its way out (it removes its pidfile once its lock is let go). Wait (bounded). */
async function waitForChange(sp: SharedPaths, ms: number): Promise<void> {
  await lookUntil(sp.dir, ms, () => {
    const probe = probeLock(sp.lockfile);
    return !probe.held || listening(sp, probe) ? true : undefined;
  });
}

/**
 * A connection to the project's supervisor; launched first when none runs and `launch` says so
 * (else null). Two callers at once launch one: the supervisor's lock decides.
 */
export async function supervisorFor(
  project: string,
  home: string,
  launch: boolean,
): Promise<Control | null> {
  const key = `${home}\0${project}`;
  const known = connections.get(key);
  if (known && !isPromise(known)) {
    if (!known.closed) return known;
  } else if (known) {
    const control = await known;
    if (control && !control.closed) return control;
    if (!control && !launch) return null;
    return supervisorFor(project, home, launch); // it closed, or that look-up did not launch
  }
  const finding = findSupervisor(project, home, launch);
  connections.set(key, finding);
  try {
    const control = await finding;
    if (connections.get(key) === finding)
      if (control) connections.set(key, control);
      else connections.delete(key);
    return control;
  } catch (error) {
    if (connections.get(key) === finding) connections.delete(key);
    throw error;
  }
}

async function findSupervisor(
  project: string,
  home: string,
  launch: boolean,
): Promise<Control | null> {
  const sp = sharedPaths(project, home);
  for (let attempt = 0; attempt < 20; attempt++) {
    const probe = probeLock(sp.lockfile);
    if (probe.held) {
      const control = listening(sp, probe) ? await tryConnect(sp) : null;
      if (control) return control;
      await waitForChange(sp, 5000);
      continue;
    }
    if (!launch) return null;
    await launchShared(sp, project, home);
  }
  throw new DaemonError('START_FAILED', `cannot reach the supervisor of project ${project}`);
}

/** Launch the project's supervisor detached, under its lock (a lost race: nothing done). */
async function launchShared(sp: SharedPaths, project: string, home: string): Promise<void> {
  const lock = acquirePidLock(sp.lockfile);
  if (!lock) return;
  try {
    await launchDaemon({
      nodeArgs: [...SUPERVISOR_NODE_FLAGS, PROJECT_SUPERVISOR],
      supervisor: true,
      env: supervisorEnv(),
      stdin: '/dev/null',
      stdout: '/dev/null',
      stderr: sp.log,
      extraFds: [lock.fd],
      payload: (): SharedPayload => ({ project, home, lockFd: 5 }),
    });
  } finally {
    closeSync(lock.fd); // the supervisor holds it through its own copy
  }
}

const homeOf = (paths: ServicePaths): string => dirname(paths.dir);

/** `start` of a project's service: run by the project's supervisor (launched if need be). */
export async function startShared(paths: ServicePaths, spec: CommandSpec): Promise<StartResult> {
  const project = spec.project!.project;
  for (let attempt = 0; attempt < 5; attempt++) {
    const control = (await supervisorFor(project, homeOf(paths), true))!;
    let reply: SharedReply | null;
    try {
      reply = await control.request({ op: 'add', paths, spec });
    } finally {
      control.close();
    }
    if (!reply) continue; // it was on its way out: launch a new one
    if (reply.type === 'running')
      return {
        started: true,
        pid: reply.pid,
        childPid: reply.childPid,
        ...(reply.logError ? { logError: reply.logError } : {}),
      };
    if (reply.type === 'already-running')
      return { started: false, pid: await awaitDaemonPid(paths) };
    if (reply.type === 'start-failed')
      throw new DaemonError(reply.code as DaemonError['code'], reply.message, reply.details);
  }
  throw new DaemonError('START_FAILED', `${paths.display}: its project's supervisor kept exiting`);
}

/** The supervisor of a running project service (its state names the project). */
async function controlOf(paths: ServicePaths): Promise<Control | null> {
  const project = readState(paths.statefile)?.project?.project;
  return project ? supervisorFor(project, homeOf(paths), false) : null;
}

/**
 * `stop` of a service of a shared supervisor: its request left, the supervisor asked to act on
 * it (never a signal: that would stop the project), and its end waited for. true once it is gone;
 * false when the schedule ran out with the COMMAND still there.
 */
export async function stopShared(
  paths: ServicePaths,
  schedule: StopSchedule,
  forRestart: boolean,
): Promise<boolean> {
  writeRequest(paths.stopRequest, 'stop', {
    schedule: formatSchedule(schedule),
    ...(forRestart ? { restart: true } : {}),
  });
  const requestedAt = Date.now();
  const control = await controlOf(paths);
  if (!control) return !probeLock(paths.lockfile).held;
  try {
    const name = paths.name ?? paths.display;
    const gone = control.request({ op: 'wait', name }).then(() => 'gone' as const);
    await control.request({ op: 'requests', name });
    let timer: NodeJS.Timeout | undefined;
    const first = await Promise.race([
      gone,
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), scheduleDurationMs(schedule));
      }),
    ]);
    clearTimeout(timer);
    if (first === 'gone') return true;
    // The supervisor runs the schedule from a moment after our request: when it ends with the
    // COMMAND still there, it says so in the service's state. Wait for that word, or the end.
    let stop = false;
    const answer = await Promise.race([
      gone,
      lookUntil(dirname(paths.statefile), MARGIN_MS, () => {
        if (stop) return 'gone' as const;
        const now = readState(paths.statefile);
        return (now?.stopRanOut?.at ?? 0) >= requestedAt ? ('ran out' as const) : undefined;
      }),
    ]);
    stop = true;
    return answer === 'gone';
  } finally {
    control.close();
  }
}

/** `reopen` of a service of a shared supervisor: its request, and the supervisor told of it. */
export async function reopenShared(paths: ServicePaths): Promise<void> {
  const control = await controlOf(paths);
  if (!control) throw new DaemonError('NOT_RUNNING', `${paths.display} is not running`);
  try {
    await control.request({ op: 'requests', name: paths.name ?? paths.display });
  } finally {
    control.close();
  }
}

/** A pidfd on the project's supervisor, taken while it holds its lock (so the pid is verified
 *  and cannot be another's by the time we wait), or null when none runs. */
export function sharedPidfd(project: string, home: string): number | null {
  const sp = sharedPaths(project, home);
  const probe = probeLock(sp.lockfile);
  if (!probe.held) return null;
  let pid: number | null = null;
  try {
    pid = readPidfile(sp.pidfile);
  } catch {
    return null; // unreadable: sharedGone looks at the lock only
  }
  if (pid === null) return null;
  let fd: number;
  try {
    fd = pidfdOpen(pid);
  } catch {
    return null;
  }
  if (pidHoldsLock(pid, probe) === true) return fd;
  closeSync(fd);
  return null;
}

/** The project's supervisor gone (`down` of a whole project leaves nothing running): waited for
 *  on its pidfd, taken before the stops (sharedPidfd; closed here), bounded. The lock alone is
 *  not enough: it is let go a moment before the process has exited. */
export async function sharedGone(
  project: string,
  home: string,
  ms: number,
  pidfd: number | null = sharedPidfd(project, home),
): Promise<boolean> {
  const sp = sharedPaths(project, home);
  if (pidfd !== null) {
    try {
      await pidfdWait([pidfd], ms);
    } finally {
      closeSync(pidfd);
    }
  } else if (probeLock(sp.lockfile).held) await waitForChange(sp, ms);
  return !probeLock(sp.lockfile).held;
}
