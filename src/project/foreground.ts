/**
 * `up --foreground` and `run -f FILE`: the whole project in this process, as a container's entry
 * point. It is the project's supervisor (its lock, its control socket: `daemonkit stop --name
 * shop.web` works as on a detached one), runs each service as the shared supervisor does, with
 * every line on our own stdout/stderr prefixed by the service's name (`web | …`). Levels start in
 * order; the first service that fails (ends for good, not by a stop, other than with 0) stops the
 * rest in reverse dependency order, and its code is ours; a stop signal stops everything so too.
 */
import { constants } from 'node:os';
import { DaemonError } from '../errors/errors.js';
import { EXIT, exitCodeFor } from '../errors/exit-codes.js';
import { defaultSchedule } from '../config/schedule.js';
import { acquirePidLock, readPidfile } from '../service/pidfile.js';
import type { ExitRecord } from '../service/state.js';
import { sharedPaths } from '../supervisor/shared-control.js';
import { SharedHost } from '../supervisor/shared-host.js';
import { serveControl, type Control } from '../supervisor/shared-server.js';
import type { ServiceEvent } from '../supervisor/events.js';
import { startReaper } from '../supervisor/reaper.js';
import { routeSignals } from '../sys/signals.js';
import { closeInspector } from '../sys/inspector.js';
import { setChildSubreaper } from '../sys/native.js';
import type { Project } from './file.js';
import { ownerOf, pathsOf } from './members.js';
import { only, withDependencies } from './order.js';
import { projectSpecs } from './up.js';

export interface ForegroundHooks {
  /** A service could not start or failed: why (printed by the CLI). */
  failed(service: string, error: DaemonError | string): void;
}

/** A COMMAND's end as an exit code: its code, or 128+N for a death by signal N. */
export function exitCode(exit: ExitRecord): number {
  if (exit.signal) return 128 + ((constants.signals as Record<string, number>)[exit.signal] ?? 0);
  return exit.code ?? EXIT.GENERIC;
}

export async function projectForeground(
  project: Project,
  selected: readonly string[] | null,
  hooks: ForegroundHooks,
): Promise<number> {
  const graph = new Map([...project.services].map(([k, s]) => [k, s.after]));
  const names = withDependencies(graph, selected ?? [...project.services.keys()]);
  const specs = projectSpecs(project, names, { foreground: true });
  const sp = sharedPaths(project.name);
  const lock = acquirePidLock(sp.lockfile);
  if (!lock) {
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
  // As `run`: our COMMANDs' orphans come to us (as PID 1 of a container, every orphan): reaped.
  if (process.pid !== 1) setChildSubreaper();
  closeInspector();
  const width = Math.max(...[...names].map((n) => n.length));
  let control: Control | null = null;
  const host = new SharedHost(
    () => control?.closeIfIdle(),
    (service) => `${service.padEnd(width)} | `,
  );
  const stopReaper = startReaper((pid) => host.commands.has(pid));
  let failure: number | null = null;
  let stopping = false;
  const stopAll = (): void => {
    if (stopping) return;
    stopping = true;
    // As `run`: TERM, and KILL 10 s later; those that come after others first.
    void host.stopAll(defaultSchedule(10, 'SIGTERM')).then(() => control?.closeIfIdle());
  };
  const fail = (service: string, code: number, why: DaemonError | string): void => {
    if (stopping) return;
    hooks.failed(service, why);
    failure ??= code;
    stopAll();
  };
  const pass = (signal: NodeJS.Signals) => (): void => {
    for (const pid of host.commands) {
      try {
        process.kill(pid, signal);
      } catch {
        // ended meanwhile
      }
    }
  };
  const unroute = routeSignals({
    SIGTERM: stopAll,
    SIGINT: stopAll,
    SIGQUIT: stopAll,
    // To every COMMAND, as `run` passes them to its one (reopen comes over the socket).
    SIGHUP: pass('SIGHUP'),
    SIGUSR1: pass('SIGUSR1'),
    SIGUSR2: pass('SIGUSR2'),
  });
  try {
    let listening!: () => void;
    let broken!: (error: Error) => void;
    let over!: () => void;
    const ready = new Promise<void>((resolve, reject) => {
      listening = resolve;
      broken = reject;
    });
    // Once the control socket has closed (its last service ended), the run is over.
    const finished = new Promise<void>((resolve) => (over = resolve));
    control = serveControl(sp, () => host, lock.fd, {
      ready: () => listening(),
      failed: (error) => broken(error),
      closed: () => over(),
    });
    await ready;
    const failedOnes = new Set<string>();
    for (const level of only(project.levels, names)) {
      if (stopping) break;
      await Promise.all(
        level.map(async (service) => {
          const blocked = project.services.get(service)!.after.filter((d) => failedOnes.has(d));
          if (blocked.length > 0) return void failedOnes.add(service);
          const started = await startOne(host, project, service, specs);
          if (started.error) {
            failedOnes.add(service);
            const exit = await started.done;
            fail(service, exit ? exitCode(exit) : exitCodeFor('run', started.code), started.error);
            return;
          }
          void started.done.then((exit) => {
            if (!exit || exit.byStop) return;
            if (exit.code === 0 && !exit.signal) return; // a one-shot: done
            fail(service, exitCode(exit), `${project.name}.${service} ended: ${describe(exit)}`);
          });
        }),
      );
    }
    if (host.idle) control!.closeIfIdle(); // nothing started at all
    await finished;
    return failure ?? EXIT.OK;
  } finally {
    unroute();
    stopReaper();
  }
}

/** One service added to the host: its start's outcome, and its end. */
async function startOne(
  host: SharedHost,
  project: Project,
  service: string,
  specs: ReturnType<typeof projectSpecs>,
): Promise<{
  error: DaemonError | string | null;
  code: DaemonError['code'];
  done: Promise<ExitRecord | null>;
}> {
  const paths = pathsOf(project.name, service);
  const owner = ownerOf(paths, project.name);
  if (owner.owner === 'other') {
    const error = new DaemonError('START_FAILED', `${paths.display}: not started: ${owner.why}`);
    return { error, code: error.code, done: Promise.resolve(null) };
  }
  let told!: (event: ServiceEvent) => void;
  const outcome = new Promise<ServiceEvent>((resolve) => (told = resolve));
  const run = await host.add(paths, specs.get(service)!, (event) => {
    if (event.type !== 'locked') told(event);
  });
  const event = await outcome;
  const done = run?.done ?? Promise.resolve(null);
  if (event.type === 'running') return { error: null, code: 'START_FAILED', done };
  if (event.type === 'already-running') {
    const error = new DaemonError('START_FAILED', `${paths.display} is already running`);
    return { error, code: error.code, done: Promise.resolve(null) };
  }
  const error =
    event.type === 'start-failed' ? event.error : new DaemonError('START_FAILED', 'not started');
  return { error, code: error.code, done };
}

function describe(exit: ExitRecord): string {
  return exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
}
