// Values the old code refused or let through to fail later: --max-restarts beyond six digits and
// `infinity` (never give up), and --limit given more often than there are limits (issue 14, 4-5).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isAlive, makeHome, readJson, startedPids, waitFor } from '../helpers.mjs';

const h = makeHome();
after(() => h.cleanup());
const state = (name) => readJson(join(h.dir(name), 'state.json'));
const spec = (name) => readJson(join(h.dir(name), 'spec.json'));
const oneLine = (r) =>
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line:\n${r.stderr}`);

describe('--max-restarts', () => {
  it('takes 1000000 (the documented most); 1000001 is exit 2, the line saying the most', async () => {
    const ok = await h.dk([
      'start',
      '--name',
      'million',
      '--grace',
      '0',
      '--restart',
      'on-failure',
      '--max-restarts',
      '1000000',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(spec('million').restart.maxRestarts, 1000000);
    assert.equal((await h.dk(['stop', '--name', 'million'])).code, 0);
    const bad = await h.dk([
      'start',
      '--name',
      'million',
      '--max-restarts',
      '1000001',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      "daemonkit: invalid --max-restarts '1000001': a whole number from 0 to 1000000, or infinity (never give up)\n",
    );
  });

  it('infinity: a crash loop is restarted far past the default 10, never given up; `restart` without a COMMAND keeps it', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'forever',
      '--grace',
      '0',
      '--restart',
      'always',
      '--restart-delay',
      '1ms',
      '--restart-max-delay',
      '1ms',
      '--max-restarts',
      'infinity',
      '--',
      'sh',
      '-c',
      'exit 3',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { pid } = startedPids(r.stdout);
    assert.equal(
      spec('forever').restart.maxRestarts,
      null,
      'recorded as null: JSON has no Infinity',
    );
    // Ten restarts within the window would already have given up under the default.
    await waitFor(() => state('forever')?.restarts >= 40 || !isAlive(pid), 30000, '40 restarts');
    assert.ok(isAlive(pid), `the supervisor gave up: ${JSON.stringify(state('forever'))}`);
    assert.notEqual(state('forever').state, 'failed');
    // The recorded spec (maxRestarts: null) passes restart's re-check.
    const again = await h.dk(['restart', '--name', 'forever']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(spec('forever').restart.maxRestarts, null);
    assert.equal((await h.dk(['stop', '--name', 'forever'])).code, 0);
  });
});

describe('--limit', () => {
  it('nine --limit flags (one name twice): exit 2, one line naming both, before anything starts', async () => {
    const limits = [
      'nofile=1024',
      'core=0',
      'nproc=4096',
      'memlock=65536',
      'stack=8388608',
      'as=unlimited',
      'fsize=unlimited',
      'cpu=unlimited',
      'nofile=2048',
    ];
    const r = await h.dk([
      'start',
      '--name',
      'nine',
      ...limits.flatMap((l) => ['--limit', l]),
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(r.code, 2, r.stderr);
    oneLine(r);
    assert.equal(
      r.stderr,
      "daemonkit: invalid --limit 'nofile=2048': nofile is already set by --limit 'nofile=1024' (give each limit once)\n",
    );
    assert.equal(state('nine'), null, 'nothing started');
  });

  it('each of the eight names once: the COMMAND runs with all of them', async () => {
    const r = await h.dk([
      'run',
      '--name',
      'eight',
      '--grace',
      '0',
      '--limit',
      'nofile=1000:1001',
      '--limit',
      'core=0',
      '--limit',
      'nproc=4000',
      '--limit',
      'memlock=65536',
      '--limit',
      'stack=8388608',
      '--limit',
      'as=unlimited',
      '--limit',
      'fsize=unlimited',
      '--limit',
      'cpu=unlimited',
      '--',
      'cat',
      '/proc/self/limits',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const row = (title) =>
      r.stdout
        .split('\n')
        .find((l) => l.startsWith(title))
        .slice(26)
        .trim()
        .split(/\s+/)
        .slice(0, 2);
    assert.deepEqual(row('Max open files'), ['1000', '1001']);
    assert.deepEqual(row('Max processes'), ['4000', '4000']);
    assert.deepEqual(row('Max core file size'), ['0', '0']);
    assert.deepEqual(row('Max locked memory'), ['65536', '65536']);
    assert.deepEqual(row('Max stack size'), ['8388608', '8388608']);
  });
});
