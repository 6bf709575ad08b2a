// The two programs every command pays the start-up of — the CLI and the supervisor — are
// bundled into one CommonJS file each: one module instead of ~25, and no ESM loader to boot,
// saves ~10 ms per call. The library (dist/index.js and its modules) stays ESM as tsc emitted it.
import { build } from 'esbuild';

for (const entry of ['cli/main', 'supervisor/main']) {
  await build({
    entryPoints: [`src/${entry}.ts`],
    outfile: `dist/${entry}.cjs`,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // import.meta.url has no CommonJS equivalent but __filename.
    define: { 'import.meta.url': '__daemonkit_url' },
    banner: { js: "const __daemonkit_url = require('node:url').pathToFileURL(__filename).href;" },
    target: 'node20',
    allowOverwrite: true,
    logLevel: 'warning',
  });
}
