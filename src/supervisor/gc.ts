/**
 * A full collection some time after a COMMAND ends, when the supervisor was started with
 * --expose-gc: each restart leaves a few KiB of garbage that V8 would otherwise let pile up in
 * old space, and a resident supervisor's memory must stay flat. Never on the exit path itself
 * (a restart or a stop would wait for it): one unref'd timer, at most four times a second.
 */
let collection: NodeJS.Timeout | null = null;
export function collectGarbageSoon(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function' || collection) return;
  collection = setTimeout(() => {
    collection = null;
    gc();
  }, 250).unref();
}
