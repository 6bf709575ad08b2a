/**
 * Running a Daemon's run() (daemon.ts): the event loop held while it is pending, readiness
 * declared once it has started (unless the program declares it itself), the context released
 * however it ends, and a failure before readiness told to the launcher. Also the worker copy's
 * context under a restart policy: there the supervising daemon holds the lock and the pidfile,
 * so the worker's context is its signals only.
 */
import type { DaemonChannel } from '../spawn/attach.js';
import { routeSignals } from '../sys/signals.js';
import type { DaemonContext } from './context.js';
import { reportFailure } from './daemonize.js';

/**
 * While run() is pending the daemon lives, whatever else holds the event loop: a run() that only
 * awaits its abort signal (the README's idiom) holds nothing, and node would exit at once. A
 * ref'd timer that fires every ~24.8 days (the longest node allows) costs no CPU meanwhile.
 */
export function holdEventLoop(): () => void {
  const timer = setInterval(() => undefined, 2 ** 31 - 1);
  return () => clearInterval(timer);
}

/** run() in `ctx`, to its end; throws what it threw, once the context is released. */
export async function runInContext(
  ctx: DaemonContext,
  run: (signal: AbortSignal) => Promise<void> | void,
  waitForReady: boolean | undefined,
  channel: DaemonChannel | null,
): Promise<void> {
  const letGo = holdEventLoop();
  try {
    const running = Promise.resolve().then(() => run(ctx.signal));
    if (!waitForReady) {
      // Readiness = run() has started and did not fail at once.
      await Promise.race([running, new Promise((resolve) => setImmediate(resolve))]);
      ctx.ready();
    }
    await running;
    ctx.release();
  } catch (error) {
    // Released first: whoever hears of the failed start finds no pidfile and a failed state.
    ctx.release({ failed: true, error: (error as Error)?.message ?? String(error) });
    if (channel) reportFailure(channel, error);
    throw error;
  } finally {
    letGo();
  }
}

/** The worker copy's context: SIGTERM/SIGINT abort it, SIGHUP calls `onReload`; no lock, no
 *  pidfile, nothing to tell (the supervising daemon does all that). `unroute` takes the routes
 *  away. */
export function workerContext(onReload: () => void | Promise<void>): {
  ctx: DaemonContext;
  unroute: () => void;
} {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  const reload = (): void => void Promise.resolve(onReload()).catch(() => undefined);
  const unroute = routeSignals({ SIGTERM: abort, SIGINT: abort, SIGHUP: reload });
  const ctx: DaemonContext = {
    signal: controller.signal,
    get alive() {
      return !controller.signal.aborted;
    },
    pid: process.pid,
    ready() {},
    setStatus() {},
    release() {},
  };
  return { ctx, unroute };
}
