/**
 * One listener per signal for the whole process, installed once and never removed: the command
 * (or daemon) routes each signal to what it does at the moment, and a signal nobody routes ends
 * the process by that signal, as its default action would. Why not process.on/off as needed:
 *
 * - Handlers must be in place before the moment they cover (a `run` killed by a SIGTERM just after
 *   it started its COMMAND left the COMMAND running). With the listener installed first thing, a
 *   signal is only ever acted on from the event loop, so synchronous code — fork and hand over,
 *   write a stop request and signal — is never cut in the middle, and a signal that came before a
 *   route exists still finds it when it is dispatched.
 * - Removing the last listener of a signal closes libuv's handle, and a signal libuv has caught
 *   but not yet dispatched is then dropped without a trace (neither handled nor default): the
 *   launcher's old hold-and-re-raise lost a Ctrl-C that way, and `start` went on and exited 0.
 *   Routes come and go here; the listener stays.
 *
 * The state lives on globalThis: the CLI's lazy bundles each carry a copy of this module.
 */
export type Route = (signal: NodeJS.Signals) => void;

/** The signals a command or daemon of ours documents. */
export const OUR_SIGNALS: readonly NodeJS.Signals[] = [
  'SIGTERM',
  'SIGINT',
  'SIGQUIT',
  'SIGHUP',
  'SIGUSR1',
  'SIGUSR2',
];

interface Router {
  routes: Map<NodeJS.Signals, Route[]>;
  listener: (signal: NodeJS.Signals) => void;
}

const KEY = Symbol.for('daemonkit.signals');

/** The process's one router (shared by every copy of this module). */
function router(): Router {
  const global = globalThis as { [KEY]?: Router };
  if (global[KEY]) return global[KEY];
  const self: Router = {
    routes: new Map(),
    listener: (signal) => {
      const route = self.routes.get(signal)?.at(-1);
      if (route) route(signal);
      else if (endsUs(signal)) dieBy(signal); // nobody else listens either
    },
  };
  global[KEY] = self;
  return self;
}

/** Catch these signals from now on (idempotent); until routed, each ends the process by itself. */
export function catchSignals(signals: readonly NodeJS.Signals[] = OUR_SIGNALS): void {
  const { listener } = router();
  for (const signal of signals)
    if (!process.listeners(signal).includes(listener)) process.on(signal, listener);
}

/** Route signals to handlers until the returned function is called (the latest route wins). */
export function routeSignals(handlers: Partial<Record<NodeJS.Signals, Route>>): () => void {
  const { routes } = router();
  const entries = Object.entries(handlers) as [NodeJS.Signals, Route][];
  catchSignals(entries.map(([signal]) => signal));
  for (const [signal, route] of entries) routes.set(signal, [...(routes.get(signal) ?? []), route]);
  return () => {
    for (const [signal, route] of entries)
      routes.set(
        signal,
        (routes.get(signal) ?? []).filter((r) => r !== route),
      );
  };
}

/** Whether only our listener (and no route) is there for `signal`: then we end by it. */
export function endsUs(signal: NodeJS.Signals): boolean {
  const { routes, listener } = router();
  return (
    !routes.get(signal)?.length &&
    process.listenerCount(signal) === 1 &&
    process.listeners(signal)[0] === listener
  );
}

/**
 * Let the event loop turn twice, so that a signal already caught is acted on before we go on
 * (exit, say): the first turn may be the end of one that had already looked at libuv's signal
 * pipe, the second looks again.
 */
export async function actOnCaughtSignals(): Promise<void> {
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** End the process by `signal`: its default action, with our listener out of the way. */
export function dieBy(signal: NodeJS.Signals): void {
  process.off(signal, router().listener);
  process.kill(process.pid, signal);
}
