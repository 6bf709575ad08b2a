// What every command pays before it does anything: the CLI names its code caches by a digest of
// the bundle written in JavaScript, so node:crypto (and the ~30 stream modules it loads) is not
// loaded at all by a command that has no other use for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contentDigest } from '../../dist/cli/compile-cache.js';
import { CLI } from '../helpers.mjs';

test('list, status and --version load no node:crypto', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dk-startup-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const hook = join(dir, 'hook.cjs');
  const out = join(dir, 'modules');
  // Written at the 'exit' event, which the CLI's fast exit still emits.
  writeFileSync(
    hook,
    `process.on('exit', () => require('fs').appendFileSync(${JSON.stringify(out)}, process.moduleLoadList.join('\\n') + '\\n'));`,
  );
  for (const args of [['list'], ['status', '--name', 'none'], ['--version']]) {
    rmSync(out, { force: true });
    const r = spawnSync(process.execPath, ['-r', hook, CLI, ...args], {
      env: { ...process.env, DAEMONKIT_HOME: join(dir, 'home') },
      encoding: 'utf8',
    });
    assert.ok(r.status === 0 || r.status === 3, `${args.join(' ')}: ${r.status} ${r.stderr}`);
    const loaded = readFileSync(out, 'utf8').split('\n');
    assert.ok(loaded.includes('NativeModule fs'), 'the list was written');
    assert.deepEqual(
      loaded.filter((m) => /crypto/.test(m)),
      [],
      `${args.join(' ')} loaded crypto`,
    );
  }
});

test('the digest is of the bytes: the same wherever they lie in memory, another for one bit', () => {
  const text = Buffer.from('module.exports = { answer: () => 42 };\n'.repeat(50));
  const d = contentDigest(text);
  assert.match(d, /^[0-9a-f]{16}$/);
  for (let offset = 1; offset < 4; offset++) {
    const shifted = Buffer.alloc(text.length + offset);
    text.copy(shifted, offset);
    assert.equal(contentDigest(shifted.subarray(offset)), d, `at offset ${offset}`);
  }
  const seen = new Set([d]);
  for (const at of [0, 1, 2, 3, 100, text.length - 1]) {
    const other = Buffer.from(text);
    other[at] ^= 1;
    seen.add(contentDigest(other));
  }
  assert.equal(seen.size, 7, 'each one-bit change, another digest');
});
