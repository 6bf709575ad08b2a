// The library: a Daemon subclass (examples/worker.mjs) and daemonize(), on real processes.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import {
  NODE,
  ROOT,
  exits,
  isAlive,
  makeHome,
  procStat,
  readJson,
  run,
  waitFor,
} from '../helpers.mjs';

const h = makeHome();
const work = mkdtempSync(join(tmpdir(), 'dk-lib-'));
const WORKER = join(ROOT, 'examples', 'worker.mjs');
const IDLE = join(ROOT, 'test', 'fixtures', 'idle.mjs');
const worker = (args, env = {}) => run(NODE, [WORKER, ...args], { env: { ...h.env, ...env } });
after(async () => {
  await h.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('Daemon subclass (examples/worker.mjs)', () => {
  it('start detaches a daemon that holds the pidfile, status and stop work with LSB codes', async () => {
    const env = { WORKER_NAME: 'w1' };
    const s = await worker(['start'], env);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.stdout, 'Starting…\nStarted\n');
    const pid = Number(readFileSync(join(h.dir('w1'), 'pid'), 'utf8'));
    const st = procStat(pid);
    assert.notEqual(st.session, pid, 'not a session leader');
    assert.notEqual(st.session, procStat(process.pid).session, 'own session');
    assert.equal(st.ttyNr, 0);
    assert.equal(readlinkSync(`/proc/${pid}/cwd`), '/');
    assert.equal(readlinkSync(`/proc/${pid}/fd/0`), '/dev/null');
    const again = await worker(['start'], env);
    assert.equal(again.code, 0);
    assert.match(again.stdout, new RegExp(`Already running, pid ${pid}`));
    const status = await worker(['status'], env);
    assert.equal(status.code, 0);
    assert.match(
      status.stdout,
      new RegExp(
        `^w1: running, pid ${pid}, up (\\d+ms|[0-9.]+s), memory [0-9.]+ (KiB|MiB), cpu [0-9.]+s\\n$`,
      ),
      "the CLI's status line",
    );
    process.kill(pid, 'SIGHUP');
    const log = join(h.dir('w1'), 'w1.log');
    await waitFor(
      () => readFileSync(log, 'utf8').includes('worker: reloading configuration'),
      5000,
      'reload',
    );
    const stop = await worker(['stop'], env);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout, 'Stopping…\nStopped\n');
    await exits(pid);
    assert.match(readFileSync(log, 'utf8'), /stopping after \d+ heartbeats \(alive=false\)/);
    assert.equal(existsSync(join(h.dir('w1'), 'pid')), false, 'pidfile released on SIGTERM');
    const after = await worker(['status'], env);
    assert.equal(after.code, 3);
  });

  it('a run() that throws before ready() fails the start (exit 1) and leaves no pidfile', async () => {
    const env = { WORKER_NAME: 'w2', WORKER_FAIL: 'before-ready' };
    const s = await worker(['start'], env);
    assert.equal(s.code, 1);
    assert.match(s.stderr, /failed before it was ready: cannot read the configuration/);
    assert.equal(existsSync(join(h.dir('w2'), 'pid')), false);
    const state = readJson(join(h.dir('w2'), 'state.json'));
    assert.equal(state.state, 'failed');
    const status = await worker(['status'], env);
    assert.equal(status.code, 1);
  });

  it('restart gives a new daemon; run stays in the foreground with the same lock', async () => {
    const env = { WORKER_NAME: 'w3' };
    assert.equal((await worker(['start'], env)).code, 0);
    const first = Number(readFileSync(join(h.dir('w3'), 'pid'), 'utf8'));
    const r = await worker(['restart'], env);
    assert.equal(r.code, 0, r.stderr);
    const second = Number(readFileSync(join(h.dir('w3'), 'pid'), 'utf8'));
    assert.notEqual(second, first);
    assert.equal(isAlive(first), false);
    const fg = await worker(['run'], env);
    assert.notEqual(fg.code, 0);
    assert.match(fg.stderr, /w3 is already running/);
    assert.equal((await worker(['stop'], env)).code, 0);
  });

  for (const [way, state] of [
    ['return', 'exited'],
    ['after-ready', 'failed'],
    ['uncaught', 'failed'],
  ]) {
    it(`releases the pidfile and lock when run() ends by ${way}`, async () => {
      const env = { WORKER_NAME: `out-${way}`, WORKER_FAIL: way };
      const s = await worker(['start'], env);
      assert.equal(s.code, 0, s.stderr);
      // the pidfile may be gone already
      const pid = readJson(join(h.dir(`out-${way}`), 'state.json')).pid;
      await waitFor(() => !isAlive(pid), 5000, 'daemon exit');
      assert.equal(existsSync(join(h.dir(`out-${way}`), 'pid')), false);
      assert.equal(readJson(join(h.dir(`out-${way}`), 'state.json')).state, state);
      const status = await worker(['status'], env);
      assert.equal(status.code, state === 'failed' ? 1 : 3, status.stdout);
    });
  }

  it('releases the pidfile on SIGINT too', async () => {
    const env = { WORKER_NAME: 'int' };
    assert.equal((await worker(['start'], env)).code, 0);
    const pid = Number(readFileSync(join(h.dir('int'), 'pid'), 'utf8'));
    process.kill(pid, 'SIGINT');
    await waitFor(() => !isAlive(pid), 5000, 'daemon exit');
    assert.equal(existsSync(join(h.dir('int'), 'pid')), false);
    assert.equal(readJson(join(h.dir('int'), 'state.json')).state, 'stopped');
  });

  it('bad usage is exit 2', async () => {
    const r = await worker(['frobnicate'], { WORKER_NAME: 'w4' });
    assert.equal(r.code, 2);
  });
});

