/**
 * Whether this process has run a stop's path: a supervisor's code cache, made at its end, holds
 * the functions that ran, and one made by a supervisor whose service never stopped lacks those a
 * `stop` waits on (sys/compile-cache.ts keeps such a cache as partial, and the next supervisor
 * that stops makes the whole one: docs/decisions.md, "A stop's fifth pass"). One slot on
 * globalThis: the loader and its program are separate bundles, each with its own copy of this.
 */
const STOP_RAN = Symbol.for('daemonkit.stopRan');
type Slot = { [STOP_RAN]?: true };

export function markStopRan(): void {
  (globalThis as Slot)[STOP_RAN] = true;
}

export function stopRan(): boolean {
  return (globalThis as Slot)[STOP_RAN] === true;
}
