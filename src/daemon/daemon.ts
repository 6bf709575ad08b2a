/**
 * The classic "generic Daemon class", done right: subclass it, implement run(), call main().
 *   class Worker extends Daemon { async run(signal) { … } }
 *   await new Worker({ name: 'worker' }).main();   // start|stop|restart|status|run from argv
 * Here, which way a start goes (launch a detached copy, be the daemon, or supervise a worker);
 * running run() itself is run.ts's, and main()'s argv and printing main.ts's.
 */
import { attachDaemon, type DaemonChannel } from '../spawn/attach.js';
import { DaemonError } from '../errors/errors.js';
import { readEnvRecord } from '../service/spec-file.js';
import { inspectService } from '../service/inspect.js';
import { Problems, validateStop } from '../config/options.js';
import { serviceStatus, type ServiceStatus } from '../service/status.js';
import { stopService, type StopResult } from '../ops/stop.js';
import type { StopSchedule } from '../config/schedule.js';
import { enterDaemon, type DaemonContext } from './context.js';
import { runningPid } from '../ops/start.js';
import { becomeDaemon, launchSelf, preparePidfile } from './daemonize.js';
import {
  detaches,
  libraryOptionError,
  resolveDaemonOptions,
  type DaemonizeOptions,
} from './daemon-options.js';
import { superviseWorker, takeWorkerMarker } from './supervised.js';
import { checkStatus } from '../notify/systemd.js';
import { type DaemonActions, runMain } from './main.js';
import { runInContext, workerContext, holdEventLoop } from './run.js';

export interface DaemonOptions extends DaemonizeOptions {
  /** 0: silent (default); 1: "Starting…/Started/Stopping…/Stopped", printed by main() only. */
  verbose?: 0 | 1;
  /** Stop schedule, start-stop-daemon syntax (default TERM/10/KILL/5). */
  retry?: string;
}

export abstract class Daemon {
  protected readonly options: DaemonOptions;
  private ctx: DaemonContext | null = null;
  private readonly schedule: StopSchedule;

  constructor(options: DaemonOptions) {
    const problems = new Problems();
    this.schedule = validateStop(
      options.retry !== undefined ? { retry: options.retry } : {},
      problems,
    );
    if (problems.list.length > 0) throw libraryOptionError(problems.list);
    resolveDaemonOptions(options); // every other problem, now rather than at start()
    this.options = options;
  }

  /** The daemon's work. `signal` aborts on SIGTERM/SIGINT: finish up and return. */
  abstract run(signal: AbortSignal): Promise<void> | void;

  /** SIGHUP: reload configuration. Override it. */
  onReload(): void | Promise<void> {}

  /** The classic `daemon_alive`: false once SIGTERM/SIGINT has arrived. */
  get alive(): boolean {
    return this.ctx?.alive ?? false;
  }

  /** Declare readiness (with `waitForReady: true`, the launcher waits for it; READY=1 under
   *  systemd). */
  ready(): void {
    this.ctx?.ready();
  }

  /** What the daemon is doing, for a service manager (STATUS=…; nothing outside one). One line. */
  setStatus(text: string): void {
    checkStatus(text);
    this.ctx?.setStatus(text);
  }

  private get paths() {
    return resolveDaemonOptions(this.options).paths;
  }

  /**
   * In the launcher: start the daemon and resolve once it is ready ({started:false} if it
   * already runs). In the daemon itself: run run() and resolve when it has returned. Started by
   * a service manager or as a container's init (option `detach`, detect.ts), this process is the
   * daemon: no fork; it resolves when run() has returned ({started:false} if it already runs).
   */
  async start(): Promise<{ started: boolean; pid: number | null }> {
    if (takeWorkerMarker()) {
      await this.runWorker();
      return { started: true, pid: process.pid };
    }
    const channel = attachDaemon();
    if (channel) {
      await this.runAsDaemon(channel);
      return { started: true, pid: process.pid };
    }
    return this.launch(process.env);
  }

