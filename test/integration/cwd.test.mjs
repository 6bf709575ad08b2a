// Issue 21.8: in the foreground (`run`, the library's run mode) the COMMAND runs where it was run
// from, unless --chdir says otherwise; `start` keeps daemon(7)'s /, and a start that fails there
// for a file named relative to the caller's directory says --chdir.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NODE, ROOT, makeHome, run } from '../helpers.mjs';

const h = makeHome();
// realpath: the cwd the COMMAND reports (/proc/self/cwd) has the symbolic links resolved.
const work = realpathSync(mkdtempSync(join(tmpdir(), 'dk-cwd-')));
mkdirSync(join(work, 'sub'));
writeFileSync(join(work, 'server.js'), 'setInterval(() => {}, 1000);\n');
const empty = realpathSync(mkdtempSync(join(tmpdir(), 'dk-cwd-empty-')));
after(async () => {
  await h.cleanup();
  rmSync(work, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
});

describe('run: the current directory unless --chdir', () => {
  it("without --chdir the COMMAND runs in the caller's directory (a Dockerfile's WORKDIR)", async () => {
    const r = await h.dk(['run', '--name', 'here', '--grace', '0', '--', '/bin/pwd'], {
      cwd: work,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${work}\n`);
  });
  it('--chdir still wins: / as given, a relative one from the current directory', async () => {
    const root = await h.dk(
      ['run', '--name', 'root', '--grace', '0', '--chdir', '/', '--', '/bin/pwd'],
      { cwd: work },
    );
    assert.equal(root.stdout, '/\n', root.stderr);
    const sub = await h.dk(
      ['run', '--name', 'sub', '--grace', '0', '--chdir', 'sub', '--', '/bin/pwd'],
      { cwd: work },
    );
    assert.equal(sub.stdout, `${join(work, 'sub')}\n`, sub.stderr);
  });
  it('node server.js in a project directory finds its script', async () => {
    const r = await h.dk(
      [
        'run',
        '--name',
        'node-here',
        '--grace',
        '0',
        '--',
        NODE,
        '-e',
        'process.stdout.write(require("fs").readFileSync("server.js", "utf8") ? "found" : "")',
      ],
      { cwd: work },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'found');
  });
  it("the library's run mode does the same (a Daemon, with and without a restart policy)", async () => {
    for (const extra of [{}, { WORKER_RESTART: 'on-failure' }]) {
      const r = await run(NODE, [join(ROOT, 'examples', 'worker.mjs'), 'run'], {
        cwd: work,
        env: { ...h.env, WORKER_NAME: 'lib-here', WORKER_FAIL: 'return', ...extra },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        new RegExp(`^worker \\d+: up in ${work}$`, 'm'),
        JSON.stringify(extra),
      );
    }
  });
});

describe("start: a file relative to the caller's directory gets a --chdir hint", () => {
  it('a COMMAND that fails in / for a file that is here: the last line says --chdir', async () => {
    const r = await h.dk(['start', '--name', 'hinted', '--grace', '60s', '--', NODE, 'server.js'], {
      cwd: work,
    });
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stderr.trimEnd().split('\n');
    assert.match(r.stderr, /Cannot find module '\/server\.js'/);
    assert.equal(
      lines.at(-1),
      `daemonkit: hint: the COMMAND runs in /, where 'server.js' does not exist: did you mean --chdir ${work}?`,
    );
  });
  // A long grace: the COMMAND (node, its file missing) fails whenever its boot lets it, and the
  // start waits for that exit, not for the grace (a loaded machine boots node slower than 500ms).
  it('no hint when no argument names a file here, or with --chdir', async () => {
    const absolute = await h.dk(
      ['start', '--name', 'abs', '--grace', '60s', '--', NODE, join(work, 'missing.js')],
      {
        cwd: work,
      },
    );
    assert.equal(absolute.code, 1);
    assert.doesNotMatch(absolute.stderr, /hint/);
    const chdir = await h.dk(
      ['start', '--name', 'chdir', '--grace', '60s', '--chdir', '/', '--', NODE, 'server.js'],
      { cwd: work },
    );
    assert.equal(chdir.code, 1);
    assert.doesNotMatch(chdir.stderr, /hint/);
    const elsewhere = await h.dk(
      ['start', '--name', 'elsewhere', '--grace', '60s', '--', NODE, 'server.js'],
      {
        cwd: empty,
      },
    );
    assert.equal(elsewhere.code, 1);
    assert.doesNotMatch(elsewhere.stderr, /hint/, 'server.js is not in that directory either');
  });
});
