/**
 * Finding and loading the native module (for native.ts alone), and one line for the user when
 * that fails: the file at fault, what the system said, and how to get a module that loads.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** node-gyp-build, required only where plainPrebuild does not settle the file: loaded, its top
 *  level looks for Alpine and reads files (~0.5 ms of every command that loads the module). */
const nodeGypBuild = (): typeof import('node-gyp-build').default =>
  createRequire(import.meta.url)('node-gyp-build');

const buildHint = (root: string): string =>
  `build it from source: cd ${root} && npm run build:native (needs a C compiler, make and python3)`;

/** The libc node-gyp-build takes this system to have (its rule: $LIBC, else musl on Alpine). */
const assumedLibc = (): string =>
  process.env.LIBC || (existsSync('/etc/alpine-release') ? 'musl' : 'glibc');

/** The libc this node really runs on: its report names a glibc version only when there is one. */
function runningLibc(): string {
  const report = process.report?.getReport() as
    | { header?: { glibcVersionRuntime?: string } }
    | undefined;
  return report?.header?.glibcVersionRuntime ? 'glibc' : 'musl';
}

/** What dlopen said, first line, without the file's name when it leads (we name the file
 *  already). */
function reason(file: string, error: unknown): string {
  const line = String((error as Error)?.message ?? error)
    .split('\n')[0]!
    .trim();
  return line.startsWith(`${file}: `) ? line.slice(file.length + 2) : line;
}

/** Why a file that exists would not load, and the way out. */
function loadHint(file: string, error: unknown, root: string): string {
  const message = String((error as Error)?.message ?? error);
  if (/GLIBC_[\d.]+'? not found/.test(message))
    return `this system's glibc is older than the prebuild's (2.31, Debian 11); ${buildHint(root)}`;
  const libc = /\.(glibc|musl)\.node$/.exec(file)?.[1];
  const running = libc ? runningLibc() : null;
  if (libc && running !== libc)
    return `this node runs on ${running}, not ${libc}: set LIBC=${running}`;
  return `reinstall daemonkit, or ${buildHint(root)}`;
}

const LOADED = Symbol.for('daemonkit.native');

/** node-gyp-build's pick where it is plain: no build from source (build/Release or build/Debug),
 *  no env var that moves or narrows its search, and our own prebuild for this system there. It
 *  finds the same file, but through require(package.json) and four directory reads (~1 ms of
 *  every command that loads the native module); anything else is left to it. */
function plainPrebuild(root: string): string | null {
  const env = process.env;
  if (env.DAEMONKIT_PREBUILD || env.PREBUILDS_ONLY || env.npm_config_arch) return null;
  if (env.npm_config_platform || process.versions.electron) return null;
  if (existsSync(join(root, 'build'))) return null;
  const file = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  const prebuild = join(file, `node.napi.${assumedLibc()}.node`);
  return existsSync(prebuild) ? prebuild : null;
}

/** The native module of the package at `root`: its exports, or an Error whose message is one
 *  line. */
export function loadNative(root: string): unknown {
  let file: string;
  let plain: string | null = null;
  try {
    plain = plainPrebuild(root);
    file = plain ?? nodeGypBuild().resolve(root);
  } catch (error) {
    const target = `${process.platform}-${process.arch} (${assumedLibc()})`;
    // node-gyp-build looks in $DAEMONKIT_PREBUILD instead of the package when it is set.
    const where = process.env.DAEMONKIT_PREBUILD
      ? `${process.env.DAEMONKIT_PREBUILD} (DAEMONKIT_PREBUILD)`
      : root;
    throw new Error(
      `no native module for ${target} in ${where}: prebuilt ones are for linux-x64 and linux-arm64, glibc 2.31+ or musl; ${buildHint(root)}`,
      { cause: error },
    );
  }
  try {
    // process.dlopen is what require() ends in for a .node file, without its resolution (a stat,
    // a realpath, the package scope's package.json: ~1 ms).
    // Once per process, as require() would (its cache): a lazy bundle may hold its own copy of
    // this module, and the C module's state (signals, relays) is one.
    if (file === plain) {
      const loaded = globalThis as { [LOADED]?: { file: string; exports: unknown } };
      if (loaded[LOADED]?.file === file) return loaded[LOADED].exports;
      const module = { exports: {} };
      process.dlopen(module, file);
      loaded[LOADED] = { file, exports: module.exports };
      return module.exports;
    }
    return createRequire(import.meta.url)(file);
  } catch (error) {
    throw new Error(
      `cannot load the native module ${file}: ${reason(file, error)}; ${loadHint(file, error, root)}`,
      { cause: error },
    );
  }
}
