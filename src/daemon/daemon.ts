/**
 * The classic "generic Daemon class", done right: subclass it, implement run(), call main().
 *   class Worker extends Daemon { async run(signal) { … } }
 *   await new Worker({ name: 'worker' }).main();   // start|stop|restart|status|run from argv
 */
import { attachDaemon, type DaemonChannel } from '../spawn/attach.js';
import { DaemonError, isDaemonError } from '../errors/errors.js';
import { exitCodeFor, EXIT, type Action } from '../errors/exit-codes.js';
import { readEnvRecord } from '../config/env-record.js';
import { reloadService } from '../ops/reload.js';
import { inspectService } from '../service/inspect.js';
import { Problems, validateStop } from '../config/options.js';
import { serviceStatus, type ServiceStatus } from '../service/status.js';
import { statusLine, terminalSafe } from '../service/format.js';
import { stopService, type StopResult } from '../ops/stop.js';
import type { StopSchedule } from '../config/schedule.js';
import { enterDaemon, type DaemonContext } from './context.js';
import { runningPid } from '../ops/start.js';
import { becomeDaemon, launchSelf, preparePidfile, reportFailure } from './daemonize.js';
import {
  detaches,
  libraryOptionError,
  resolveDaemonOptions,
  type DaemonizeOptions,
} from './daemon-options.js';
import { superviseWorker, takeWorkerMarker } from './supervised.js';
import { checkStatus } from '../notify/systemd.js';
import { routeSignals } from '../sys/signals.js';

export interface DaemonOptions extends DaemonizeOptions {
  /** 0: silent (default); 1: "Starting…/Started/Stopping…/Stopped", printed by main() only. */
  verbose?: 0 | 1;
  /** Stop schedule, start-stop-daemon syntax (default TERM/10/KILL/5). */
  retry?: string;
}

/** The actions main() takes from argv, each with the CLI's exit codes for it. */
const ACTIONS: readonly Action[] = ['start', 'stop', 'restart', 'status', 'reload', 'run'];

/**
 * While run() is pending the daemon lives, whatever else holds the event loop: a run() that only
 * awaits its abort signal (the README's idiom) holds nothing, and node would exit at once. A
 * ref'd timer that fires every ~24.8 days (the longest node allows) costs no CPU meanwhile.
 */
function holdEventLoop(): () => void {
  const timer = setInterval(() => undefined, 2 ** 31 - 1);
  return () => clearInterval(timer);
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
    const letGo = holdEventLoop();
    try {
      const running = Promise.resolve().then(() => this.run(ctx.signal));
      if (!this.options.waitForReady) {
        // Readiness = run() has started and did not fail at once.
        await Promise.race([running, new Promise((resolve) => setImmediate(resolve))]);
        ctx.ready();
      }
      await running;
      ctx.release();
      return true;
    } catch (error) {
      // Released first: whoever hears of the failed start finds no pidfile and a failed state.
      ctx.release({ failed: true, error: (error as Error)?.message ?? String(error) });
      if (channel) reportFailure(channel, error);
      throw error;
    } finally {
      letGo();
    }
  }

  /** The worker copy under a restart policy: run() only; the supervising daemon holds the lock. */
  private async runWorker(): Promise<void> {
    const controller = new AbortController();
    const abort = (): void => controller.abort();
    const reload = (): void => void Promise.resolve(this.onReload()).catch(() => undefined);
    const unroute = routeSignals({ SIGTERM: abort, SIGINT: abort, SIGHUP: reload });
    this.ctx = {
      signal: controller.signal,
      get alive() {
        return !controller.signal.aborted;
      },
      pid: process.pid,
      ready() {},
      setStatus() {},
      release() {},
    };
    const letGo = holdEventLoop();
    try {
      await this.run(controller.signal);
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
    const say = (text: string): void => {
      if (this.options.verbose) process.stdout.write(`${text}\n`);
    };
    const worker = takeWorkerMarker();
    const channel = worker ? null : attachDaemon();
    const action = worker ? 'worker' : channel ? 'daemon' : argv[0];
    const code = await this.dispatch(action, channel, say, argv.slice(1)).catch(
      (error: unknown) => {
        if (!isDaemonError(error)) throw error;
        process.stderr.write(`${terminalSafe(error.message)}\n`);
        const tail = error.details.stderrTail;
        if (Array.isArray(tail))
          for (const line of tail) process.stderr.write(`  | ${terminalSafe(String(line))}\n`);
        return exitCodeFor(
          ACTIONS.includes(action as Action) ? (action as Action) : 'start',
          error.code,
        );
      },
    );
    process.exitCode = code;
    return code;
  }

  /** `start` from the command line: detach and report, or (new-style) be the daemon, silently. */
  private async startAction(
    say: (t: string) => void,
    env: NodeJS.ProcessEnv = process.env,
  ): Promise<number> {
    if (!detaches(this.options)) {
      const r = await this.startInForeground();
      if (!r.started) say(`Already running, pid ${r.pid ?? 'unknown'}`);
      return EXIT.OK;
    }
    say('Starting…');
    const r = await launchSelf(this.options, env);
    say(r.started ? 'Started' : `Already running, pid ${r.pid ?? 'unknown'}`);
    return EXIT.OK;
  }

  private async dispatch(
    action: string | undefined,
    channel: DaemonChannel | null,
    say: (t: string) => void,
    argv: readonly string[] = [],
  ): Promise<number> {
    switch (action) {
      case 'daemon':
        await this.runAsDaemon(channel);
        return EXIT.OK;
      case 'worker':
        await this.runWorker();
        return EXIT.OK;
      case 'start':
        return this.startAction(say);
      case 'stop': {
        say('Stopping…');
        const r = await this.stop();
        say(r.wasRunning ? 'Stopped' : 'Not running');
        return EXIT.OK;
      }
      case 'restart': {
        const env = this.restartEnv(argv.includes('--update-env'));
        say('Stopping…');
        await this.stop();
        return this.startAction(say, env);
      }
      case 'reload': {
        // As `daemonkit reload`: SIGHUP to the daemon (verified first), which runs onReload().
        const { pid } = reloadService(this.paths, 'SIGHUP');
        say(`Sent SIGHUP to pid ${pid}`);
        return EXIT.OK;
      }
      case 'status': {
        const s = this.status();
        process.stdout.write(`${terminalSafe(statusLine(s))}\n`); // the CLI's line: pid, uptime, memory, or why not
        return s.code;
      }
      case 'run':
        await this.runForeground();
        return EXIT.OK;
      default:
        process.stderr.write(
          `usage: ${process.argv[1] ?? 'program'} start|stop|restart [--update-env]|status|reload|run\n`,
        );
        return EXIT.BAD_ARGS;
    }
  }
}
