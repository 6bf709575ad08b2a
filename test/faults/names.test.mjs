// Fault suite: hostile service names and pidfile paths. docs/cli.md: a NAME is 1-64 characters
// of letters, digits, '.', '_', '@', '+', '-', starting with a letter or digit; a bad argument
// is exit 2 with one line per problem. Nothing may be created, inside DAEMONKIT_HOME or out.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, NODE } from '../helpers.mjs';
import {
  assertOneLine,
  describeProcs,
  faultHome,
  guarded,
  homeProcs,
  runT,
  snapshot,
} from './helpers.mjs';

const h = faultHome();
const sandboxHomes = [];
after(async () => {
  for (const home of sandboxHomes) for (const p of homeProcs(home)) process.kill(p.pid, 'SIGKILL');
  await h.cleanup();
});

/**
 * A sandbox: W/home is DAEMONKIT_HOME, W/cwd the current directory, so a listing of W (the
 * home's parent) shows anything created beside or above the home.
 */
function sandbox() {
  const w = h.work();
  const home = join(w, 'home');
  const cwd = join(w, 'cwd');
  mkdirSync(home);
  mkdirSync(cwd);
  sandboxHomes.push(home);
  const dk = (args) =>
    runT(NODE, [CLI, ...args], { env: { DAEMONKIT_HOME: home }, cwd, timeoutMs: 10000 });
  return { w, home, cwd, dk };
}

const COMMAND = ['--', '/bin/sleep', '1000'];
/** Every action, with what it needs besides the identity. */
const ACTIONS = [
  ['start', ['--grace', '0', ...COMMAND]],
  ['run', COMMAND],
  ['restart', ['--grace', '0', ...COMMAND]],
  ['stop', []],
  ['status', []],
  ['reload', []],
];

async function allRefused(sb, identity, pattern) {
  const before = snapshot(sb.w);
  for (const [action, extra] of ACTIONS) {
    const r = await sb.dk([action, ...identity, ...extra]);
    assert.equal(r.timedOut, false, `${action} hung`);
    assert.equal(
      r.code,
      2,
      `${action} ${JSON.stringify(identity)}: exit ${r.code}\n${r.stdout}${r.stderr}`,
    );
    assertOneLine(r.stderr);
    assert.match(r.stderr, pattern, `${action}: ${r.stderr}`);
    assert.equal(r.stdout, '', `${action} printed on stdout`);
  }
  assert.deepEqual(
    snapshot(sb.w),
    before,
    'files were created or changed (inside or beside DAEMONKIT_HOME)',
  );
  const left = homeProcs(sb.home);
  assert.deepEqual(left, [], describeProcs(left));
}

describe('hostile names', () => {
  const names = [
    ['../x', '../x'],
    ['..', '..'],
    ['.', '.'],
    ['a/b', 'a/b'],
    ['/etc', '/etc'],
    ['a space', 'a b'],
    ['a newline', 'a\nb'],
    ['a trailing newline', 'svc\n'],
    ['300 characters', 'n'.repeat(300)],
    ['65 characters', 'n'.repeat(65)],
    ['empty', ''],
    ['a leading dot', '.hidden'],
    ['a leading dash', '-x'],
    ['non-ASCII', 'café'],
    ['a shell metacharacter', 'x;rm'],
  ];
  for (const [label, name] of names) {
    it(
      `--name with ${label}: every action (start, run, restart, stop, status, reload) exits 2 with one line on stderr, prints nothing else, creates no file and starts nothing`,
      guarded(h, async () => {
        await allRefused(sandbox(), ['--name', name], /invalid --name/);
      }),
    );
  }

  it(
    '--name=../x (the = form) is refused the same way',
    guarded(h, async () => {
      await allRefused(sandbox(), ['--name=../x'], /invalid --name/);
    }),
  );

  it(
    'a 64-character name is accepted (the limit itself): status exits 3 (never started) and creates nothing',
    guarded(h, async () => {
      const sb = sandbox();
      const before = snapshot(sb.w);
      const r = await sb.dk(['status', '--name', 'n'.repeat(64)]);
      assert.equal(r.code, 3, r.stdout + r.stderr);
      assert.deepEqual(snapshot(sb.w), before);
    }),
  );

  it(
    'a 300-character name is shown shortened on its one stderr line (no 300-character echo)',
    guarded(h, async () => {
      const sb = sandbox();
      const r = await sb.dk(['status', '--name', 'n'.repeat(300)]);
      assert.equal(r.code, 2);
      assertOneLine(r.stderr);
      assert.ok(r.stderr.length < 300, r.stderr);
    }),
  );
});

describe('hostile pidfile paths', () => {
  const paths = [
    ['empty', ''],
    ['ending in / (relative)', 'run/'],
    ['ending in / (absolute, existing dir)', null], // filled in with the sandbox's cwd + '/'
    ['/', '/'],
  ];
  for (const [label, path] of paths) {
    it(
      `--pidfile ${label}: every action exits 2 with one line on stderr, creates no file and starts nothing`,
      guarded(h, async () => {
        const sb = sandbox();
        await allRefused(sb, ['--pidfile', path ?? `${sb.cwd}/`], /invalid --pidfile/);
      }),
    );
  }

  it(
    '--pidfile . (the current directory): start exits 2 with one line, and creates nothing outside DAEMONKIT_HOME (no "<cwd>.lock" beside it) and starts nothing',
    guarded(h, async () => {
      const sb = sandbox();
      const before = snapshot(sb.w);
      const r = await sb.dk(['start', '--pidfile', '.', '--grace', '0', ...COMMAND]);
      // let a crashing supervisor finish crashing
      await new Promise((resolve) => setTimeout(resolve, 300));
      const left = homeProcs(sb.home);
      for (const p of left) process.kill(p.pid, 'SIGKILL');
      assert.equal(r.code, 2, r.stderr);
      assertOneLine(r.stderr);
      const after = snapshot(sb.w);
      const outside = Object.keys(after).filter((k) => !k.startsWith('home') && !(k in before));
      assert.deepEqual(outside, [], 'created outside DAEMONKIT_HOME');
      assert.deepEqual(left, [], describeProcs(left));
    }),
  );
});
