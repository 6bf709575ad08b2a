// Which native module the package loads (src/sys/native-load.ts): node-gyp-build's pick always —
// build/Release when built, $DAEMONKIT_PREBUILD when set, else the prebuild for this system, which
// is loaded without node-gyp-build's search (process.dlopen, once per process).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers.mjs';

const nodeGypBuild = createRequire(import.meta.url)('node-gyp-build');
const dir = mkdtempSync(join(tmpdir(), 'dk-native-load-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A private copy of the package (its dist/, prebuilds, binding.gyp, node-gyp-build). */
function pkg(name) {
  const root = join(dir, name);
  for (const part of [
    'binding.gyp',
    'package.json',
    'prebuilds',
    'dist',
    'node_modules/node-gyp-build',
  ])
    cpSync(join(ROOT, part), join(root, part), { recursive: true });
  return root;
}

/** The .node files mapped into a process that loaded the copy's native module twice, and
 *  whether both loads gave the same module. */
function loaded(root, env = {}) {
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { readFileSync } from 'node:fs';
       import { loadNative } from ${JSON.stringify(join(root, 'dist/sys/native-load.js'))};
       const a = loadNative(${JSON.stringify(root)}), b = loadNative(${JSON.stringify(root)});
       const files = new Set(readFileSync('/proc/self/maps', 'utf8').split('\\n')
         .map((l) => l.split(/\\s+/)[5]).filter((f) => f?.endsWith('.node')));
       console.log(JSON.stringify({ files: [...files], same: a === b }));`,
    ],
    { env: { ...process.env, ...env }, encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe('the native module loaded', () => {
  test('the prebuild when nothing is built from source: the one node-gyp-build picks, once', () => {
    const root = pkg('plain');
    assert.deepEqual(loaded(root), { files: [nodeGypBuild.resolve(root)], same: true });
  });
  test('build/Release when it is there', () => {
    const root = pkg('built');
    mkdirSync(join(root, 'build/Release'), { recursive: true });
    cpSync(nodeGypBuild.resolve(root), join(root, 'build/Release/daemonkit.node'));
    const picked = nodeGypBuild.resolve(root);
    assert.equal(picked, join(root, 'build/Release/daemonkit.node'));
    assert.deepEqual(loaded(root), { files: [picked], same: true });
  });
  test('$DAEMONKIT_PREBUILD when set', () => {
    const root = pkg('moved');
    const other = pkg('elsewhere');
    const env = { DAEMONKIT_PREBUILD: other };
    const picked = nodeGypBuild.resolve.call(null, other);
    assert.ok(picked.startsWith(other));
    assert.deepEqual(loaded(root, env), { files: [picked], same: true });
  });
});
