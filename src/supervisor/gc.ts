/**
 * Full collections for a resident supervisor, so that its memory stays flat and small. Never on
 * the exit path itself (a restart or a stop would wait for one): unref'd timers only.
 */
import { collectGarbage } from '../sys/native.js';

let collection: NodeJS.Timeout | null = null;
/**
 * Some time after a COMMAND ends, when the supervisor was started with --expose-gc: each restart
 * leaves a few KiB of garbage that V8 would otherwise let pile up in old space. At most four a
 * second. A plain gc(): the young generation keeps both its halves, as it needs them while
 * COMMANDs keep ending (giving one back at each would make RssAnon swing by ~1.5 MiB in a crash
 * loop, and cost a re-commit at the next scavenge).
 */
export function collectGarbageSoon(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function' || collection) return;
  collection = setTimeout(() => {
    collection = null;
    gc();
  }, 250).unref();
}

/** After the last start of a burst (`up` adds its services one after another). */
const QUIET_MS = 500;
let quiet: NodeJS.Timeout | null = null;
/**
 * After a service of a project's host has started (`up` adds many, one after another): once no
 * start has come for 500 ms, two collections that give back what the starts left — above all
 * the young generation's spare half (~1-2 MiB resident), which V8's memory reducer would return
 * only ~8 s after its last full collection. Two: the first empties the young generation, the
 * second then releases its pages (one alone keeps ~1 MiB; docs/decisions.md, "The supervisor's
 * memory"). ~4 ms each, on the main thread: a request that comes meanwhile waits that long.
 */
export function collectGarbageWhenQuiet(): void {
  if (quiet) quiet.refresh();
  else
    quiet = setTimeout(() => {
      quiet = null;
      collectGarbage();
      collectGarbage();
    }, QUIET_MS).unref();
}
