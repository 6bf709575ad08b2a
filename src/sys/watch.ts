/** Waiting for files to change without a sleep loop. */
import { watch, type FSWatcher } from 'node:fs';

/**
 * Call `look` until it returns a value, again after every change in the directories `dirs`
 * (inotify), for at most `ms` (then undefined). The watches are armed before the first look, so a
 * change that lands while `look` runs is never missed. Where one cannot be watched, it looks every
 * 100 ms; `everyMs`: at least that often anyway (for what no file tells: a process's exit).
 */
export async function lookUntil<T>(
  dirs: string | string[],
  ms: number,
  look: () => T | undefined,
  everyMs = Infinity,
): Promise<T | undefined> {
  const deadline = Date.now() + Math.max(0, ms);
  let changed = false;
  let wake: (() => void) | null = null;
  const watchers: FSWatcher[] = [];
  let watching = true;
  for (const dir of new Set(typeof dirs === 'string' ? [dirs] : dirs)) {
    try {
      const watcher = watch(dir, () => {
        changed = true;
        wake?.();
      });
      watcher.on('error', () => {
        watching = false; // a directory went away: fall back to looking on a timer
        wake?.();
      });
      watchers.push(watcher);
    } catch {
      watching = false;
    }
  }
  try {
    for (;;) {
      changed = false;
      const found = look();
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      if (changed) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, everyMs, watching ? Infinity : 100));
        wake = done;
        function done(): void {
          clearTimeout(timer);
          wake = null;
          resolve();
        }
      });
    }
  } finally {
    for (const watcher of watchers) watcher.close();
  }
}
