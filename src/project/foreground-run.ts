/**
 * The state of one `up --foreground` run (project/foreground.ts) and its services' starts: the
 * host that runs them, the first failure (whose code is ours), and the stop of everything.
 */
import { defaultSchedule } from '../config/schedule.js';
import { DaemonError } from '../errors/errors.js';
import { exitCodeFor } from '../errors/exit-codes.js';
import { type ExitRecord, exitCodeOf } from '../service/state.js';
import type { ServiceEvent } from '../supervisor/events.js';
import { SharedHost } from '../supervisor/shared-host.js';
import type { Control } from '../supervisor/shared-server.js';
import type { Project } from './file.js';
import { ownerOf, pathsOf } from './members.js';
import { only } from './order.js';
import type { projectSpecs } from './up.js';

export interface ForegroundHooks {
  /** A service could not start or failed: why (printed by the CLI). */
  failed(service: string, error: DaemonError | string): void;
}

type Specs = ReturnType<typeof projectSpecs>;

export class ForegroundRun {
  readonly host: SharedHost;
  /** The control socket, once served: it closes when its last service has ended. */
  control: Control | null = null;
  /** The first failure's code: ours. */
  failure: number | null = null;
  private stopping = false;
  private readonly hooks: ForegroundHooks;

  constructor(names: ReadonlySet<string>, hooks: ForegroundHooks) {
    this.hooks = hooks;
    const width = Math.max(...[...names].map((n) => n.length));
    this.host = new SharedHost(
      () => this.control?.closeIfIdle(),
      (service) => `${service.padEnd(width)} | `,
    );
  }

  readonly stopAll = (): void => {
    if (this.stopping) return;
    this.stopping = true;
    // As `run`: TERM, and KILL 10 s later; those that come after others first.
    void this.host.stopAll(defaultSchedule(10, 'SIGTERM')).then(() => this.control?.closeIfIdle());
  };

  fail(service: string, code: number, why: DaemonError | string): void {
    if (this.stopping) return;
    this.hooks.failed(service, why);
    this.failure ??= code;
    this.stopAll();
  }

  /** To every COMMAND, as `run` passes them to its one (reopen comes over the socket). */
  pass(signal: NodeJS.Signals): () => void {
    return () => {
      for (const pid of this.host.commands) {
        try {
          process.kill(pid, signal);
        } catch {
          // ended meanwhile
        }
      }
    };
  }

  /** Level by level; one whose dependency failed is not started; no further level once stopping. */
  async startLevels(project: Project, names: ReadonlySet<string>, specs: Specs): Promise<void> {
    const failedOnes = new Set<string>();
    for (const level of only(project.levels, names)) {
      if (this.stopping) break;
      await Promise.all(
        level.map((service) => this.startService(project, service, specs, failedOnes)),
      );
    }
  }

  private async startService(
    project: Project,
    service: string,
    specs: Specs,
    failedOnes: Set<string>,
  ): Promise<void> {
    const blocked = project.services.get(service)!.after.filter((d) => failedOnes.has(d));
    if (blocked.length > 0) return void failedOnes.add(service);
    const started = await startOne(this.host, project, service, specs);
    if (started.error) {
      failedOnes.add(service);
      const exit = await started.done;
      this.fail(service, exit ? exitCodeOf(exit) : exitCodeFor('run', started.code), started.error);
      return;
    }
    void started.done.then((exit) => {
      if (!exit || exit.byStop) return;
      if (exit.code === 0 && !exit.signal) return; // a one-shot: done
      this.fail(service, exitCodeOf(exit), `${project.name}.${service} ended: ${describe(exit)}`);
    });
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
