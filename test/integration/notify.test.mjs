// The sd_notify transport on real sockets: our NotifyListener receiving from Python programs
// (with the sender's pid from the kernel), our sender reaching a Python listener in the abstract
// namespace, and a listener that closes cleanly and never holds up its process's exit.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotifyListener } from '../../dist/notify/listener.js';
import { sendNotify } from '../../dist/notify/client.js';
import { NODE, ROOT, run, waitFor } from '../helpers.mjs';

const work = mkdtempSync(join(tmpdir(), 'dk-notify-test-'));
const LISTENER_PY = join(ROOT, 'test', 'fixtures', 'notify-listener.py');
const started = new Set();
after(() => {
  for (const child of started) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/** Run a Python program; resolves with its pid and exit code. */
function python(code, args = []) {
  return run('python3', ['-c', code, ...args]);
}

const SEND_PY =
  'import socket, sys\nfor text in sys.argv[2:]:\n    socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(text.encode(), sys.argv[1])';

describe('NotifyListener', () => {
  it("receives a datagram from another program, with the sender's pid from the kernel", async () => {
    const listener = NotifyListener.open({ parent: work });
    try {
      assert.equal(statSync(listener.dir).mode & 0o777, 0o700, 'a private directory');
      assert.ok(statSync(listener.path).isSocket());
      const sender = await python(
        'import socket, sys\nsocket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1\\nSTATUS=hi", sys.argv[1])',
        [listener.path],
      );
      assert.equal(sender.code, 0, sender.stderr);
      const [event, ...more] = await listener.receive();
      assert.deepEqual(more, []);
      assert.equal(event.pid, sender.pid, 'SCM_CREDENTIALS names the Python process');
      assert.equal(event.uid, process.getuid());
      assert.equal(event.text, 'READY=1\nSTATUS=hi');
      assert.equal(event.message.ready, true);
      assert.equal(event.message.status, 'hi');
    } finally {
      listener.close();
    }
  });

  it('returns every queued datagram at once, in order; drops an oversized one as systemd does', async () => {
    const listener = NotifyListener.open({ parent: work });
    try {
      const texts = ['STATUS=one', `STATUS=${'x'.repeat(5000)}`, 'STATUS=two', 'READY=1'];
      const sender = await python(SEND_PY, [listener.path, ...texts]);
      assert.equal(sender.code, 0, sender.stderr);
      const batch = await listener.receive();
      assert.deepEqual(
        batch.map((e) => e.text),
        ['STATUS=one', 'STATUS=two', 'READY=1'],
      );
      assert.ok(batch.every((e) => e.pid === sender.pid));
    } finally {
      listener.close();
    }
  });

  it('keeps no file descriptor a sender passes along (SCM_RIGHTS)', async () => {
    const marker = join(work, 'passed-fd-marker');
    writeFileSync(marker, '');
    const listener = NotifyListener.open({ parent: work });
    try {
      const code = [
        'import os, socket, sys',
        's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
        'fd = os.open(sys.argv[2], os.O_RDONLY)',
        's.sendmsg([b"FDSTORE=1"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fd.to_bytes(4, sys.byteorder))], 0, sys.argv[1])',
      ].join('\n');
      const sender = await python(code, [listener.path, marker]);
      assert.equal(sender.code, 0, sender.stderr);
      const [event] = await listener.receive();
      assert.equal(event.text, 'FDSTORE=1');
      const ours = readdirSync('/proc/self/fd').map((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`);
        } catch {
          return '';
        }
      });
      assert.ok(!ours.includes(marker), 'the passed fd was closed');
    } finally {
      listener.close();
    }
  });

  it('for await … of yields messages; break closes the listener and removes its socket and directory', async () => {
    const listener = NotifyListener.open({ parent: work });
    const sender = python(SEND_PY, [listener.path, 'STATUS=a', 'READY=1']);
    const seen = [];
    for await (const event of listener) {
      seen.push(event.text);
      if (event.message.ready) break;
    }
    assert.deepEqual(seen, ['STATUS=a', 'READY=1']);
    assert.equal((await sender).code, 0);
    assert.equal(listener.closed, true);
    assert.equal(existsSync(listener.dir), false);
    assert.equal(await listener.receive(), null);
    assert.throws(
      () => sendNotify(listener.path, { READY: 1 }),
      (e) => e.code === 'NOTIFY_FAILED',
    );
  });

  it('close() ends a pending receive at once: it resolves null', async () => {
    const listener = NotifyListener.open({ parent: work });
    const pending = listener.receive();
    setImmediate(() => listener.close());
    assert.equal(await pending, null);
  });

  for (const [how, ending] of [
    ['close() lets the process end by itself', 'setTimeout(() => listener.close(), 50);'],
    [
      'process.exit() is not held up by a pending receive',
      'setTimeout(() => process.exit(0), 50);',
    ],
  ]) {
    it(how, { timeout: 30000 }, async () => {
      const code = [
        `import { NotifyListener } from ${JSON.stringify(join(ROOT, 'dist', 'notify', 'listener.js'))};`,
        `const listener = NotifyListener.open({ parent: ${JSON.stringify(work)} });`,
        'console.log(listener.dir);',
        'listener.receive().then((r) => console.log(String(r)));',
        ending,
      ].join('\n');
      const child = spawn(NODE, ['--input-type=module', '-e', code], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      started.add(child);
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const exit = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? s)));
      started.delete(child);
      assert.equal(exit, 0);
      const dir = out.split('\n')[0];
      assert.ok(dir.startsWith(work));
      assert.equal(existsSync(dir), false, 'the socket and its directory are gone');
    });
  }

  it('refuses a socket path too long for sun_path, leaving nothing behind', () => {
    const deep = join(work, 'd'.repeat(100));
    mkdirSync(deep);
    assert.throws(
      () => NotifyListener.open({ parent: deep }),
      (e) => e.code === 'NOTIFY_FAILED' && /longer than 107 bytes/.test(e.message),
    );
    assert.deepEqual(readdirSync(deep), []);
  });
});

describe('sendNotify', () => {
  it('reaches a listener in the abstract namespace (@name), which sees our pid', async () => {
    const name = `@dk-test-${process.pid}-${Date.now()}`;
    const listener = spawn('python3', [LISTENER_PY, name], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    started.add(listener);
    const lines = [];
    let buffer = '';
    listener.stdout.on('data', (d) => {
      buffer += d;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buffer.slice(0, nl)));
        buffer = buffer.slice(nl + 1);
      }
    });
    await waitFor(() => lines.find((l) => l.listening), 10000, 'python listener');
    sendNotify(name, { READY: 1, STATUS: 'abstract' });
    const got = await waitFor(() => lines.find((l) => l.text), 10000, 'datagram');
    assert.equal(got.pid, process.pid);
    assert.equal(got.text, 'READY=1\nSTATUS=abstract');
    listener.kill('SIGKILL');
  });

  it('refuses addresses sd_notify does not speak (relative, vsock:) and a missing socket', () => {
    assert.throws(
      () => sendNotify('relative/path', { READY: 1 }),
      (e) => e.code === 'NOTIFY_FAILED' && /unsupported/.test(e.message),
    );
    assert.throws(
      () => sendNotify('vsock:2:1234', { READY: 1 }),
      (e) => e.code === 'NOTIFY_FAILED',
    );
    assert.throws(
      () => sendNotify(join(work, 'nobody-here'), { READY: 1 }),
      (e) => e.code === 'NOTIFY_FAILED' && /ENOENT|No such file/.test(e.message),
    );
    assert.throws(
      () => sendNotify('/s', { READY: 'a\nb' }),
      (e) => e.code === 'BAD_OPTION',
    );
  });
});