describe('daemonize()', () => {
  it('never resolves in the launcher, which exits 0 once the daemon is up; resolves in the daemon', async () => {
    const out = join(work, 'low.json');
    const r = await run(NODE, [join(ROOT, 'test', 'fixtures', 'daemonized.mjs')], {
      env: { ...h.env, FIXTURE_NAME: 'low', FIXTURE_OUT: out },
    });
    assert.equal(r.code, 0, r.stderr);
    const launched = JSON.parse(r.stdout);
    assert.equal(launched.ok, true);
    assert.equal(launched.started, true);
    const inDaemon = await waitFor(() => readJson(out), 5000, 'daemon report');
    assert.equal(inDaemon.pid, launched.pid);
    assert.equal(inDaemon.alive, true);
    const stop = await h.dk(['stop', '--name', 'low']);
    assert.equal(stop.code, 0, stop.stderr);
    await exits(launched.pid);
  });
});

describe('Daemon with a restart policy', () => {
  it('supervises a worker copy that runs run(), restarts it when it crashes, and stops it', async () => {
    const env = { WORKER_NAME: 'sup', WORKER_RESTART: 'on-failure' };
    const s = await worker(['start'], env);
    assert.equal(s.code, 0, s.stderr);
    const state = () => readJson(join(h.dir('sup'), 'state.json'));
    const first = await waitFor(
      () => (state()?.state === 'running' ? state() : null),
      5000,
      'running',
    );
    assert.equal(first.kind, 'supervisor');
    assert.equal(procStat(first.childPid).ppid, first.pid, "the worker is the daemon's child");
    const log = join(h.dir('sup'), 'sup.log');
    await waitFor(
      () => readFileSync(log, 'utf8').includes(`worker ${first.childPid}: up`),
      5000,
      'worker up',
    );
    process.kill(first.childPid, 'SIGKILL');
    const second = await waitFor(
      () =>
        state()?.restarts === 1 &&
        state().state === 'running' &&
        state().childPid !== first.childPid
          ? state()
          : null,
      5000,
      'a new worker',
    );
    assert.equal(second.pid, first.pid);
    // Its SIGHUP handler is in place once it says it is up (the grace period may pass first on a
    // loaded machine).
    await waitFor(
      () => readFileSync(log, 'utf8').includes(`worker ${second.childPid}: up`),
      5000,
      'the new worker up',
    );
    process.kill(second.pid, 'SIGHUP');
    await waitFor(
      () => readFileSync(log, 'utf8').includes('worker: reloading configuration'),
      5000,
      'reload in the worker',
    );
    const stop = await worker(['stop'], env);
    assert.equal(stop.code, 0, stop.stderr);
    await exits(second.pid);
    assert.equal(isAlive(second.childPid), false);
    assert.match(readFileSync(log, 'utf8'), /stopping after \d+ heartbeats \(alive=false\)/);
    assert.equal(state().state, 'stopped');
  });
});