  /** Launcher side: detach a copy of this program with this environment, or (new-style) be the
   *  daemon. */
  private launch(env: NodeJS.ProcessEnv): Promise<{ started: boolean; pid: number | null }> {
    return detaches(this.options) ? launchSelf(this.options, env) : this.startInForeground();
  }

  /**
   * The environment for a restart: the one the daemon was started with (recorded in env.json, as
   * `daemonkit start` records it), unless `updateEnv` asks for this process's own.
   */
  private restartEnv(updateEnv: boolean): NodeJS.ProcessEnv {
    return updateEnv ? process.env : (readEnvRecord(this.paths) ?? process.env);
  }

  /** New-style start: this process is the daemon, as with `run`, restart policy included. */
  private async startInForeground(): Promise<{ started: boolean; pid: number | null }> {
    preparePidfile(this.paths);
    if (await this.runAsDaemon(null, 'start')) return { started: true, pid: process.pid };
    return { started: false, pid: await runningPid(this.paths) };
  }

  /** false: another instance holds the lock (with `foreground: 'run'`, that throws instead). */
  private async runAsDaemon(
    channel: DaemonChannel | null,
    foreground: 'start' | 'run' = 'run',
  ): Promise<boolean> {
    const valid = resolveDaemonOptions(this.options);
    if (valid.start.restart.restart !== 'no' && (channel || foreground === 'start')) {
      return (await superviseWorker(channel, valid.start, valid.paths)).started;
    }
    const hooks = { onReload: () => this.onReload() };
    let ctx: DaemonContext | null;
    if (channel) {
      ctx = becomeDaemon(channel, { ...this.options, waitForReady: true }, hooks);
    } else {
      ctx = enterDaemon(this.paths, hooks); // foreground: same lock and pidfile, no detaching
      if (!ctx && foreground === 'run')
        throw new DaemonError('START_FAILED', `${this.paths.display} is already running`);
    }
    if (!ctx) return false; // another instance won the lock
    this.ctx = ctx;
    await runInContext(ctx, (signal) => this.run(signal), this.options.waitForReady, channel);
    return true;
  }

  /** The worker copy under a restart policy: run() only; the supervising daemon holds the lock. */
  private async runWorker(): Promise<void> {
    const { ctx, unroute } = workerContext(() => this.onReload());
    this.ctx = ctx;
    const letGo = holdEventLoop();
    try {
      await this.run(ctx.signal);
    } finally {
      letGo();
      unroute();
    }
  }

  /** Run in the foreground: the same lock and pidfile, no detaching (systemd, containers). */
  async runForeground(): Promise<void> {
    await this.runAsDaemon(null);
  }

  async stop(): Promise<StopResult> {
    return stopService(this.paths, this.schedule);
  }

  /** Stop, then start again with the environment recorded at start (`updateEnv`: this
   *  process's). */
  async restart(
    options: { updateEnv?: boolean } = {},
  ): Promise<{ started: boolean; pid: number | null }> {
    // a damaged record is said before anything stops
    const env = this.restartEnv(options.updateEnv === true);
    await this.stop();
    return this.launch(env);
  }

  status(): ServiceStatus {
    return serviceStatus(this.paths);
  }

  getPid(): number | null {
    const insp = inspectService(this.paths);
    return insp.running ? insp.pid : null;
  }

  isRunning(): boolean {
    return inspectService(this.paths).running;
  }

  /**
   * start|stop|restart|status|run from argv, with the CLI's exit codes (set on process.exitCode
   * and returned). The one method that prints, as the classic class does, when verbose is 1.
   */
  async main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
    return runMain(this.actions(), argv);
  }

  /** What main() (main.ts) drives. */
  private actions(): DaemonActions {
    return {
      verbose: () => Boolean(this.options.verbose),
      paths: () => this.paths,
      detaches: () => detaches(this.options),
      runAsDaemon: (channel) => this.runAsDaemon(channel),
      runWorker: () => this.runWorker(),
      startInForeground: () => this.startInForeground(),
      launchSelf: (env) => launchSelf(this.options, env),
      stop: () => this.stop(),
      restartEnv: (updateEnv) => this.restartEnv(updateEnv),
      status: () => this.status(),
      runForeground: () => this.runForeground(),
    };
  }
}
