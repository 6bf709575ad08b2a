// Readiness: `start --ready` returns when the COMMAND is really up, not when it has exec'd.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  CLI,
  NODE,
  fdTargets,
  isAlive,
  makeHome,
  pyListener,
  readJson,
  startedPids,
  waitFor,
} from '../helpers.mjs';

const h = makeHome();
after(() => h.cleanup());

/** A free TCP port (bound and released by us). */
async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const PY_LISTEN = (port, delay) => `
import socket, time, os, sys
time.sleep(${delay})
print("listening", flush=True)
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", ${port})); s.listen()
open(os.environ["MARK"], "w").write(str(time.time()))
while True:
    c, _ = s.accept(); c.close()
`;

describe('--ready tcp:[HOST:]PORT', () => {
  it('start returns only once the port accepts connections', async () => {
    const port = await freePort();
    const mark = join(h.home, 'tcp-mark');
    const r = await h.dk([
      'start',
      '--name',
      'tcp',
      '--ready',
      `tcp:127.0.0.1:${port}`,
      '--env',
      `MARK=${mark}`,
      '--',
      'python3',
      '-c',
      PY_LISTEN(port, 0.4),
    ]);
    assert.equal(r.code, 0, r.stderr);
    // written right after listen(): must exist already
    const listeningSince = Number(readFileSync(mark, 'utf8'));
    assert.ok(listeningSince > 0);
    const st = readJson(join(h.dir('tcp'), 'state.json'));
    assert.equal(st.state, 'running');
    assert.equal((await h.dk(['stop', '--name', 'tcp'])).code, 0);
  });

  it('never ready: after --ready-timeout the start fails with exit 1 and the stderr tail, and nothing is left running', async () => {
    const port = await freePort();
    const r = await h.dk([
      'start',
      '--name',
      'tcp-never',
      '--ready',
      `tcp:${port}`,
      '--ready-timeout',
      '700ms',
      '--',
      '/bin/sh',
      '-c',
      'echo "still warming up" >&2; exec sleep 1000',
    ]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `^daemonkit: /bin/sh: not ready within 0.7 s \\(--ready tcp:localhost:${port}\\)\\n`,
      ),
    );
    assert.match(r.stderr, /\| still warming up/);
    const st = readJson(join(h.dir('tcp-never'), 'state.json'));
    assert.equal(st.state, 'failed');
    assert.equal(isAlive(st.childPid), false);
    assert.equal(isAlive(st.pid), false);
    const s = await h.dk(['status', '--name', 'tcp-never']);
    assert.equal(s.code, 1);
    assert.match(s.stdout, /not ready within 0.7 s/);
  });

  it('a COMMAND that exits before it is ready fails the start at once (no waiting for the timeout)', async () => {
    const port = await freePort();
    const r = await h.dk([
      'start',
      '--name',
      'tcp-dies',
      '--ready',
      `tcp:${port}`,
      '--',
      '/bin/sh',
      '-c',
      'echo "bad config" >&2; exit 3',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /exited with code 3 before it was ready/);
    assert.match(r.stderr, /\| bad config/);
  });
});

