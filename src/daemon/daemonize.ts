/**
 * daemonize(): detach the running program. In the launcher it never resolves — it starts a
 * copy of this program as a daemon (fork, setsid, fork: daemon(7)), waits until that copy is
 * ready, sets process.exitCode, and lets the launcher end. In the daemon it resolves with the
 * daemon's context, once detached, locked and with its pidfile written. Under a service manager
 * or as a container's init (detect.ts) it does not detach: it resolves at once, in the foreground.
 * Its options, and their one check, are daemon-options.ts's.
 */
import { attachDaemon, type DaemonChannel } from '../spawn/attach.js';
import { launchDaemon, type LaunchOutcome } from '../spawn/launch.js';
import { DaemonError, isDaemonError } from '../errors/errors.js';
import { exitCodeFor } from '../errors/exit-codes.js';
import { inspectService } from '../service/inspect.js';
import type { ServicePaths } from '../config/paths.js';
import { ensureDir, refuseOddPidfile, refuseUnsafePidfile } from '../service/pidfile.js';
import { runningPid } from '../ops/start.js';
import { enterDaemon, type ContextHooks, type DaemonContext } from './context.js';
import { detaches, type DaemonizeOptions, resolveDaemonOptions } from './daemon-options.js';

export type { DaemonizeOptions, LaunchResult } from './daemon-options.js';

export interface DaemonPayload {
  paths: ServicePaths;
  chdir: string;
  umask: number;
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
