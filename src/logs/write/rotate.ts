/**
 * Size rotation's file moves: NAME.log → NAME.log.1 → … → NAME.log.N, the oldest deleted (with
 * compression, compress.ts then gzips rotated files in the background to NAME.log.K.gz). All of
 * it within the log directory's fd (log-dir.ts): renames and removals of names there, never by
 * path.
 */
import { constants as C } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { LogDir } from '../../files/log-dir.js';
import { openAt } from '../../sys/native.js';

export function rotatedPath(base: string, index: number, gzipped = false): string {
  return `${base}.${index}${gzipped ? '.gz' : ''}`;
}

export function quietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // a rotated file that is not there: nothing to move
  }
}

/** The rotated files of `name` in `dir`: [index, gzipped], from one bounded readdir (log-dir.ts);
 *  throws, saying why, when the directory holds too many names to list. */
function rotatedFiles(dir: LogDir, name: string): [number, boolean][] {
  const found = dir.rotated(name);
  if (typeof found === 'string') throw new Error(`too many names: ${found}`);
  return found;
}

/**
 * Shift the rotated files up by one and move `name` to `.1`. With keep 0 the current file is
 * simply deleted. Both plain and .gz names shift: a file may still wait for compression. One
 * readdir, then a rename per file that exists (not per index up to --log-keep). A name someone
 * else put there (a link) is only renamed or removed itself: nothing outside is touched.
 * Throws if `name` itself cannot be moved, or the directory cannot be listed (too many names):
 * then nothing was moved.
 */
export function shiftRotatedIn(dir: LogDir, name: string, keep: number, held?: number[]): void {
  const found = rotatedFiles(dir, name).sort((a, b) => b[0] - a[0]);
  const remove = (file: string): void => {
    if (held) holdRemoved(dir, file, held);
    dir.unlink(file);
  };
  for (const [index, gz] of found) {
    if (index >= keep) quietly(() => remove(rotatedPath(name, index, gz)));
    else quietly(() => dir.rename(rotatedPath(name, index, gz), rotatedPath(name, index + 1, gz)));
  }
  if (keep === 0) remove(name);
  else dir.rename(name, rotatedPath(name, 1));
}

/** O_PATH: a reference to the inode only — nothing is opened (no device's open, no FIFO's wait). */
const O_PATH = 0o10000000;

/**
 * Keep a reference (an O_PATH fd, into `held`) to a file about to be removed: the removal then
 * only takes its name, and the kernel frees its pages (~6 ms for 64 MiB in the page cache) when
 * the caller closes the fd — after the log relay writes again, not while it waits for the
 * rotation. Best effort: a file that cannot be held is simply removed.
 */
function holdRemoved(dir: LogDir, file: string, held: number[]): void {
  try {
    held.push(openAt(dir.fd, file, O_PATH | C.O_NOFOLLOW, 0));
  } catch {
    // not there, or not ours to hold: removed as it is
  }
}

/** shiftRotatedIn for a path: its directory opened for the one shift (tests, tools). */
export function shiftRotated(base: string, keep: number): void {
  const dir = LogDir.open(dirname(resolve(base)));
  try {
    shiftRotatedIn(dir, basename(base), keep);
  } finally {
    dir.release();
  }
}