describe('a run() that only awaits its abort signal (nothing else holds the event loop)', () => {
  const idle = (args, env) => run(NODE, [IDLE, ...args], { env: { ...h.env, ...env } });
  const state = (name) => readJson(join(h.dir(name), 'state.json'));
  // Long enough for a daemon that ends at once (the old defect) to have ended for sure.
  const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

  it('detached: the daemon lives until it is stopped, and the stop is what ends it', async () => {
    const env = { IDLE_NAME: 'idle1' };
    const s = await idle(['start'], env);
    assert.equal(s.code, 0, s.stderr);
    const pid = Number(readFileSync(join(h.dir('idle1'), 'pid'), 'utf8'));
    await settle();
    assert.ok(isAlive(pid), `the daemon is alive: ${JSON.stringify(state('idle1'))}`);
    assert.equal((await idle(['status'], env)).code, 0);
    assert.equal((await idle(['stop'], env)).code, 0);
    await exits(pid);
    assert.equal(state('idle1').state, 'stopped');
    assert.equal(state('idle1').lastExit.byStop, true);
  });

  it('with a restart policy: the worker copy lives until it is stopped (never restarted, never exited)', async () => {
    const env = { IDLE_NAME: 'idle2', IDLE_RESTART: 'always' };
    assert.equal((await idle(['start'], env)).code, 0);
    const first = await waitFor(
      () => (state('idle2')?.state === 'running' ? state('idle2') : null),
      5000,
      'running',
    );
    await settle();
    const now = state('idle2');
    assert.deepEqual(
      [now.state, now.restarts, now.childPid, isAlive(first.childPid)],
      ['running', 0, first.childPid, true],
      JSON.stringify(now),
    );
    assert.equal((await idle(['stop'], env)).code, 0);
    assert.equal(isAlive(first.childPid), false);
    assert.equal(state('idle2').state, 'stopped');
  });

  for (const [how, args, env] of [
    ['run', ['run'], {}],
    ['start with detach: false', ['start'], { IDLE_DETACH: '0' }],
  ]) {
    it(`in the foreground (${how}): it lives until SIGTERM, then exits 0, stopped`, async () => {
      const name = `idle-${args[0]}`;
      const child = spawn(NODE, [IDLE, ...args], {
        env: { ...process.env, ...h.env, IDLE_NAME: name, ...env },
        stdio: 'ignore',
      });
      h.track(child.pid);
      const exited = new Promise((resolve) =>
        child.on('exit', (code, signal) => resolve({ code, signal })),
      );
      await waitFor(
        () => state(name)?.state === 'running' && state(name).pid === child.pid,
        5000,
        'running',
      );
      await settle();
      assert.ok(isAlive(child.pid), `alive: ${JSON.stringify(state(name))}`);
      child.kill('SIGTERM');
      assert.deepEqual(await exited, { code: 0, signal: null });
      assert.equal(state(name).state, 'stopped');
    });
  }
});

describe('a process that lives on after run() has returned', () => {
  it('no longer holds the lock (release() releases it): status says stopped, and the same daemon runs again in that process', async () => {
    const script = `
      import { Daemon } from 'daemonkit';
      import { execFileSync } from 'node:child_process';
      class Once extends Daemon { async run() {} }
      const status = () => { try { return execFileSync(process.execPath, ['--', process.env.CLI, 'status', '--name', 'once'], { encoding: 'utf8' }); } catch (e) { return 'exit ' + e.status + ': ' + e.stdout; } };
      await new Once({ name: 'once' }).runForeground();
      console.log(status().trim());
      await new Once({ name: 'once' }).runForeground();
      console.log('ran again');`;
    const r = await run(NODE, ['--input-type=module', '-e', script], {
      env: { ...h.env, CLI: join(ROOT, 'dist', 'cli', 'main.cjs') },
      cwd: ROOT,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^exit 3: once: not running \(exited\)/);
    assert.match(r.stdout, /\nran again\n$/);
  });
});
