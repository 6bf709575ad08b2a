// The two programs every command pays the start-up of — the CLI and the supervisor — are
// bundled into CommonJS: one module instead of ~25, and no ESM loader to boot, saves ~10 ms per
// call. The library (dist/index.js and its modules) stays ESM as tsc emitted it.
//
// In the CLI, every dynamic import() becomes a bundle of its own (dist/cli/lazy/*.cjs), loaded
// by require() only when a command gets there: V8 parses a whole script before it runs any of
// it, so one bundle of every command cost each call ~7 ms of parsing code it never ran.
// (esbuild splits code only for ESM output.) A module that two bundles import is in both; none
// of them keeps state that the other copy would have to see (DaemonError is recognised by a
// Symbol.for brand, not instanceof, for this reason too).
import { build } from 'esbuild';
import { relative, resolve } from 'node:path';

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  // import.meta.url has no CommonJS equivalent but __filename.
  define: { 'import.meta.url': '__daemonkit_url' },
  banner: { js: "const __daemonkit_url = require('node:url').pathToFileURL(__filename).href;" },
  target: 'node20',
  allowOverwrite: true,
  logLevel: 'warning',
};

await build({ ...common, entryPoints: ['src/supervisor/main.ts'], outfile: 'dist/supervisor/main.cjs' });

/** src/cli/logs.ts -> cli-logs: the lazy bundle's name, from the source's path under src/. */
const lazyName = (source) => relative('src', source).replace(/\.[jt]s$/, '').replaceAll('/', '-');

const cli = {
  ...common,
  // A lazy bundle is loaded by require(), not import(): import() would boot Node's ESM loader.
  supported: { 'dynamic-import': false },
};
const pending = [];          // sources still to bundle
const lazy = new Set();      // every source given a lazy bundle
/** Mark each dynamic import() external, as a require() of its own bundle (`dir`: where the
 *  lazy bundles are, as seen from the bundle being built). */
const splitDynamic = (dir) => ({
  name: 'split-dynamic-imports',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => { // our own modules, not node:zlib and the like
      if (args.kind !== 'dynamic-import') return undefined;
      const source = relative(process.cwd(), resolve(args.resolveDir, args.path)).replace(/\.js$/, '.ts');
      if (!lazy.has(source)) {
        lazy.add(source);
        pending.push(source);
      }
      return { path: `${dir}/${lazyName(source)}.cjs`, external: true };
    });
  },
});

await build({ ...cli, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli/main.cjs', plugins: [splitDynamic('./lazy')] });
while (pending.length > 0) {
  const source = pending.shift();
  await build({ ...cli, entryPoints: [source], outfile: `dist/cli/lazy/${lazyName(source)}.cjs`, plugins: [splitDynamic('.')] });
}
