// --listen: the supervisor binds the sockets, holds them for the service's life and passes them to
// every COMMAND as fds 3, 4, … by sd_listen_fds(3)'s protocol. Loopback only; ports found free by
// binding port 0 first.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  fdTargets,
  makeHome,
  NODE,
  readJson,
  ROOT,
  run,
  startedPids,
  waitFor,
} from '../helpers.mjs';
import { userOrSkip } from '../service-user.mjs';
import { verifyUnit } from '../systemd-verify.mjs';

const SERVER = join(ROOT, 'test', 'fixtures', 'listen-server.mjs');
const PY_SERVER = join(ROOT, 'test', 'fixtures', 'listen-server.py');
// A python3 the service user may run (not a shim under root's home).
const PYTHON = ['/usr/bin/python3', '/bin/python3'].find((p) => existsSync(p)) ?? 'python3';

/** A port nothing listens on now (the kernel's pick for port 0). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** GET / on 127.0.0.1:port (one connection), parsed as JSON. */
function get(port) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(JSON.parse(body)));
    });
    req.on('error', reject);
  });
}

/** The first line a server at a unix socket path sends. */
function lineFrom(path) {
  return new Promise((resolve, reject) => {
    const c = net.createConnection({ path });
    let text = '';
    c.on('data', (d) => (text += d));
    c.on('end', () => resolve(text.trim()));
    c.on('error', reject);
  });
}

const state = (home, name) => readJson(join(home.dir(name), 'state.json'));

