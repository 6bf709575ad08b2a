/**
 * daemonize(): detach the running program. In the launcher it never resolves — it starts a
 * copy of this program as a daemon (fork, setsid, fork: daemon(7)), waits until that copy is
 * ready, sets process.exitCode, and lets the launcher end. In the daemon it resolves with the
 * daemon's context, once detached, locked and with its pidfile written. Under a service manager
 * or as a container's init (detect.ts) it does not detach: it resolves at once, in the foreground.
 */
import { attachDaemon, type DaemonChannel } from '../spawn/attach.js';
import { launchDaemon, type LaunchOutcome } from '../spawn/launch.js';
import { DaemonError, isDaemonError } from '../errors/errors.js';
import { exitCodeFor } from '../errors/exit-codes.js';
import { inspectService } from '../service/inspect.js';
import { Problems, validateIdentity, validateStart, type StartOptions } from '../config/options.js';
import { servicePaths, type ServicePaths } from '../config/paths.js';
import { ensureDir, refuseOddPidfile, refuseUnsafePidfile } from '../service/pidfile.js';
import { runningPid } from '../ops/start.js';
import { enterDaemon, type ContextHooks, type DaemonContext } from './context.js';
import { shouldDetach, type DetachOption } from './detect.js';
import { transformsLogs } from '../config/log-policy.js';
import { inLibraryWords } from './option-names.js';
import { optionKey, optionsOf } from '../config/table/index.js';

/** The options a Daemon takes, by the names its errors use: its identity's and a start's (the
 *  option table's), --retry, and its own two. */
const OPTION_NAMES: ReadonlySet<string> = new Set([
  ...optionsOf('start')
    .filter((r) => r.commands !== 'all')
    .map(optionKey),
  'retry',
  'detach',
  'waitForReady',
]);

/** One BAD_OPTION error for every problem, each in the library's words (`restartDelay`, not
 *  `--restart-delay`). */
export function libraryOptionError(list: readonly string[]): DaemonError {
  const problems = list.map((p) => inLibraryWords(p, OPTION_NAMES));
  return new DaemonError('BAD_OPTION', problems.join('; '), { problems });
}

export interface DaemonizeOptions extends StartOptions {
  /** Wait for an explicit ready() instead of declaring readiness as soon as the daemon runs. */
  waitForReady?: boolean;
  /**
   * 'auto' (default): detach unless started by a service manager or as a container's init
   * (see detect.ts); true: always detach; false: never (the daemon runs in the foreground).
   */
  detach?: DetachOption;
  /** Told how the launch went, in the launcher (daemonize() itself never resolves there). */
  onLaunched?(outcome: LaunchResult): void;
}

export type LaunchResult =
  | { ok: true; started: boolean; pid: number | null }
  | { ok: false; error: DaemonError };

export interface DaemonPayload {
  paths: ServicePaths;
  chdir: string;
  umask: number;
}

/** Validate once: every problem in one BAD_OPTION error. */
export function resolveDaemonOptions(options: DaemonizeOptions): {
  paths: ServicePaths;
  start: ReturnType<typeof validateStart>;
  detach: DetachOption;
} {
  const problems = new Problems();
  validateIdentity(options, problems);
  const start = validateStart(options, problems);
  if (transformsLogs(start.logs) && start.restart.restart === 'no') {
    // Without a restart policy there is no supervisor: the daemon writes its own stdout.
    problems.add(
      'logTimestamps and logMaxSize need a restart policy (a supervising daemon owns the log files); without one, the daemon writes its own output',
    );
  }
  const detach = options.detach ?? 'auto';
  if (detach !== 'auto' && detach !== true && detach !== false)
    problems.add(`invalid detach '${String(detach)}': use 'auto', true or false`);
  // A Daemon is the program itself, and the launcher's copy of it: there is no COMMAND to drop.
  if (options.user !== undefined || options.group !== undefined)
    problems.add(
      "user and group are for a service's COMMAND (buildCommandSpec, startService), not for a Daemon: run the program with `daemonkit start --user`",
    );
  if (options.listen !== undefined || options.listenMode !== undefined)
    problems.add(
      "listen is for a service's COMMAND (`daemonkit start --listen`); a program takes its sockets with listenFds()",
    );
  if (problems.list.length > 0) throw libraryOptionError(problems.list);
  const paths = servicePaths({
    ...(options.name ? { name: options.name } : {}),
    ...(options.pidfile ? { pidfile: options.pidfile } : {}),
  });
  return { paths, start, detach };
}

/** Whether `start` detaches here: the option, or for 'auto' the new-style rule (detect.ts). */
export function detaches(options: DaemonizeOptions): boolean {
  return shouldDetach(resolveDaemonOptions(options).detach);
}

