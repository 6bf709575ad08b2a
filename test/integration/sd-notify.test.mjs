// The library under a service manager: a Daemon run with NOTIFY_SOCKET pointing at a small
// Python listener (independent of the code under test) sends READY=1, STATUS=, RELOADING=1 +
// MONOTONIC_USEC then READY=1 on SIGHUP, STOPPING=1 on SIGTERM, and WATCHDOG=1 pings only while
// its event loop runs. And new-style detection: `start` does not fork when a service manager or a
// container's init started it.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NODE,
  ROOT,
  isAlive,
  makeHome,
  procStat,
  pyListener,
  readJson,
  run,
  waitFor,
} from '../helpers.mjs';

const h = makeHome();
const work = mkdtempSync(join(tmpdir(), 'dk-sdn-'));
const FIXTURE = join(ROOT, 'test', 'fixtures', 'notified.mjs');
after(async () => {
  await h.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** Start the fixture; resolves its exit once it ends. */
function daemon(args, env, via = []) {
  const [file, pre] = via.length ? [via[0], via.slice(1)] : [NODE, []];
  const child = spawn(file, [...pre, ...(via.length ? [NODE] : []), FIXTURE, ...args], {
    env: { ...process.env, ...h.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  h.track(child.pid);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, exited };
}

const pidfileOf = (name) => Number(readFileSync(join(h.dir(name), 'pid'), 'utf8'));

describe('the library under a notify socket', { timeout: 120000 }, () => {
  it('READY=1, STATUS=, RELOADING=1 + MONOTONIC_USEC then READY=1 on SIGHUP, STOPPING=1 on SIGTERM; all from its own pid', async () => {
    const sock = await pyListener(h, join(work, 'main.sock'));
    const { child, exited } = daemon(['start'], { NOTIFY_SOCKET: sock.path, FIXTURE_NAME: 'sdn' });
    const ready = await sock.waitFor((m) => m.text === 'READY=1', 'READY=1');
    assert.deepEqual(
      sock.texts(),
      ['STATUS=starting, NOTIFY_SOCKET taken', 'READY=1'],
      'and NOTIFY_SOCKET left process.env',
    );
    assert.equal(
      pidfileOf('sdn'),
      child.pid,
      'new-style: start did not fork, the launching process is the daemon',
    );

    child.kill('SIGHUP');
    await waitFor(() => sock.count('READY=1') === 2, 10000, 'READY=1 after the reload');
    const [reloading, reloaded, readyAgain] = sock.messages().slice(2);
    const m = /^RELOADING=1\nMONOTONIC_USEC=(\d+)$/.exec(reloading.text);
    assert.ok(m, reloading.text);
    assert.equal(reloaded.text, 'STATUS=reloaded', 'onReload() ran between the two');
    assert.equal(readyAgain.text, 'READY=1');
    // MONOTONIC_USEC is CLOCK_MONOTONIC: after the listener's own reading at the first READY=1,
    // before its reading when RELOADING=1 arrived.
    const usec = Number(m[1]);
    assert.ok(
      usec >= ready.at && usec <= reloading.at,
      `${ready.at} <= ${usec} <= ${reloading.at}`,
    );

    child.kill('SIGTERM');
    const end = await exited;
    assert.equal(end.code, 0, end.stderr);
    assert.equal(sock.texts().at(-1), 'STOPPING=1');
    assert.equal(sock.count('STOPPING=1'), 1);
    assert.ok(
      sock.messages().every((msg) => msg.pid === child.pid),
      'every message from the daemon itself',
    );
    assert.equal(existsSync(join(h.dir('sdn'), 'pid')), false);
  });

  it('WATCHDOG=1 every WATCHDOG_USEC/2 while the event loop runs, none while it is blocked (WATCHDOG_PID naming it)', async () => {
    const sock = await pyListener(h, join(work, 'watchdog.sock'));
    // WATCHDOG_PID=$$, then exec: the variable names the very process that reads it.
    const { child, exited } = daemon(
      ['start'],
      {
        NOTIFY_SOCKET: sock.path,
        FIXTURE_NAME: 'wd',
        WATCHDOG_USEC: '100000',
        FIXTURE_BLOCK_MS: '1000',
      },
      ['sh', '-c', 'WATCHDOG_PID=$$ exec "$@"', 'sh'],
    );
    await waitFor(() => sock.count('WATCHDOG=1') >= 2, 10000, 'watchdog pings');
    child.kill('SIGUSR2');
    await sock.waitFor((msg) => msg.text === 'STATUS=after', 'STATUS=after');
    const texts = sock.texts();
    const blocking = texts.indexOf('STATUS=blocking');
    const unblocked = texts.indexOf('STATUS=unblocked');
    const afterwards = texts.indexOf('STATUS=after');
    assert.ok(blocking > 0 && unblocked > blocking && afterwards > unblocked, texts.join(' | '));
    assert.deepEqual(
      texts.slice(blocking + 1, unblocked),
      [],
      'no ping while the loop was blocked (10 intervals)',
    );
    assert.ok(
      texts.slice(unblocked + 1, afterwards).includes('WATCHDOG=1'),
      'pings again once it runs',
    );
    assert.ok(sock.messages().every((msg) => msg.pid === child.pid));
    child.kill('SIGTERM');
    assert.equal((await exited).code, 0);
  });

  it('no WATCHDOG=1 when WATCHDOG_PID names another process', async () => {
    const sock = await pyListener(h, join(work, 'not-ours.sock'));
    const { child, exited } = daemon(['start'], {
      NOTIFY_SOCKET: sock.path,
      FIXTURE_NAME: 'wd2',
      WATCHDOG_USEC: '100000',
      WATCHDOG_PID: '1',
      FIXTURE_QUIET_MS: '500',
    });
    // Five intervals pass on the daemon's own event loop before STATUS=quiet.
    await sock.waitFor((msg) => msg.text === 'STATUS=quiet', 'STATUS=quiet');
    assert.equal(sock.count('WATCHDOG=1'), 0);
    child.kill('SIGTERM');
    assert.equal((await exited).code, 0);
  });

  it('the watchdog timer never keeps the process alive: run() returns, STOPPING=1, the process ends', async () => {
    const sock = await pyListener(h, join(work, 'ends.sock'));
    const { child, exited } = daemon(['start'], {
      NOTIFY_SOCKET: sock.path,
      FIXTURE_NAME: 'wd3',
      WATCHDOG_USEC: '100000',
      FIXTURE_QUIET_MS: '300',
      FIXTURE_RETURN: '1',
    });
    const end = await exited;
    assert.equal(end.code, 0, end.stderr);
    assert.ok(sock.count('WATCHDOG=1') >= 1);
    assert.deepEqual(sock.texts().slice(-2), ['STATUS=quiet', 'STOPPING=1']);
    assert.ok(sock.messages().every((msg) => msg.pid === child.pid));
  });

  it('with a restart policy the foreground daemon supervises its worker and speaks for it', async () => {
    const sock = await pyListener(h, join(work, 'supervised.sock'));
    const { child, exited } = daemon(['start'], {
      NOTIFY_SOCKET: sock.path,
      FIXTURE_NAME: 'sup',
      FIXTURE_RESTART: 'on-failure',
    });
    await sock.waitFor((msg) => msg.text === 'READY=1', 'READY=1');
    const state = readJson(join(h.dir('sup'), 'state.json'));
    assert.equal(state.pid, child.pid);
    assert.equal(procStat(state.childPid).ppid, child.pid, 'the worker copy is our child');
    child.kill('SIGTERM');
    assert.equal((await exited).code, 0);
    assert.deepEqual(
      sock.texts(),
      ['READY=1', 'STOPPING=1'],
      'the worker has no NOTIFY_SOCKET: only the main process speaks',
    );
    assert.ok(sock.messages().every((msg) => msg.pid === child.pid));
    assert.equal(isAlive(state.childPid), false);
  });

  it('daemonize() resolves in the launching process itself, which sends READY=1 and STOPPING=1', async () => {
    const sock = await pyListener(h, join(work, 'daemonize.sock'));
    const code = [
      "import { daemonize } from 'daemonkit';",
      "const ctx = await daemonize({ name: 'dz' });",
      'console.log(JSON.stringify({ pid: ctx.pid }));',
      "ctx.setStatus('serving');",
      'const keep = setInterval(() => undefined, 60_000);',
      "ctx.signal.addEventListener('abort', () => clearInterval(keep));",
    ].join('\n');
    const child = spawn(NODE, ['--input-type=module', '-e', code], {
      cwd: ROOT,
      env: { ...process.env, ...h.env, NOTIFY_SOCKET: sock.path },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    h.track(child.pid);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise((resolve) => child.on('exit', (c) => resolve(c)));
    await sock.waitFor((msg) => msg.text === 'STATUS=serving', 'STATUS=serving');
    assert.equal(JSON.parse(out).pid, child.pid);
    assert.equal(pidfileOf('dz'), child.pid);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.deepEqual(sock.texts(), ['READY=1', 'STATUS=serving', 'STOPPING=1']);
    assert.ok(sock.messages().every((msg) => msg.pid === child.pid));
  });

  it('detach: true still detaches, and the daemon (not the launcher) notifies', async () => {
    const sock = await pyListener(h, join(work, 'forced.sock'));
    const launcher = await run(NODE, [FIXTURE, 'start'], {
      env: { ...h.env, NOTIFY_SOCKET: sock.path, FIXTURE_NAME: 'forced', FIXTURE_DETACH: 'true' },
    });
    assert.equal(launcher.code, 0, launcher.stderr);
    const pid = pidfileOf('forced');
    assert.notEqual(pid, launcher.pid);
    const ready = await sock.waitFor((msg) => msg.text === 'READY=1', 'READY=1');
    assert.equal(ready.pid, pid);
    const stop = await run(NODE, [FIXTURE, 'stop'], { env: { ...h.env, FIXTURE_NAME: 'forced' } });
    assert.equal(stop.code, 0, stop.stderr);
    await sock.waitFor((msg) => msg.text === 'STOPPING=1', 'STOPPING=1');
  });
});

describe('new-style detection: start does not fork', { timeout: 120000 }, () => {
  // A parent that is a service manager by the kernel's account: its comm is "systemd".
  const SYSTEMD_PY =
    'import ctypes, subprocess, sys\nctypes.CDLL(None).prctl(15, b"systemd", 0, 0, 0)\np = subprocess.Popen(sys.argv[1:])\nprint(p.pid, flush=True)\nsys.exit(p.wait())';

  it('INVOCATION_ID with a service manager as parent: the launching process keeps its pid and is the daemon', async () => {
    const report = join(work, 'invocation.json');
    const { child: manager, exited } = daemon(
      ['start'],
      {
        INVOCATION_ID: '0123456789abcdef0123456789abcdef',
        FIXTURE_NAME: 'inv',
        FIXTURE_REPORT: report,
      },
      ['python3', '-c', SYSTEMD_PY],
    );
    const r = await waitFor(() => readJson(report), 10000, 'report');
    assert.equal(readFileSync(`/proc/${manager.pid}/comm`, 'utf8'), 'systemd\n');
    h.track(r.pid);
    assert.equal(
      r.ppid,
      manager.pid,
      'still the child of the process that started it: no double fork',
    );
    assert.equal(pidfileOf('inv'), r.pid);
    const st = procStat(r.pid);
    assert.equal(st.ppid, manager.pid);
    assert.equal(st.session, procStat(manager.pid).session, 'no setsid either');
    assert.equal(readJson(join(h.dir('inv'), 'state.json')).state, 'running');
    process.kill(r.pid, 'SIGTERM');
    assert.equal((await exited).code, 0, 'the manager sees its service exit 0');
    assert.equal(existsSync(join(h.dir('inv'), 'pid')), false);
  });

  it('INVOCATION_ID under an ordinary parent (a leaked variable, e.g. a login shell) still detaches', async () => {
    const launcher = await run(NODE, [FIXTURE, 'start'], {
      env: { ...h.env, INVOCATION_ID: '0123456789abcdef0123456789abcdef', FIXTURE_NAME: 'leak' },
    });
    assert.equal(launcher.code, 0, launcher.stderr);
    const pid = pidfileOf('leak');
    assert.notEqual(pid, launcher.pid);
    assert.notEqual(procStat(pid).session, procStat(process.pid).session);
    assert.equal(
      (await run(NODE, [FIXTURE, 'stop'], { env: { ...h.env, FIXTURE_NAME: 'leak' } })).code,
      0,
    );
  });

  it('detach: false runs in the foreground anywhere; a second start reports it running (exit 0)', async () => {
    const report = join(work, 'fg.json');
    const { child, exited } = daemon(['start'], {
      FIXTURE_NAME: 'fg',
      FIXTURE_DETACH: 'false',
      FIXTURE_REPORT: report,
    });
    const r = await waitFor(() => readJson(report), 10000, 'report');
    assert.equal(r.pid, child.pid);
    assert.equal(pidfileOf('fg'), child.pid);
    const again = await run(NODE, [FIXTURE, 'start'], {
      env: { ...h.env, FIXTURE_NAME: 'fg', FIXTURE_DETACH: 'false' },
    });
    assert.equal(again.code, 0, again.stderr);
    child.kill('SIGTERM');
    assert.equal((await exited).code, 0);
  });

  it('an invalid detach option is a BAD_OPTION error from the constructor', async () => {
    const r = await run(
      NODE,
      [
        '--input-type=module',
        '-e',
        "import { Daemon } from 'daemonkit'; class D extends Daemon { run() {} }; try { new D({ name: 'x', detach: 'sometimes' }); } catch (e) { console.log(e.code, e.message); }",
      ],
      { cwd: ROOT },
    );
    assert.match(r.stdout, /^BAD_OPTION invalid detach 'sometimes'/);
  });

  it("as a child of a container's PID 1 (own PID namespace), start stays in the foreground", {
    skip: process.getuid() !== 0 && 'needs root for unshare --pid',
  }, async () => {
    const report = join(work, 'ctr.json');
    const { child: unshare, exited } = daemon(
      ['start'],
      { FIXTURE_NAME: 'ctr', FIXTURE_REPORT: report },
      ['unshare', '--pid', '--fork', '--mount-proc', 'sh', '-c', '"$@" & wait $!', 'sh'],
    );
    const r = await waitFor(() => readJson(report), 10000, 'report');
    assert.equal(r.ppid, 1, "the fixture is a child of the namespace's PID 1 (sh)");
    assert.equal(
      pidfileOf('ctr'),
      r.pid,
      'and it is the daemon: the pidfile names it (in its namespace)',
    );
    // Stop it by its pid as the host sees it: the child of the namespace's init.
    const children = (pid) =>
      readdirSync(`/proc/${pid}/task`).flatMap((t) =>
        readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8')
          .split(' ')
          .filter(Boolean)
          .map(Number),
      );
    const [init] = children(unshare.pid);
    const [fixture] = children(init);
    h.track(init);
    h.track(fixture);
    process.kill(fixture, 'SIGTERM');
    assert.equal((await exited).code, 0);
  });
});
