// Small things a user trips on: `rm`, a mistyped name, the name as a word, durations with units,
// and the library's main() (reload, its own option names).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import {
  CLI,
  NODE,
  ROOT,
  isAlive,
  makeHome,
  readJson,
  run,
  startedPids,
  waitFor,
} from '../helpers.mjs';

const h = makeHome();
const work = mkdtempSync(join(tmpdir(), 'dk-rm-'));
after(async () => {
  await h.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const state = (name) => readJson(join(h.dir(name), 'state.json'));
const lines = (text) => text.split('\n').filter(Boolean);
/** Its COMMAND exited and its supervisor is gone (with its pidfile and lock). */
const exited = (name) =>
  state(name)?.state === 'exited' &&
  !isAlive(state(name).pid) &&
  !existsSync(join(h.dir(name), 'pid'));

describe('rm', () => {
  it("refuses a running service (exit 1, one line, nothing removed); removes a stopped one's files and directory", async () => {
    const r = await h.dk([
      'start',
      '--name',
      'gone',
      '--grace',
      '0',
      '--log-max-size',
      '4K',
      '--log-compress',
      '--',
      'sh',
      '-c',
      'echo hi; exec sleep 1000',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { pid } = startedPids(r.stdout);
    const before = readdirSync(h.dir('gone')).sort();
    const a = await h.dk(['rm', '--name', 'gone']);
    assert.equal(a.code, 1);
    assert.equal(a.stderr, `daemonkit: gone is running (pid ${pid}): stop it first\n`);
    assert.deepEqual(readdirSync(h.dir('gone')).sort(), before);
    assert.equal(isAlive(pid), true);
    assert.equal((await h.dk(['stop', 'gone'])).code, 0);
    // rotated logs as daemonkit names them go too
    writeFileSync(join(h.dir('gone'), 'gone.log.1'), 'old\n');
    writeFileSync(join(h.dir('gone'), 'gone.log.2.gz'), '');
    const b = await h.dk(['rm', 'gone']);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, new RegExp(`^gone: removed ${h.dir('gone')} \\(\\d+ files\\)\\n$`));
    assert.equal(existsSync(h.dir('gone')), false);
    assert.deepEqual(readdirSync(h.home), [], 'nothing left aside either');
    const list = await h.dk(['list', '--json']);
    assert.deepEqual(JSON.parse(list.stdout), []);
  });

  it('refuses a service that is starting', async () => {
    // Readiness on a port nobody listens on: it stays `starting` until we stop it.
    const start = spawn(
      NODE,
      [
        '--',
        CLI,
        'start',
        '--name',
        'slow',
        '--ready',
        'tcp:127.0.0.1:9',
        '--ready-timeout',
        '60s',
        '--',
        '/bin/sleep',
        '1000',
      ],
      { env: { ...process.env, ...h.env }, stdio: 'ignore' },
    );
    h.track(start.pid);
    const ended = new Promise((resolve) => start.on('exit', resolve));
    await waitFor(
      () => state('slow')?.state === 'starting' && existsSync(join(h.dir('slow'), 'pid')),
      10000,
      'starting',
    );
    const a = await h.dk(['rm', 'slow']);
    assert.equal(a.code, 1);
    assert.match(a.stderr, /^daemonkit: slow is starting \(pid \d+\): stop it first\n$/);
    assert.equal((await h.dk(['stop', 'slow'])).code, 0);
    await ended;
    assert.equal((await h.dk(['rm', 'slow'])).code, 0);
  });

  it('removes only the names daemonkit makes: anything else there is named and nothing is removed', async () => {
    assert.equal((await h.dk(['start', '--name', 'mixed', '--grace', '0', '--', 'true'])).code, 0);
    await waitFor(() => exited('mixed'), 5000, 'exited');
    writeFileSync(join(h.dir('mixed'), 'notes.txt'), 'mine\n');
    const before = readdirSync(h.dir('mixed')).sort();
    const a = await h.dk(['rm', 'mixed']);
    assert.equal(a.code, 1);
    assert.equal(
      a.stderr,
      `daemonkit: ${h.dir('mixed')} holds files daemonkit did not make ('notes.txt'): nothing removed\n`,
    );
    assert.deepEqual(readdirSync(h.dir('mixed')).sort(), before);
  });

  it('never acts by name where another user could: a directory writable by others, or a symbolic link, is refused', async () => {
    assert.equal((await h.dk(['start', '--name', 'open', '--grace', '0', '--', 'true'])).code, 0);
    await waitFor(() => exited('open'), 5000, 'exited');
    chmodSync(h.dir('open'), 0o775);
    const a = await h.dk(['rm', 'open']);
    assert.equal(a.code, 4);
    assert.equal(
      a.stderr,
      `daemonkit: ${h.dir('open')} is writable by other users: not removing anything in it\n`,
    );
    chmodSync(h.dir('open'), 0o777); // start-stop-daemon's rule for the pidfile's directory says it first
    const a2 = await h.dk(['rm', 'open']);
    assert.equal(a2.code, 4);
    assert.match(
      a2.stderr,
      /^daemonkit: pidfile directory .* is world-writable without the sticky bit/,
    );
    assert.ok(existsSync(join(h.dir('open'), 'state.json')));
    const target = join(work, 'elsewhere');
    mkdirSync(target);
    writeFileSync(join(target, 'state.json'), '{}');
    symlinkSync(target, h.dir('linked'));
    const b = await h.dk(['rm', 'linked']);
    assert.equal(b.code, 1, b.stderr);
    assert.match(
      b.stderr,
      /^daemonkit: .*linked is not a directory \(a symbolic link\?\): not removing it\n$/,
    );
    assert.deepEqual(readdirSync(target), ['state.json']);
    rmSync(h.dir('linked'));
  });

  it('racing a start: the start wins with a whole fresh directory, or waits for the rm; never half of each', async () => {
    for (let round = 0; round < 6; round++) {
      const name = `race${round}`;
      assert.equal((await h.dk(['start', '--name', name, '--grace', '0', '--', 'true'])).code, 0);
      await waitFor(() => exited(name), 5000, 'exited');
      const [rm, start] = await Promise.all([
        h.dk(['rm', name]),
        h.dk(['start', '--name', name, '--grace', '0', '--', '/bin/sleep', '1000']),
      ]);
      assert.equal(start.code, 0, start.stderr);
      assert.ok(rm.code === 0 || rm.code === 1, rm.stderr);
      assert.equal(lines(rm.stderr).length, rm.code === 0 ? 0 : 1, rm.stderr);
      const s = await h.dk(['status', name]);
      assert.equal(s.code, 0, `${s.stdout}${s.stderr} (rm: ${rm.stdout}${rm.stderr})`);
      for (const file of ['pid', 'state.json', 'spec.json', 'env.json'])
        assert.ok(existsSync(join(h.dir(name), file)), `${file} (rm: ${rm.stdout}${rm.stderr})`);
      assert.equal((await h.dk(['stop', name])).code, 0);
    }
    assert.deepEqual(
      readdirSync(h.home).filter((e) => e.startsWith('.')),
      [],
      'nothing left aside',
    );
  });
});

describe('no such service', () => {
  it("a mistyped name is said to be no service, with each action's exit code", async () => {
    const where = `no such service nosuch (nothing at ${h.dir('nosuch')})`;
    const stop = await h.dk(['stop', '--name', 'nosuch']);
    assert.deepEqual([stop.code, stop.stdout, stop.stderr], [0, '', `daemonkit: ${where}\n`]);
    const status = await h.dk(['status', 'nosuch']);
    assert.deepEqual([status.code, status.stdout, status.stderr], [3, '', `daemonkit: ${where}\n`]);
    const json = await h.dk(['status', 'nosuch', '--json']);
    assert.equal(json.code, 3);
    assert.equal(JSON.parse(json.stdout).state, 'never-started');
    assert.equal(json.stderr, `daemonkit: ${where}\n`);
    const quiet = await h.dk(['status', 'nosuch', '-q']);
    assert.deepEqual([quiet.code, quiet.stdout, quiet.stderr], [3, '', '']);
    const restart = await h.dk(['restart', 'nosuch']);
    assert.deepEqual([restart.code, restart.stderr], [5, `daemonkit: ${where}\n`]);
    const logs = await h.dk(['logs', 'nosuch']);
    assert.deepEqual([logs.code, logs.stderr], [1, `daemonkit: ${where}\n`]);
    const rm = await h.dk(['rm', 'nosuch']);
    assert.deepEqual([rm.code, rm.stderr], [1, `daemonkit: ${where}\n`]);
    assert.equal(existsSync(h.dir('nosuch')), false, 'nothing was made for it');
  });
});

describe('the name as a word, and durations with units', () => {
  it('--grace takes a unit (a bare number stays milliseconds)', async () => {
    const r = await h.dk(['start', '--name', 'gr', '--grace', '0.2s', '--', '/bin/sleep', '1000']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readJson(join(h.dir('gr'), 'spec.json')).graceMs, 200);
    assert.equal((await h.dk(['stop', '--name', 'gr'])).code, 0);
  });

  it('--timeout takes a unit like every other duration (a bare number stays seconds)', async () => {
    // A COMMAND that ignores SIGTERM: the timeout is what ends its wait (then KILL).
    const r = await h.dk([
      'start',
      '--name',
      'to',
      '--grace',
      '0',
      '--',
      'sh',
      '-c',
      'trap "" TERM; echo ready; while :; do sleep 1; done',
    ]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(
      () => readFileSync(join(h.dir('to'), 'to.log'), 'utf8').includes('ready'),
      5000,
      'trap set',
    );
    const t = await h.dk(['stop', '--name', 'to', '--timeout', '300ms']);
    assert.equal(t.code, 0, t.stderr);
    assert.equal(t.stdout, 'to: stopped\n');
    assert.equal(
      readJson(join(h.dir('to'), 'state.json')).lastExit.signal,
      'SIGKILL',
      'TERM ignored, KILL after the timeout',
    );
  });

  it('`status web`, `stop web`: the name as a word where no COMMAND is given; refused before a COMMAND', async () => {
    assert.equal(
      (await h.dk(['start', '--name', 'words', '--grace', '0', '--', '/bin/sleep', '1000'])).code,
      0,
    );
    const s = await h.dk(['status', 'words']);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /^words: running, pid \d+/);
    const t = await h.dk(['stop', 'words']);
    assert.equal(t.code, 0, t.stderr);
    assert.equal(t.stdout, 'words: stopped\n');
    const u = await h.dk(['start', 'words', '--', '/bin/sleep', '1000']);
    assert.equal(u.code, 2);
    assert.match(
      u.stderr,
      /unexpected argument 'words': with a COMMAND, name the service with --name/,
    );
  });
});

describe("the library's main()", () => {
  const FIXTURE = join(ROOT, 'test', 'fixtures', 'env-daemon.mjs');
  it('reload sends SIGHUP to the daemon (as `daemonkit reload`); not running: exit 7', async () => {
    const s = await run(NODE, [FIXTURE, 'libreload', 'start'], { env: h.env });
    assert.equal(s.code, 0, s.stderr);
    const pid = Number(readFileSync(join(h.dir('libreload'), 'pid'), 'utf8'));
    const r = await run(NODE, [FIXTURE, 'libreload', 'reload'], { env: h.env });
    assert.equal(r.code, 0, r.stderr);
    await waitFor(
      () =>
        readFileSync(join(h.dir('libreload'), 'libreload.log'), 'utf8').includes(`reload ${pid}`),
      5000,
      'onReload()',
    );
    assert.equal((await run(NODE, [FIXTURE, 'libreload', 'stop'], { env: h.env })).code, 0);
    const n = await run(NODE, [FIXTURE, 'libreload', 'reload'], { env: h.env });
    assert.equal(n.code, 7);
    assert.equal(n.stderr, 'libreload is not running\n');
  });

  it("option errors name the library's options, not the CLI's flags", async () => {
    const { Daemon } = await import(join(ROOT, 'dist', 'index.js'));
    class D extends Daemon {
      run() {}
    }
    assert.throws(
      () => new D({ name: 'x', restartDelay: '5x', graceMs: 'soon', logKeep: 2 }),
      (error) => {
        assert.equal(error.code, 'BAD_OPTION');
        assert.deepEqual(error.details.problems, [
          "invalid graceMs 'soon': a whole number of milliseconds, 0 or more (or a duration such as 2s)",
          "invalid restartDelay '5x': a duration such as 100ms, 2s or 1m (a bare number is seconds)",
          'logKeep needs logMaxSize (rotation by size)',
        ]);
        return true;
      },
    );
    assert.throws(
      () => new D({ name: 'x', retry: 'TERM' }),
      /^DaemonError: invalid retry: 'TERM' is neither/,
    );
    assert.throws(() => new D({}), /^DaemonError: a service needs name or pidfile$/);
  });
});
