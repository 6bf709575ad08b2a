// Readiness: `start --ready` returns when the COMMAND is really up, not when it has exec'd.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fdTargets, isAlive, makeHome, readJson, startedPids, waitFor } from '../helpers.mjs';

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
    const r = await h.dk(['start', '--name', 'tcp', '--ready', `tcp:127.0.0.1:${port}`, '--env', `MARK=${mark}`, '--', 'python3', '-c', PY_LISTEN(port, 0.4)]);
    assert.equal(r.code, 0, r.stderr);
    const listeningSince = Number(readFileSync(mark, 'utf8')); // written right after listen(): must exist already
    assert.ok(listeningSince > 0);
    const st = readJson(join(h.dir('tcp'), 'state.json'));
    assert.equal(st.state, 'running');
    assert.equal((await h.dk(['stop', '--name', 'tcp'])).code, 0);
  });

  it('never ready: after --ready-timeout the start fails with exit 1 and the stderr tail, and nothing is left running', async () => {
    const port = await freePort();
    const r = await h.dk(['start', '--name', 'tcp-never', '--ready', `tcp:${port}`, '--ready-timeout', '700ms', '--', '/bin/sh', '-c', 'echo "still warming up" >&2; exec sleep 1000']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^daemonkit: /bin/sh: not ready within 0.7 s \\(--ready tcp:localhost:${port}\\)\\n`));
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
    const r = await h.dk(['start', '--name', 'tcp-dies', '--ready', `tcp:${port}`, '--', '/bin/sh', '-c', 'echo "bad config" >&2; exit 3']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /exited with code 3 before it was ready/);
    assert.match(r.stderr, /\| bad config/);
  });
});

describe('--ready fd:N (s6 style)', () => {
  it('start returns when the COMMAND writes a newline on fd N; the fds between are closed', async () => {
    const script = 'sleep 0.3; ls -l /proc/$$/fd > "$OUT"; echo >&4; exec sleep 1000';
    const out = join(h.home, 'fd-list');
    const r = await h.dk(['start', '--name', 'fd', '--ready', 'fd:4', '--env', `OUT=${out}`, '--', '/bin/sh', '-c', script]);
    assert.equal(r.code, 0, r.stderr);
    const listing = readFileSync(out, 'utf8'); // written before the newline, so before start returned
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
    const r = await h.dk(['start', '--name', 'fd-restart', '--ready', 'fd:3', '--restart', 'on-failure', '--restart-delay', '10ms', '--', '/bin/sh', '-c', script]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(() => (readJson(join(h.dir('fd-restart'), 'state.json'))?.restarts ?? 0) >= 3, 10000, 'three restarts');
    const st = readJson(join(h.dir('fd-restart'), 'state.json'));
    assert.ok(['running', 'starting', 'backoff'].includes(st.state), st.state);
    assert.equal((await h.dk(['stop', '--name', 'fd-restart'])).code, 0);
  });
});

describe('validation', () => {
  it('bad --ready values are exit 2, each named', async () => {
    for (const [value, why] of [['fd:2', 'the fd must be 3 to 63 (0-2 are stdin, stdout, stderr)'], ['tcp:70000', 'the port must be 1 to 65535'], ['http:80', 'use notify, tcp:[HOST:]PORT or fd:N']]) {
      const r = await h.dk(['start', '--name', 'v', '--ready', value, '--', '/bin/true']);
      assert.equal(r.code, 2);
      assert.equal(r.stderr, `daemonkit: invalid --ready '${value}': ${why}\n`);
    }
    const r = await h.dk(['start', '--name', 'v', '--ready-timeout', '5s', '--', '/bin/true']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--ready-timeout needs --ready/);
  });
});