describe('--ready fd:N (s6 style)', () => {
  it('start returns when the COMMAND writes a newline on fd N; the fds between are closed', async () => {
    const script = 'sleep 0.3; ls -l /proc/$$/fd > "$OUT"; echo >&4; exec sleep 1000';
    const out = join(h.home, 'fd-list');
    const r = await h.dk([
      'start',
      '--name',
      'fd',
      '--ready',
      'fd:4',
      '--env',
      `OUT=${out}`,
      '--',
      '/bin/sh',
      '-c',
      script,
    ]);
    assert.equal(r.code, 0, r.stderr);
    // written before the newline, so before start returned
    const listing = readFileSync(out, 'utf8');
    assert.match(listing, / 4 -> pipe:/);
    assert.doesNotMatch(listing, / 3 -> /, 'fd 3, between stderr and the readiness fd, is closed');
    const { childPid } = startedPids(r.stdout);
    const fds = fdTargets(childPid);
    assert.deepEqual(Object.keys(fds).sort(), ['0', '1', '2', '4']);
    assert.equal((await h.dk(['stop', '--name', 'fd'])).code, 0);
  });

  it('restarted COMMANDs must become ready too: each gets a fresh pipe', async () => {
    const count = join(h.home, 'fd-restarts');
    // Ready at once, then crash after a moment: each run must be announced ready by its own pipe.
    const script = `echo x >> "${count}"; echo >&3; sleep 0.2; exit 1`;
    const r = await h.dk([
      'start',
      '--name',
      'fd-restart',
      '--ready',
      'fd:3',
      '--restart',
      'on-failure',
      '--restart-delay',
      '10ms',
      '--',
      '/bin/sh',
      '-c',
      script,
    ]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(
      () => (readJson(join(h.dir('fd-restart'), 'state.json'))?.restarts ?? 0) >= 3,
      10000,
      'three restarts',
    );
    const st = readJson(join(h.dir('fd-restart'), 'state.json'));
    assert.ok(['running', 'starting', 'backoff'].includes(st.state), st.state);
    assert.equal((await h.dk(['stop', '--name', 'fd-restart'])).code, 0);
  });
});

/** A COMMAND that speaks sd_notify, in Python (so nothing of ours is on its side). */
const PY_NOTIFY = (steps) => `
import socket, os, time, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
def send(text):
    s.sendto(text.encode(), os.environ["NOTIFY_SOCKET"])
${steps}
while True:
    time.sleep(1)
`;

describe('--ready notify (sd_notify, as systemd Type=notify)', () => {
  it('start returns when READY=1 arrives; STATUS= is shown by status; the socket is private and goes with the service', async () => {
    const mark = join(h.home, 'notify-mark');
    const steps = `send("STATUS=warming up")\ntime.sleep(0.3)\nopen(os.environ["MARK"], "w").write("x")\nsend("READY=1\\nSTATUS=serving")`;
    const r = await h.dk([
      'start',
      '--name',
      'nfy',
      '--ready',
      'notify',
      '--env',
      `MARK=${mark}`,
      '--',
      'python3',
      '-c',
      PY_NOTIFY(steps),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      readFileSync(mark, 'utf8'),
      'x',
      'written just before READY=1: start returned after it',
    );
    const { childPid } = startedPids(r.stdout);
    const sockDir = readdirSync(h.dir('nfy')).find((f) => f.startsWith('dk-notify-'));
    assert.ok(sockDir, 'the socket lives in a private directory of the service');
    assert.equal(statSync(join(h.dir('nfy'), sockDir)).mode & 0o777, 0o700);
    const env = readFileSync(`/proc/${childPid}/environ`, 'utf8').split('\0');
    assert.ok(env.includes(`NOTIFY_SOCKET=${join(h.dir('nfy'), sockDir, 'notify')}`));
    await waitFor(
      () => readJson(join(h.dir('nfy'), 'state.json'))?.notifyStatus === 'serving',
      5000,
      'the status',
    );
    const s = await h.dk(['status', '--name', 'nfy']);
    assert.match(s.stdout, /running, .*status: serving/);
    assert.equal((await h.dk(['stop', '--name', 'nfy'])).code, 0);
    assert.equal(
      readdirSync(h.dir('nfy')).some((f) => f.startsWith('dk-notify-')),
      false,
      'the socket is removed at the end',
    );
  });

  it('ERRNO=N fails the start with that error; EXTEND_TIMEOUT_USEC extends the wait', async () => {
    const bad = await h.dk([
      'start',
      '--name',
      'nfy-errno',
      '--ready',
      'notify',
      '--',
      'python3',
      '-c',
      PY_NOTIFY('send("STATUS=no config\\nERRNO=2")'),
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /reported ERRNO=2 \(ENOENT\)/);
    const slow = await h.dk([
      'start',
      '--name',
      'nfy-extend',
      '--ready',
      'notify',
      '--ready-timeout',
      '500ms',
      '--',
      'python3',
      '-c',
      PY_NOTIFY('send("EXTEND_TIMEOUT_USEC=5000000")\ntime.sleep(1.2)\nsend("READY=1")'),
    ]);
    assert.equal(slow.code, 0, slow.stderr);
    assert.equal((await h.dk(['stop', '--name', 'nfy-extend'])).code, 0);
  });

  it('READY=1 from a process outside the service is ignored', async () => {
    const mark = join(h.home, 'notify-own');
    const steps = `time.sleep(1.5)\nopen(os.environ["MARK"], "w").write("own")\nsend("READY=1")`;
    const starting = h.dk([
      'start',
      '--name',
      'nfy-other',
      '--ready',
      'notify',
      '--env',
      `MARK=${mark}`,
      '--',
      'python3',
      '-c',
      PY_NOTIFY(steps),
    ]);
    const sock = await waitFor(
      () => {
        const dir =
          existsSync(h.dir('nfy-other')) &&
          readdirSync(h.dir('nfy-other')).find((f) => f.startsWith('dk-notify-'));
        return dir ? join(h.dir('nfy-other'), dir, 'notify') : null;
      },
      5000,
      'the socket',
    );
    // The foreign sender stays alive a while: one that is gone when the supervisor looks counts by
    // its uid (a systemd-notify helper's case), and as root here it would pass for the service's.
    execFileSync('python3', [
      '-c',
      `import socket, time; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1", ${JSON.stringify(sock)}); time.sleep(0.5)`,
    ]);
    const r = await starting;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(mark, 'utf8'), 'own', "start waited for the COMMAND's own READY=1");
    assert.equal((await h.dk(['stop', '--name', 'nfy-other'])).code, 0);
  });

  it("`run` under a service manager: READY=1 from run itself, the COMMAND's STATUS= relayed, STOPPING=1 at the end", async () => {
    const manager = await pyListener(h, join(h.home, 'manager.sock'));
    const run = spawn(
      NODE,
      [
        '--',
        CLI,
        'run',
        '--name',
        'nfy-run',
        '--ready',
        'notify',
        '--',
        'python3',
        '-c',
        PY_NOTIFY('send("STATUS=up and running\\nREADY=1")'),
      ],
      { env: { ...process.env, ...h.env, NOTIFY_SOCKET: manager.path }, stdio: 'ignore' },
    );
    h.track(run.pid);
    const texts = manager.messages;
    await waitFor(() => texts().some((l) => l.text === 'READY=1'), 10000, 'READY=1');
    await waitFor(
      () => texts().some((l) => l.text === 'STATUS=up and running'),
      10000,
      'the relayed status',
    );
    const exited = new Promise((resolve) => run.on('exit', (code) => resolve(code)));
    run.kill('SIGTERM');
    assert.equal(await exited, 143);
    await waitFor(() => texts().some((l) => l.text === 'STOPPING=1'), 10000, 'STOPPING=1');
    for (const l of texts())
      assert.equal(
        l.pid,
        run.pid,
        `${JSON.stringify(l.text)} comes from run's own pid (the main pid)`,
      );
    assert.equal(
      texts().filter((l) => l.text === 'READY=1').length,
      1,
      "the COMMAND's own READY=1 is not relayed: run says it once",
    );
  });
});

describe('validation', () => {
  it('bad --ready values are exit 2, each named', async () => {
    for (const [value, why] of [
      ['fd:2', 'the fd must be 3 to 63 (0-2 are stdin, stdout, stderr)'],
      ['tcp:70000', 'the port must be 1 to 65535'],
      ['http:80', 'use notify, tcp:[HOST:]PORT or fd:N'],
    ]) {
      const r = await h.dk(['start', '--name', 'v', '--ready', value, '--', '/bin/true']);
      assert.equal(r.code, 2);
      assert.equal(r.stderr, `daemonkit: invalid --ready '${value}': ${why}\n`);
    }
    const r = await h.dk(['start', '--name', 'v', '--ready-timeout', '5s', '--', '/bin/true']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--ready-timeout needs --ready/);
  });
});