/** Refuse a pidfile that is not a regular file or that others could have written; make its
 *  directory. */
export function preparePidfile(paths: ServicePaths): void {
  refuseOddPidfile(paths.pidfile);
  refuseUnsafePidfile(paths.pidfile);
  ensureDir(paths.pidfile);
}

/** Launcher side: start a copy of this program as the daemon and wait for it to be ready. */
export async function launchSelf(
  options: DaemonizeOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ started: boolean; pid: number | null }> {
  const { paths, start } = resolveDaemonOptions(options);
  if (inspectService(paths).running) return { started: false, pid: await runningPid(paths) };
  preparePidfile(paths);
  ensureDir(paths.statefile);
  const stdout = start.stdout ?? paths.logfile;
  const payload: DaemonPayload = { paths, chdir: start.chdir, umask: start.umask };
  const outcome: LaunchOutcome = await launchDaemon({
    nodeArgs: [...process.execArgv, '--', ...process.argv.slice(1)], // `--`: the program's arguments are its own
    env, // the daemon records it once it holds the lock (env.json): a restart starts from it again
    stdin: start.stdin,
    stdout,
    stderr: start.stderr ?? stdout,
    payload: () => payload,
  });
  if (outcome.kind === 'running') return { started: false, pid: await runningPid(paths) };
  return { started: true, pid: outcome.pid };
}

/**
 * Daemon side: the channel to the launcher, if this process is a daemon we launched. Sets up
 * the daemon's context; `ready()` on it tells the launcher. null: lost the lock race (the
 * launcher has been told; this copy should end).
 */
export function becomeDaemon(
  channel: DaemonChannel,
  options: DaemonizeOptions,
  hooks: ContextHooks = {},
): DaemonContext | null {
  const payload = channel.payload as DaemonPayload;
  process.chdir(payload.chdir);
  process.umask(payload.umask);
  let ctx: DaemonContext | null;
  try {
    ctx = enterDaemon(payload.paths, {
      ...hooks,
      onReady() {
        channel.report({ type: 'ready', pid: process.pid });
        channel.close();
        hooks.onReady?.();
      },
    });
  } catch (error) {
    const err = isDaemonError(error)
      ? error
      : new DaemonError('LOCK_FAILED', (error as Error).message);
    channel.report({ type: 'error', code: err.code, message: err.message });
    channel.close();
    throw err;
  }
  if (!ctx) {
    channel.report({ type: 'running' });
    channel.close();
    return null;
  }
  channel.report({ type: 'locked', pid: process.pid });
  if (!options.waitForReady) ctx.ready();
  return ctx;
}

/** Report a failure of the daemon before it was ready: the launcher fails the start with it. */
export function reportFailure(channel: DaemonChannel, error: unknown): void {
  const err = isDaemonError(error)
    ? error
    : new DaemonError(
        'START_FAILED',
        `the daemon failed before it was ready: ${(error as Error)?.message ?? String(error)}`,
      );
  channel.report({ type: 'error', code: err.code, message: err.message, details: err.details });
  channel.close();
}

export function daemonize(
  options: DaemonizeOptions,
  hooks: ContextHooks = {},
): Promise<DaemonContext> {
  const channel = attachDaemon();
  if (channel) {
    const ctx = becomeDaemon(channel, options, hooks);
    // The copy that lost the lock race has nothing to do: it ends once its loop drains.
    return ctx ? Promise.resolve(ctx) : new Promise<never>(() => undefined);
  }
  const launched = async (): Promise<{ started: boolean; pid: number | null } | DaemonContext> =>
    detaches(options) ? launchSelf(options) : stayInForeground(options, hooks);
  return launched().then(
    (result) => {
      if ('signal' in result) return result; // in the foreground: we are the daemon
      options.onLaunched?.({ ok: true, ...result });
      process.exitCode = 0;
      return new Promise<never>(() => undefined);
    },
    (error: unknown) => {
      const err = isDaemonError(error) ? error : new DaemonError('SPAWN_FAILED', String(error));
      options.onLaunched?.({ ok: false, error: err });
      process.exitCode = exitCodeFor('start', err.code);
      return new Promise<never>(() => undefined);
    },
  );
}

/** New-style: this process is the daemon, no fork. A context, or how it went when it runs
 *  already. */
async function stayInForeground(
  options: DaemonizeOptions,
  hooks: ContextHooks,
): Promise<DaemonContext | { started: false; pid: number | null }> {
  const { paths } = resolveDaemonOptions(options);
  preparePidfile(paths);
  const ctx = enterDaemon(paths, hooks);
  if (!ctx) return { started: false, pid: await runningPid(paths) };
  if (!options.waitForReady) ctx.ready();
  return ctx;
}
