/**
 * The loader of the CLI's and the supervisor's lazy bundles (dist/cli/lazy/NAME.cjs,
 * dist/supervisor/lazy/NAME.cjs; scripts/bundle.mjs turns each dynamic import() into a call of
 * it), with a V8 code cache, as Node 22's module.enableCompileCache() keeps one and Node 20 does
 * not. Every command pays node's start-up and then the compiling of our own code, ~6 ms of a
 * `start` (measured), which a cache of the functions that ran last time takes away; and node's
 * module resolution (a stat, a realpath, package.json lookups per file), which a loader that
 * knows where its bundles are skips. A supervisor's cache, made at its end, holds its stop and
 * exit paths, which a `stop` waits on (docs/decisions.md, "A stop's fourth pass").
 *
 * The cache lives in the package, beside the code (.compile-cache/, not published), and is
 * trusted as the code is: a file is used only if it is a regular file owned by the owner of the
 * bundle it caches (or root) and writable by no one else. It is written, at the command's end,
 * only where the user may write anyway, and only for a bundle that had no usable cache; V8 itself
 * rejects a cache made by another V8 or with other flags (then the code compiles as usual and the
 * cache is made anew). Nothing here may fail a command for want of a cache.
 */
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  constants as C,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import {
  dropOlder,
  lookAt,
  NO_CACHE,
  readCache,
  trustedDir,
  writeDurably,
  writtenSince,
} from './cache-files.js';

/** `seen`: the cache file as it was when the bundle loaded (null: there was none); `part`: the
 *  partial cache's name beside it, `partSeen` the same for it, `fromPart`: run from that one. */
const toSave: {
  script: Script;
  file: string;
  seen: string | null;
  part: string;
  partSeen: string | null;
  fromPart: boolean;
}[] = [];

/** node's CommonJS wrapper (Module.wrap), written out: node:module, loaded for it, cost every
 *  command ~0.2 ms (docs/decisions.md, "A stop's third pass"). */
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
const WRAP_TAIL = '\n});';

/** The bundles' `require`: in the CLI's CommonJS bundle, its own. They require node's built-in
 *  modules only (our code is bundled in, the native module is loaded by its absolute path), which
 *  resolve alike from any file, so none needs a require of its own (createRequire: node:module,
 *  which the bundle loads only when it is called). tsc's ESM copy has no `require`. */
declare const require: NodeJS.Require | undefined;
const requireFor = (filename: string): NodeJS.Require =>
  typeof require === 'function' ? require : createRequire(filename);
let cacheDir: string | null = null;

/** Install the loader for the bundles in `lazyDir`; `dir`: the code cache (null: none). */
export function installLazyLoader(lazyDir: string, wanted: string | null): void {
  const dir = wanted !== null && trustedDir(wanted, lazyDir) ? wanted : null;
  cacheDir = dir;
  const loaded = new Map<string, { exports: unknown }>();
  (globalThis as { __daemonkitLoad?: (name: string) => unknown }).__daemonkitLoad = (name) => {
    let module = loaded.get(name);
    if (module) return module.exports;
    const filename = join(lazyDir, `${name}.cjs`);
    const { source, stamp } = readBundle(filename);
    const base = dir === null ? null : join(dir, `${name}.cjs.${stamp}.${process.versions.v8}`);
    const file = `${base}.bin`;
    const part = `${base}.part.bin`;
    const full = base === null ? NO_CACHE : readCache(file, filename);
    // None made by a whole life yet: one made by a life without a stop, if there is one.
    const partial = base === null || full.seen !== null ? NO_CACHE : readCache(part, filename);
    const cachedData = full.data ?? partial.data;
    const script = new Script(`${WRAP_HEAD}${source}${WRAP_TAIL}`, {
      filename,
      cachedData,
    });
    if (base !== null && (!full.data || script.cachedDataRejected))
      toSave.push({
        script,
        file,
        seen: full.seen,
        part,
        partSeen: partial.seen,
        fromPart: partial.data !== undefined && !script.cachedDataRejected,
      });
    module = { exports: {} };
    loaded.set(name, module);
    const wrapper = script.runInThisContext() as (...args: unknown[]) => unknown;
    wrapper.call(module.exports, module.exports, requireFor(filename), module, filename, lazyDir);
    return module.exports;
  };
}

/** A bundle's text, and a name for this very content: V8 checks a cache only against the source's
 *  length, and a rebuilt or upgraded bundle of the same length given the old cache crashed in
 *  V8's parser. Its inode, size and change times name it: any write moves mtime and ctime (which
 *  no one can set back), a new file is a new inode or ctime. Not a digest of the text: hashing it
 *  needs node:crypto, whose load (with node's streams) cost every command ~2.5 ms. */
function readBundle(filename: string): { source: string; stamp: string } {
  const fd = openSync(filename, C.O_RDONLY);
  try {
    const st = fstatSync(fd, { bigint: true });
    const stamp = [st.ino, st.size, st.mtimeNs, st.ctimeNs].map((n) => n.toString(36)).join('-');
    return { source: readFileSync(fd, 'utf8'), stamp };
  } finally {
    closeSync(fd);
  }
}

/**
 * Write the caches this run made (the functions it compiled are in them). `whole`: this run went
 * the way a cache is for (a supervisor: it stopped its service, sys/cache-mark.ts; the CLI: always).
 * A run that did not writes its cache as partial, used until a whole one is made: a supervisor
 * whose COMMAND ended on its own never ran a stop's path, which a `stop` waits on.
 */
export function saveCompileCache(whole = true): void {
  if (toSave.length === 0 || cacheDir === null) return;
  try {
    mkdirSync(cacheDir, { mode: 0o755 });
  } catch {
    // there already, or not ours to make: the writes below tell
  }
  for (const { script, file, seen, part, partSeen, fromPart } of toSave.splice(0)) {
    if (!whole && (fromPart || lookAt(file) !== null)) continue; // no better than what is there
    const target = whole ? file : part;
    if (writtenSince(target, whole ? seen : partSeen)) continue;
    const tmp = `${target}.${process.pid}.tmp`;
    try {
      writeDurably(tmp, script.createCachedData());
      renameSync(tmp, target);
      dropOlder(target, file);
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

/** The program's lazy bundles (dist/cli/lazy, dist/supervisor/lazy) and the package's
 *  .compile-cache, from where the program's bundle is (each bundles its own copy of this). */
export function cachePaths(): { lazyDir: string; dir: string } {
  // import.meta.dirname is __dirname in the bundle (scripts/bundle.mjs): no URL to parse.
  const program =
    (import.meta.dirname as string | undefined) ?? dirname(fileURLToPath(import.meta.url));
  return { lazyDir: join(program, 'lazy'), dir: join(program, '..', '..', '.compile-cache') };
}
