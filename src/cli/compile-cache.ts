/**
 * A V8 code cache for the CLI's lazy bundles (dist/cli/lazy/*.cjs), as Node 22's
 * module.enableCompileCache() keeps one and Node 20 does not: every command pays node's start-up
 * and then the compiling of our own code, ~5 ms of a `start` (measured), which a cache of the
 * functions that ran last time takes away.
 *
 * The cache lives in the package, beside the code (.compile-cache/, not published), and is
 * trusted as the code is: a file is used only if it is a regular file owned by the owner of the
 * bundle it caches (or root) and writable by no one else. It is written, at the command's end,
 * only where the user may write anyway, and only for a bundle that had no usable cache; V8 itself
 * rejects a cache made by another V8 or with other flags (then the code compiles as usual and the
 * cache is made anew). Nothing here may fail a command: every error means "no cache".
 */
import { closeSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, constants as C } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const toSave: { script: Script; file: string }[] = [];
let cacheDir = '';

/** Compile the bundles under `lazyDir` with the cache in `dir`. */
export function useCompileCache(lazyDir: string, dir: string): void {
  cacheDir = dir;
  const proto = (Module as unknown as { prototype: { _compile(content: string, filename: string): unknown } }).prototype;
  const compile = proto._compile;
  proto._compile = function (this: { exports: unknown }, content: string, filename: string): unknown {
    if (dirname(filename) !== lazyDir) return compile.call(this, content, filename);
    const file = join(dir, `${basename(filename)}.${process.versions.v8}.bin`);
    const cachedData = trustedCache(file, filename);
    const script = new Script(Module.wrap(content), { filename, cachedData });
    if (!cachedData || script.cachedDataRejected) toSave.push({ script, file });
    const wrapper = script.runInThisContext() as (...args: unknown[]) => unknown;
    return wrapper.call(this.exports, this.exports, createRequire(filename), this, filename, dirname(filename));
  };
}

/** The cache at `file` for the bundle `source`, if it may be trusted as the bundle is. */
export function trustedCache(file: string, source: string): Buffer | undefined {
  let fd = -1;
  try {
    fd = openSync(file, C.O_RDONLY | C.O_NOFOLLOW);
    const st = fstatSync(fd);
    const owner = lstatSync(source).uid;
    if (!st.isFile() || (st.mode & 0o022) !== 0 || (st.uid !== owner && st.uid !== 0)) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** Write the caches this run made (the functions it compiled are in them). */
export function saveCompileCache(): void {
  if (toSave.length === 0) return;
  try {
    mkdirSync(cacheDir, { mode: 0o755 });
  } catch {
    // there already, or not ours to make: the writes below tell
  }
  for (const { script, file } of toSave.splice(0)) {
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, script.createCachedData(), { mode: 0o644, flag: 'wx' });
      renameSync(tmp, file);
    } catch {
      try {
        unlinkSync(tmp);
      } catch {
        // never made
      }
      return; // not writable here (a package installed by another user): run without
    }
  }
}

/** dist/cli/lazy and the package's .compile-cache, from where the CLI bundle is. */
export function cachePaths(): { lazyDir: string; dir: string } {
  const cli = dirname(fileURLToPath(import.meta.url));
  return { lazyDir: join(cli, 'lazy'), dir: join(cli, '..', '..', '.compile-cache') };
}
