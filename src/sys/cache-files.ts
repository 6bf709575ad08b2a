/**
 * The code cache's files in the package's .compile-cache/ (compile-cache.ts is their loader): a
 * cache is code to V8 (it checks only the source's length and its own version and flags), so it is
 * read only where it is trusted as the bundle is, written durably under a temp name and renamed,
 * left alone when another process wrote it since we looked, and pruned when a build left it.
 */
import {
  closeSync,
  fsyncSync,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  readdirSync,
  unlinkSync,
  writeFileSync,
  constants as C,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * The cache directory, if its entries may be trusted as the bundles are: a real directory (not a
 * link) of root or the bundles' owner, writable by no one else — whoever could rename entries
 * there could give a bundle another bundle's cache of the same length, which V8 would run as if
 * it were this code. Not there yet: it is made (0755) by the first command that saves.
 */
export function trustedDir(dir: string, lazyDir: string): boolean {
  try {
    const st = lstatSync(dir);
    if (!st.isDirectory() || (st.mode & 0o022) !== 0) return false;
    return st.uid === 0 || st.uid === lstatSync(lazyDir).uid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** The cache at `file` for the bundle `source`, if it may be trusted as the bundle is. */
export function trustedCache(file: string, source: string): Buffer | undefined {
  return readCache(file, source).data;
}

export const NO_CACHE = { data: undefined, seen: null };
/** A file's identity, to tell whether another process wrote it since. */
const identity = (st: { ino: number; mtimeMs: number; size: number }): string =>
  `${st.ino} ${st.mtimeMs} ${st.size}`;

/** trustedCache, and what was at `file` (its identity; null: nothing). */
export function readCache(file: string, source: string): { data?: Buffer; seen: string | null } {
  let fd = -1;
  try {
    // O_NONBLOCK: a FIFO put here is not waited on for a writer (then refused as not a file).
    fd = openSync(file, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
    const st = fstatSync(fd);
    const seen = identity(st);
    if (!st.isFile() || (st.mode & 0o022) !== 0) return { seen };
    if (st.uid !== 0 && st.uid !== lstatSync(source).uid) return { seen };
    return { data: readFileSync(fd), seen };
  } catch {
    return { seen: lookAt(file) }; // none, or not a file we open (a symlink)
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** Another process wrote the cache since we looked (many supervisors of one build end alike):
 *  theirs stands, and ours is not made (createCachedData, a 200 KB write). */
export function writtenSince(file: string, seen: string | null): boolean {
  const now = lookAt(file);
  return now !== null && now !== seen;
}

export function lookAt(file: string): string | null {
  try {
    return identity(lstatSync(file));
  } catch {
    return null;
  }
}

/** V8 checks a cache's header (version, flags, lengths), not its bytes: a cache cut short or
 *  zeroed by a crash after the rename would crash every later command. So it is on disk before
 *  its name is (once per build and bundle; nothing waits for it but the writer's own exit). */
export function writeDurably(tmp: string, data: Buffer): void {
  const fd = openSync(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o644);
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Remove the caches of earlier builds of the bundle `file` caches (another stamp or V8), and its
 *  partial one once the whole one is there: each build would otherwise leave its files behind for
 *  good. `whole`: the whole cache's name for this build, kept. */
export function dropOlder(file: string, whole: string): void {
  const name = basename(file);
  const bundle = name.slice(0, name.indexOf('.cjs.') + 5); // "cli-entry.cjs."
  const keep = basename(whole);
  for (const entry of readdirSync(dirname(file)))
    if (
      entry !== name &&
      entry !== keep &&
      entry.startsWith(bundle) &&
      (entry.endsWith('.bin') || stale(file, entry))
    )
      try {
        unlinkSync(join(dirname(file), entry));
      } catch {
        // gone already (another command pruned it)
      }
}

/** A temp file a writer killed mid-write left (NAME.PID.tmp): an hour old, no writer is on it. */
function stale(file: string, entry: string): boolean {
  if (!entry.endsWith('.tmp')) return false;
  try {
    return Date.now() - lstatSync(join(dirname(file), entry)).mtimeMs > 3_600_000;
  } catch {
    return false;
  }
}
