/** Waiting for a file to appear or change without a sleep loop. */
import { watch } from 'node:fs';

/**
 * Resolve on the next change in directory `dir` (inotify), or after `ms` at the latest — a change
 * can land between the caller's look and the watch starting, so callers look again in a loop.
 */
export function nextChange(dir: string, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const watcher = watch(dir, () => done());
    const timer = setTimeout(done, Math.max(0, ms));
    function done(): void {
      clearTimeout(timer);
      watcher.close();
      resolve();
    }
  });
}