describe('--listen', () => {
  const home = makeHome();
  const dir = mkdtempSync(join(tmpdir(), 'dk-listen-'));
  chmodSync(dir, 0o755);
  after(async () => {
    await home.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an HTTP server on fd 3 answers through start --listen, with the sockets named', async () => {
    const port = await freePort();
    const r = await home.dk([
      'start',
      '--name',
      'web',
      '--listen',
      `web=tcp:127.0.0.1:${port}`,
      '--listen',
      `unix:${join(dir, 'web.sock')}`,
      '--',
      NODE,
      SERVER,
      'v1',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { childPid } = startedPids(r.stdout);
    const answer = await get(port);
    assert.equal(answer.pid, childPid); // LISTEN_PID was the COMMAND's own pid
    assert.deepEqual(answer.sockets, [
      { fd: 3, name: 'web' },
      { fd: 4, name: 'unknown' },
    ]);
    assert.deepEqual(answer.env, []); // cleared once read: its children do not inherit them
    assert.equal((await home.dk(['stop', 'web'])).code, 0);
    assert.equal(existsSync(join(dir, 'web.sock')), false, 'the socket file is removed at the end');
  });

  it('passes no other fd to the COMMAND: 0-2, then the sockets', async () => {
    const port = await freePort();
    const r = await home.dk([
      'start',
      '--name',
      'fds',
      '--listen',
      `tcp:127.0.0.1:${port}`,
      '--listen',
      `unix:${join(dir, 'fds.sock')}`,
      '--',
      'sleep',
      '60',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { childPid } = startedPids(r.stdout);
    const fds = fdTargets(childPid);
    assert.deepEqual(Object.keys(fds).sort(), ['0', '1', '2', '3', '4'], JSON.stringify(fds));
    assert.match(fds[3], /^socket:/);
    assert.match(fds[4], /^socket:/);
    const env = readFileSync(`/proc/${childPid}/environ`, 'utf8').split('\0');
    assert.ok(env.includes(`LISTEN_PID=${childPid}`), 'LISTEN_PID is the COMMAND pid');
    assert.ok(env.includes('LISTEN_FDS=2'));
    assert.ok(env.includes('LISTEN_FDNAMES=unknown:unknown'));
    await home.dk(['stop', 'fds']);
  });

  it('--ready fd:N comes after the sockets, and a restarted COMMAND gets the same layout', async () => {
    const port = await freePort();
    const r = await home.dk([
      'start',
      '--name',
      'rfd',
      '--listen',
      `tcp:127.0.0.1:${port}`,
      '--ready',
      'fd:5',
      '--restart',
      'always',
      '--',
      'sh',
      '-c',
      'echo >&5; exec sleep 60',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const first = startedPids(r.stdout).childPid;
    const layout = (pid) => Object.keys(fdTargets(pid)).sort();
    assert.deepEqual(layout(first), ['0', '1', '2', '3', '5']); // 4: the gap, closed
    process.kill(first, 'SIGKILL');
    const second = await waitFor(
      () => {
        const s = state(home, 'rfd');
        return s?.state === 'running' && s.childPid !== first && s.childPid;
      },
      10000,
      'the restarted COMMAND',
    );
    assert.deepEqual(layout(second), ['0', '1', '2', '3', '5']);
    assert.match(fdTargets(second)[3], /^socket:/);
    await home.dk(['stop', 'rfd']);
  });

  it('a port in use fails the start with exit 1 naming the address', async () => {
    const blocker = net.createServer();
    await new Promise((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address();
    try {
      const r = await home.dk([
        'start',
        '--name',
        'busy',
        '--listen',
        `tcp:127.0.0.1:${port}`,
        '--',
        'sleep',
        '60',
      ]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(
        r.stderr,
        `daemonkit: cannot listen on tcp:127.0.0.1:${port}: address already in use\n`,
      );
      assert.equal(state(home, 'busy')?.state === 'running', false);
    } finally {
      blocker.close();
    }
  });

  it('a bad ADDR is exit 2 with one line naming it', async () => {
    for (const [addr, why] of [
      ['tcp:localhost:80', /the host 'localhost' must be an IP address/],
      ['tcp:70000', /the port must be 1 to 65535/],
      ['udp:53', /use tcp:\[HOST:\]PORT or unix:PATH/],
      ['a:b=tcp:80', /use tcp:/],
      ['tcp:[::1:80', /use tcp:PORT/],
    ]) {
      const r = await home.dk(['start', '--name', 'bad', '--listen', addr, '--', 'sleep', '1']);
      assert.equal(r.code, 2, `${addr}: ${r.stderr}`);
      assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
      assert.ok(r.stderr.includes(`invalid --listen '${addr}'`), r.stderr);
      assert.match(r.stderr, why);
    }
    const r = await home.dk([
      'start',
      '--name',
      'bad',
      '--listen',
      'tcp:8080',
      '--ready',
      'fd:3',
      '--',
      'sleep',
      '1',
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /fds 3 to 3 are the --listen sockets \(use fd:4 or above\)/);
  });

  it('a unix socket in a directory others can write is refused (exit 4); a stale one is replaced', async () => {
    const open = mkdtempSync(join(tmpdir(), 'dk-listen-open-'));
    chmodSync(open, 0o777);
    try {
      const r = await home.dk([
        'start',
        '--name',
        'open',
        '--listen',
        `unix:${join(open, 's.sock')}`,
        '--',
        'sleep',
        '9',
      ]);
      assert.equal(r.code, 4, r.stderr);
      assert.match(
        r.stderr,
        /cannot listen on unix:.*: insecure permissions on .*writable by everyone/,
      );
    } finally {
      rmSync(open, { recursive: true, force: true });
    }
    // A socket file left by a supervisor that was killed: nothing accepts on it.
    const path = join(dir, 'stale.sock');
    const made = await run(PYTHON, [
      '-c',
      'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen()',
      path,
    ]);
    assert.equal(made.code, 0, made.stderr);
    assert.ok(statSync(path).isSocket());
    const r = await home.dk([
      'start',
      '--name',
      'stale',
      '--listen',
      `unix:${path}`,
      '--',
      PYTHON,
      PY_SERVER,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { childPid } = startedPids(r.stdout);
    assert.equal(await lineFrom(path), `${childPid} ${process.getuid()} unknown`);
    await home.dk(['stop', 'stale']);
  });

  it('restart keeps --listen as recorded', async () => {
    const port = await freePort();
    const r = await home.dk([
      'start',
      '--name',
      'keep',
      '--listen',
      `web=tcp:127.0.0.1:${port}`,
      '--',
      NODE,
      SERVER,
      'v1',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const first = await get(port);
    const again = await home.dk(['restart', 'keep']);
    assert.equal(again.code, 0, again.stderr);
    const second = await get(port);
    assert.notEqual(second.pid, first.pid);
    assert.deepEqual(second.sockets, [{ fd: 3, name: 'web' }]);
    assert.deepEqual(readJson(join(home.dir('keep'), 'spec.json')).listen, [
      `web=tcp:127.0.0.1:${port}`,
    ]);
    await home.dk(['stop', 'keep']);
  });

  it('the socket stays bound across a crash-restart: a client connecting meanwhile is queued, not refused', async () => {
    const port = await freePort();
    const r = await home.dk([
      'start',
      '--name',
      'crash',
      '--listen',
      `tcp:127.0.0.1:${port}`,
      '--restart',
      'always',
      '--restart-delay',
      '1s',
      '--',
      NODE,
      SERVER,
      'v1',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { childPid } = startedPids(r.stdout);
    assert.equal((await get(port)).pid, childPid);
    process.kill(childPid, 'SIGKILL');
    // No COMMAND now: the supervisor waits out its restart delay.
    await waitFor(() => state(home, 'crash')?.state === 'backoff', 5000, 'backoff');
    const during = get(port); // queued in the listening socket's backlog
    const answer = await during;
    assert.notEqual(answer.pid, childPid);
    assert.equal(answer.pid, state(home, 'crash').childPid);
    await home.dk(['stop', 'crash']);
  });

  it('foreground run binds them too, under the lock', async () => {
    const port = await freePort();
    const child = spawn(
      NODE,
      [
        '--',
        join(ROOT, 'dist', 'cli', 'main.cjs'),
        'run',
        '--name',
        'fg',
        '--listen',
        `tcp:127.0.0.1:${port}`,
        '--',
        NODE,
        SERVER,
      ],
      { env: { ...process.env, ...home.env }, stdio: 'ignore' },
    );
    home.track(child.pid);
    const answer = await waitFor(() => state(home, 'fg')?.state === 'running', 10000, 'run').then(
      () => get(port),
    );
    assert.deepEqual(answer.sockets, [{ fd: 3, name: 'unknown' }]);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.on('exit', resolve));
  });

  const root = userOrSkip(process.getuid() !== 0 && 'needs root');
  it('a unix socket gets --listen-mode and the --user, who serves on it', {
    skip: root.skip,
  }, async () => {
    const path = join(dir, 'user.sock');
    const r = await home.dk([
      'start',
      '--name',
      'py',
      '--user',
      'daemonkit-test',
      '--listen',
      `app=unix:${path}`,
      '--listen-mode',
      '0660',
      '--',
      PYTHON,
      PY_SERVER,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const st = statSync(path);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.uid, root.u.uid);
    assert.equal(st.gid, root.u.gid);
    const { childPid } = startedPids(r.stdout);
    assert.equal(await lineFrom(path), `${childPid} ${root.u.uid} app`);
    await home.dk(['stop', 'py']);
    assert.equal(existsSync(path), false);
  });

  it('a port below 1024 is bound as root before the COMMAND drops to --user', {
    skip: root.skip,
  }, async () => {
    // A port under 1024 that is free on loopback.
    let port = 0;
    for (let p = 1000; p > 900 && !port; p--) {
      const ok = await new Promise((resolve) => {
        const s = net.createServer().once('error', () => resolve(false));
        s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
      });
      if (ok) port = p;
    }
    const r = await home.dk([
      'start',
      '--name',
      'low',
      '--user',
      'daemonkit-test',
      '--listen',
      `tcp:127.0.0.1:${port}`,
      '--',
      PYTHON,
      PY_SERVER,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const line = await new Promise((resolve, reject) => {
      const c = net.createConnection({ host: '127.0.0.1', port });
      let text = '';
      c.on('data', (d) => (text += d));
      c.on('end', () => resolve(text.trim()));
      c.on('error', reject);
    });
    assert.equal(line.split(' ')[1], String(root.u.uid));
    await home.dk(['stop', 'low']);
  });
});

describe('listenFds() agrees with systemd', () => {
  it('under systemd-socket-activate (the witness): the named socket on fd 3', async (t) => {
    if ((await run('sh', ['-c', 'command -v systemd-socket-activate'])).code !== 0)
      return t.skip('systemd-socket-activate is not installed (Debian: systemd)');
    const port = await freePort();
    const child = spawn(
      'systemd-socket-activate',
      ['-l', `127.0.0.1:${port}`, '--fdname=web', NODE, SERVER],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    try {
      await waitFor(() => /Listening on/.test(stderr), 10000, 'systemd-socket-activate');
      const answer = await get(port); // it execs the server on this first connection
      assert.equal(answer.pid, child.pid); // it execs in place: LISTEN_PID is its pid
      assert.deepEqual(answer.sockets, [{ fd: 3, name: 'web' }]);
      assert.deepEqual(answer.env, []);
    } finally {
      child.kill('SIGKILL');
    }
    return undefined;
  });

  it('export systemd --listen writes socket units that systemd-analyze verify takes', async (t) => {
    const home = makeHome();
    const out = mkdtempSync(join(tmpdir(), 'dk-units-'));
    try {
      const r = await home.dk([
        'export',
        'systemd',
        '--name',
        'web',
        '--listen',
        'tcp:8080',
        '--listen',
        'admin=tcp:[::1]:8081',
        '--listen',
        'admin=unix:/run/web-admin.sock',
        '--listen-mode',
        '0600',
        '--output',
        out,
        '--',
        '/bin/sleep',
        '1',
      ]);
      assert.equal(r.code, 0, r.stderr);
      const service = readFileSync(join(out, 'web.service'), 'utf8');
      assert.match(service, /^Sockets=web-unknown\.socket web-admin\.socket$/m);
      const admin = readFileSync(join(out, 'web-admin.socket'), 'utf8');
      for (const line of [
        'ListenStream=[::1]:8081',
        'ListenStream=/run/web-admin.sock',
        'FileDescriptorName=admin',
        'SocketMode=0600',
        'Service=web.service',
      ])
        assert.ok(admin.split('\n').includes(line), `${line} in\n${admin}`);
      const plain = readFileSync(join(out, 'web-unknown.socket'), 'utf8');
      assert.ok(plain.split('\n').includes('ListenStream=8080'));
      await verifyUnit(t, 'web', service, {
        'web-admin.socket': admin,
        'web-unknown.socket': plain,
      });
      // Two files or more cannot go to stdout.
      const two = await home.dk([
        'export',
        'systemd',
        '--name',
        'web',
        '--listen',
        'tcp:80',
        '--',
        '/bin/sleep',
        '1',
      ]);
      assert.equal(two.code, 2);
      assert.match(two.stderr, /give --output DIR/);
    } finally {
      await home.cleanup();
      rmSync(out, { recursive: true, force: true });
    }
  });
});
