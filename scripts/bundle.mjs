// The two programs every command pays the start-up of — the CLI and the supervisor — are
// bundled into CommonJS: one module instead of ~25, and no ESM loader to boot, saves ~10 ms per
// call. The library (dist/index.js and its modules) stays ESM as tsc emitted it.
//
// In the CLI, every dynamic import() becomes a bundle of its own (dist/cli/lazy/*.cjs), loaded
// by the CLI's own loader (see splitDynamic) only when a command gets there: V8 parses a whole
// script before it runs any of it, so one bundle of every command cost each call ~7 ms of
// parsing code it never ran.
// (esbuild splits code only for ESM output.) A module that two bundles import is in both; none
// of them keeps state that the other copy would have to see (DaemonError is recognised by a
// Symbol.for brand, not instanceof, for this reason too; sys/proc-fds.ts keeps `down`'s fd hints on
// globalThis under a Symbol.for key).
import { build } from 'esbuild';
import { relative, resolve } from 'node:path';

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  // import.meta.url has no CommonJS equivalent but __filename: made on first use, not at each
  // bundle's load (node's URL parser starts on the first call, ~0.26 ms of every command, and a
  // stop's path needs no URL: docs/decisions.md). import.meta.dirname is __dirname.
  define: { 'import.meta.url': '__daemonkit.url', 'import.meta.dirname': '__dirname' },
  banner: {
    js: "const __daemonkit = { get url() { return require('node:url').pathToFileURL(__filename).href; } };",
  },
  target: 'node20',
  // Whitespace, syntax and local names (nothing here shows a user a stack trace; the library in
  // dist/*/ stays as tsc wrote it): the package stays under 1 MB, and V8 parses less per call.
  minifyWhitespace: true,
  minifySyntax: true,
  minifyIdentifiers: true,
  allowOverwrite: true,
  logLevel: 'warning',
};

/** `node:module` loaded on first use, not at each bundle's load (~0.2 ms of every command, and a
 *  stop's path never calls it: docs/decisions.md). Our sources use createRequire alone from it. */
const lazyNodeModule = {
  name: 'lazy-node-module',
  setup(b) {
    b.onResolve({ filter: /^node:module$/ }, (args) =>
      args.kind === 'import-statement'
        ? { path: 'node:module', namespace: 'lazy-node' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-node' }, () => ({
      contents:
        "export const createRequire = (from) => require('node:module').createRequire(from);",
      loader: 'js',
    }));
  },
};
common.plugins = [lazyNodeModule];

/** src/cli/logs.ts -> cli-logs: the lazy bundle's name, from the source's path under src/. */
const lazyName = (source) =>
  relative('src', source)
    .replace(/\.[jt]s$/, '')
    .replaceAll('/', '-');

const cli = {
  ...common,
  // A lazy bundle is loaded by require(), not import(): import() would boot Node's ESM loader.
  supported: { 'dynamic-import': false },
};
/** Each dynamic import() of our own code becomes a call of the program's lazy loader
 *  (src/sys/compile-cache.ts, installed by its main.ts) for its own bundle: it reads and compiles
 *  OUTDIR/NAME.cjs itself, with V8's code cache, and skips node's module resolution (a stat, a
 *  realpath and package.json lookups per file). `pending`: the sources still to bundle. */
function splitDynamic(outDir) {
  const pending = [];
  const lazy = new Set(); // every source given a lazy bundle
  /** `inline`: sources bundled into the entry being built (see INLINE), not loaded lazily. */
  const pluginFor = (inline = new Set()) => ({
    name: 'split-dynamic-imports',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        // our own modules, not node:zlib and the like
        if (args.kind !== 'dynamic-import') return undefined;
        const source = relative(process.cwd(), resolve(args.resolveDir, args.path)).replace(
          /\.js$/,
          '.ts',
        );
        if (inline.has(source)) return undefined; // esbuild bundles it in
        if (!lazy.has(source)) {
          lazy.add(source);
          pending.push(source);
        }
        return { path: lazyName(source), namespace: 'daemonkit-lazy' };
      });
      b.onLoad({ filter: /.*/, namespace: 'daemonkit-lazy' }, (args) => ({
        contents: `module.exports = globalThis.__daemonkitLoad(${JSON.stringify(args.path)});`,
        loader: 'js',
      }));
    },
  });
  return {
    plugin: pluginFor(),
    pluginFor,
    pending,
    outfile: (source) => `${outDir}/${lazyName(source)}.cjs`,
  };
}

// The supervisor: main.cjs is the loader, its program (program.ts) one lazy bundle, run from the
// code cache; the program's own dynamic imports stay inside it, as before.
// The project's shared supervisor alike (project-main.ts, its program project-program.ts).
const supervisorSplit = splitDynamic('dist/supervisor/lazy');
for (const entry of ['main', 'project-main'])
  await build({
    ...cli,
    entryPoints: [`src/supervisor/${entry}.ts`],
    outfile: `dist/supervisor/${entry}.cjs`,
    plugins: [lazyNodeModule, supervisorSplit.plugin],
  });
for (const source of supervisorSplit.pending.splice(0))
  await build({ ...common, entryPoints: [source], outfile: supervisorSplit.outfile(source) });

const cliSplit = splitDynamic('dist/cli/lazy');
await build({
  ...cli,
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli/main.cjs',
  plugins: [lazyNodeModule, cliSplit.plugin],
});
/** Lazy bundles that carry, inside, a module their command would load next anyway: `stop`'s
 *  entry holds its ops (one bundle read and one code cache fewer on a stop's path:
 *  docs/decisions.md, "A stop's fifth pass"); other commands still load ops-stop lazily. */
const INLINE = { 'src/cli/entry-stop.ts': new Set(['src/ops/stop.ts']) };
while (cliSplit.pending.length > 0) {
  const source = cliSplit.pending.shift();
  await build({
    ...cli,
    entryPoints: [source],
    outfile: cliSplit.outfile(source),
    plugins: [lazyNodeModule, cliSplit.pluginFor(INLINE[source])],
  });
}
