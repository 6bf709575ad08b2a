/**
 * Daemon.main() (daemon.ts): the classic init-script interface, start|stop|restart|status|
 * reload|run from argv, with the CLI's exit codes and, with `verbose: 1`, the classic
 * "Starting…/Started" lines: the one part of the library that prints. The Daemon hands over its
 * actions (DaemonActions); what each of them does stays the Daemon's.
 */
import { attachDaemon, type DaemonChannel } from '../spawn/attach.js';
import { type DaemonError, isDaemonError } from '../errors/errors.js';
import { exitCodeFor, EXIT, type Action } from '../errors/exit-codes.js';
import type { ServicePaths } from '../config/paths.js';
import { reloadService } from '../ops/reload.js';
import type { StopResult } from '../ops/stop.js';
import { statusLine, terminalSafe } from '../service/format.js';
import type { ServiceStatus } from '../service/status.js';
import { takeWorkerMarker } from './supervised.js';

type Started = { started: boolean; pid: number | null };

/** What main() asks of the Daemon. */
export interface DaemonActions {
  verbose(): boolean;
  paths(): ServicePaths;
  detaches(): boolean;
  runAsDaemon(channel: DaemonChannel | null): Promise<unknown>;
  runWorker(): Promise<void>;
  startInForeground(): Promise<Started>;
  launchSelf(env: NodeJS.ProcessEnv): Promise<Started>;
  stop(): Promise<StopResult>;
  restartEnv(updateEnv: boolean): NodeJS.ProcessEnv;
  status(): ServiceStatus;
  runForeground(): Promise<void>;
}

/** The actions main() takes from argv, each with the CLI's exit codes for it. */
const ACTIONS: readonly Action[] = ['start', 'stop', 'restart', 'status', 'reload', 'run'];

/** Run the action argv names (or the daemon's or worker's part); its exit code, also set on
 *  process.exitCode. */
export async function runMain(d: DaemonActions, argv: readonly string[]): Promise<number> {
  const say = (text: string): void => {
    if (d.verbose()) process.stdout.write(`${text}\n`);
  };
  const worker = takeWorkerMarker();
  const channel = worker ? null : attachDaemon();
  const action = worker ? 'worker' : channel ? 'daemon' : argv[0];
  const code = await dispatch(d, action, channel, say, argv.slice(1)).catch((error: unknown) => {
    if (!isDaemonError(error)) throw error;
    printError(error);
    return exitCodeFor(
      ACTIONS.includes(action as Action) ? (action as Action) : 'start',
      error.code,
    );
  });
  process.exitCode = code;
  return code;
}

/** The error's line, and the stderr tail of a failed start under it. */
function printError(error: DaemonError): void {
  process.stderr.write(`${terminalSafe(error.message)}\n`);
  const tail = error.details.stderrTail;
  if (Array.isArray(tail))
    for (const line of tail) process.stderr.write(`  | ${terminalSafe(String(line))}\n`);
}

/** `start` from the command line: detach and report, or (new-style) be the daemon, silently. */
async function startAction(
  d: DaemonActions,
  say: (t: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  if (!d.detaches()) {
    const r = await d.startInForeground();
    if (!r.started) say(`Already running, pid ${r.pid ?? 'unknown'}`);
    return EXIT.OK;
  }
  say('Starting…');
  const r = await d.launchSelf(env);
  say(r.started ? 'Started' : `Already running, pid ${r.pid ?? 'unknown'}`);
  return EXIT.OK;
}

async function dispatch(
  d: DaemonActions,
  action: string | undefined,
  channel: DaemonChannel | null,
  say: (t: string) => void,
  argv: readonly string[] = [],
): Promise<number> {
  switch (action) {
    case 'daemon':
      await d.runAsDaemon(channel);
      return EXIT.OK;
    case 'worker':
      await d.runWorker();
      return EXIT.OK;
    case 'start':
      return startAction(d, say);
    case 'stop': {
      say('Stopping…');
      const r = await d.stop();
      say(r.wasRunning ? 'Stopped' : 'Not running');
      return EXIT.OK;
    }
    case 'restart': {
      const env = d.restartEnv(argv.includes('--update-env'));
      say('Stopping…');
      await d.stop();
      return startAction(d, say, env);
    }
    case 'reload': {
      // As `daemonkit reload`: SIGHUP to the daemon (verified first), which runs onReload().
      const { pid } = reloadService(d.paths(), 'SIGHUP');
      say(`Sent SIGHUP to pid ${pid}`);
      return EXIT.OK;
    }
    case 'status': {
      const s = d.status();
      process.stdout.write(`${terminalSafe(statusLine(s))}\n`); // the CLI's line: pid, uptime, memory, or why not
      return s.code;
    }
    case 'run':
      await d.runForeground();
      return EXIT.OK;
    default:
      process.stderr.write(
        `usage: ${process.argv[1] ?? 'program'} start|stop|restart [--update-env]|status|reload|run\n`,
      );
      return EXIT.BAD_ARGS;
  }
}
