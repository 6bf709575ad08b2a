/**
 * `up --foreground` and `run -f FILE`: the whole project in this process, as a container's entry
 * point. It is the project's supervisor (its lock, its control socket: `daemonkit stop --name
 * shop.web` works as on a detached one), runs each service as the shared supervisor does, with
 * every line on our own stdout/stderr prefixed by the service's name (`web | …`). Levels start in
 * order; the first service that fails (ends for good, not by a stop, other than with 0) stops the
 * rest in reverse dependency order, and its code is ours; a stop signal stops everything so too.
 */
import { DaemonError } from '../errors/errors.js';
import { EXIT } from '../errors/exit-codes.js';
import { acquirePidLock, type PidLock, readPidfile } from '../service/pidfile.js';
import { type SharedPaths, sharedPaths } from '../supervisor/shared-control.js';
import { serveControl } from '../supervisor/shared-server.js';
import { startReaper } from '../supervisor/reaper.js';
import { routeSignals } from '../sys/signals.js';
import { closeInspector } from '../sys/inspector.js';
import { setChildSubreaper } from '../sys/native.js';
import type { Project } from './file.js';
import { type ForegroundHooks, ForegroundRun } from './foreground-run.js';
import { withDependencies } from './order.js';
import { projectSpecs } from './up.js';

export type { ForegroundHooks } from './foreground-run.js';

export async function projectForeground(
  project: Project,
  selected: readonly string[] | null,
  hooks: ForegroundHooks,
): Promise<number> {
  const graph = new Map([...project.services].map(([k, s]) => [k, s.after]));
  const names = withDependencies(graph, selected ?? [...project.services.keys()]);
  const specs = projectSpecs(project, names, { foreground: true });
  const sp = sharedPaths(project.name);
  const lock = lockProject(project, sp);
  // As `run`: our COMMANDs' orphans come to us (as PID 1 of a container, every orphan): reaped.
  if (process.pid !== 1) setChildSubreaper();
  closeInspector();
  const run = new ForegroundRun(names, hooks);
  const stopReaper = startReaper((pid) => run.host.commands.has(pid));
  const unroute = routeRunSignals(run);
  try {
    const { finished } = await listen(run, sp, lock);
    await run.startLevels(project, names, specs);
    if (run.host.idle) run.control!.closeIfIdle(); // nothing started at all
    await finished;
    return run.failure ?? EXIT.OK;
  } finally {
    unroute();
    stopReaper();
  }
}

/** The project's lock, or why not: another supervisor of it runs. */
function lockProject(project: Project, sp: SharedPaths): PidLock {
  const lock = acquirePidLock(sp.lockfile);
  if (lock) return lock;
  let pid: number | null = null;
  try {
    pid = readPidfile(sp.pidfile);
  } catch {
    // unreadable: said without a pid
  }
  throw new DaemonError(
    'START_FAILED',
    `project ${project.name} already runs${pid ? ` (its supervisor is pid ${pid})` : ''}: \`daemonkit down -f ${project.shown}\` first`,
  );
}

function routeRunSignals(run: ForegroundRun): () => void {
  return routeSignals({
    SIGTERM: run.stopAll,
    SIGINT: run.stopAll,
    SIGQUIT: run.stopAll,
    // To every COMMAND, as `run` passes them to its one (reopen comes over the socket).
    SIGHUP: run.pass('SIGHUP'),
    SIGUSR1: run.pass('SIGUSR1'),
    SIGUSR2: run.pass('SIGUSR2'),
  });
}

/** The control socket served (awaited); `finished`: it has closed, its last service ended. */
async function listen(
  run: ForegroundRun,
  sp: SharedPaths,
  lock: PidLock,
): Promise<{ finished: Promise<void> }> {
  let listening!: () => void;
  let broken!: (error: Error) => void;
  let over!: () => void;
  const ready = new Promise<void>((resolve, reject) => {
    listening = resolve;
    broken = reject;
  });
  // Once the control socket has closed (its last service ended), the run is over.
  const finished = new Promise<void>((resolve) => (over = resolve));
  run.control = serveControl(sp, () => run.host, lock.fd, {
    ready: () => listening(),
    failed: (error) => broken(error),
    closed: () => over(),
  });
  await ready;
  return { finished };
}
