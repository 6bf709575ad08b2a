// `export systemd -f FILE`: a unit per service running `daemonkit run` for it (Type=notify),
// PROJECT.target wanting them all, After=/Requires= from `after`; every unit passes
// `systemd-analyze verify`; a unit's ExecStart run as systemd runs it (NOTIFY_SOCKET set) says
// READY=1 once its tcp: readiness holds; --install writes the files and says the systemctl steps;
// a node under a version manager's directory is warned of.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  linkSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, NODE, makeHome, pyListener, run } from '../helpers.mjs';
import { verifyUnit } from '../systemd-verify.mjs';

const h = makeHome();
const dir = join(h.home, '..', `${h.home.split('/').pop()}-xshop`);
mkdirSync(dir);
after(async () => {
  await h.cleanup();
  rmSync(dir, { recursive: true, force: true });
});
const file = join(dir, 'daemonkit.toml');

/** A free TCP port (bound, then let go). */
async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** The printed units: file name → text (each after its `# NAME` line). */
function units(stdout) {
  const out = {};
  for (const part of stdout.split(/^# (?=\S+\.(?:service|target)\n)/m).filter(Boolean)) {
    const nl = part.indexOf('\n');
    out[part.slice(0, nl)] = part.slice(nl + 1);
  }
  return out;
}

/** ExecStart='s words as systemd reads them (our quoting: "…" with C escapes, $$ and %%). */
function execWords(text) {
  const line = /^ExecStart=(.*)$/m.exec(text)[1];
  const words = [];
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g))
    words.push(
      (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2])
        .replaceAll('$$', '$')
        .replaceAll('%%', '%'),
    );
  return words;
}

describe('export systemd -f FILE', () => {
  let port;
  it('a unit per service and PROJECT.target; each passes systemd-analyze verify', async (t) => {
    port = await freePort();
    writeFileSync(
      file,
      `project = "xshop"
[services.db]
command = ["/bin/sleep", "1000"]
umask = "027"
[services.web]
command = ["python3", "-m", "http.server", "--bind", "127.0.0.1", "${port}"]
after = ["db"]
ready = "tcp:127.0.0.1:${port}"
restart = "on-failure"
env = { GREETING = "100% $HOME" }
[services.worker]
command = "sleep 1000"
after = ["db", "web"]
`,
    );
    const r = await h.dk(['export', 'systemd', '-f', file], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const u = units(r.stdout);
    assert.deepEqual(Object.keys(u), [
      'xshop.db.service',
      'xshop.web.service',
      'xshop.worker.service',
      'xshop.target',
    ]);
    assert.match(
      u['xshop.target'],
      /^Wants=xshop\.db\.service xshop\.web\.service xshop\.worker\.service$/m,
    );
    assert.match(u['xshop.target'], /^WantedBy=multi-user\.target$/m);
    const worker = u['xshop.worker.service'];
    assert.match(worker, /^After=xshop\.db\.service xshop\.web\.service$/m);
    assert.match(worker, /^Requires=xshop\.db\.service xshop\.web\.service$/m);
    assert.match(worker, /^PartOf=xshop\.target$/m);
    assert.match(worker, /^WantedBy=xshop\.target$/m);
    assert.match(worker, /^Type=notify$/m);
    assert.match(worker, /^KillMode=mixed$/m);
    assert.deepEqual(execWords(worker).slice(0, 7), [
      NODE,
      '--',
      CLI,
      'run',
      '--name',
      'xshop.worker',
      '--chdir=/',
    ]);
    assert.deepEqual(execWords(worker).slice(-4), ['--', '/bin/sh', '-c', 'sleep 1000']);
    assert.ok(execWords(u['xshop.db.service']).includes('--umask=027'));
    const web = u['xshop.web.service'];
    assert.ok(execWords(web).includes('--env=GREETING=100% $HOME'));
    assert.match(web, /^Restart=on-failure$/m);
    assert.ok(!execWords(web).some((w) => w.startsWith('--restart')), 'systemd restarts, not run');
    assert.match(web, /^Environment=DAEMONKIT_HOME=/m);
    const others = Object.fromEntries(Object.entries(u).filter(([f]) => f !== 'xshop.web.service'));
    await verifyUnit(t, 'xshop.web', web, others);
  });

  it("a unit's ExecStart as systemd runs it: READY=1 once the tcp: readiness holds", async () => {
    const r = await h.dk(['export', 'systemd', '-f', file]);
    const words = execWords(units(r.stdout)['xshop.web.service']);
    const manager = await pyListener(h, join(h.home, 'xmanager.sock'));
    const child = spawn(words[0], words.slice(1), {
      env: { ...process.env, ...h.env, NOTIFY_SOCKET: manager.path },
      stdio: 'ignore',
    });
    h.track(child.pid);
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    await manager.waitFor((m) => m.text.split('\n').includes('READY=1'), 'READY=1');
    // Ready means the port answers (the check daemonkit made before it said so).
    const s = await run('python3', [
      '-c',
      `import socket; socket.create_connection(("127.0.0.1", ${port})).close()`,
    ]);
    assert.equal(s.code, 0, s.stderr);
    assert.match((await h.dk(['status', 'xshop.web'])).stdout, /^xshop\.web: running/);
    child.kill('SIGTERM');
    assert.equal(await exited, 143);
    await manager.waitFor((m) => m.text.split('\n').includes('STOPPING=1'), 'STOPPING=1');
  });

  it('--install --user: the files in ~/.config/systemd/user (0644), then the systemctl steps', async () => {
    const home = join(h.home, 'userhome');
    mkdirSync(home);
    const r = await h.dk(['export', 'systemd', '--user', '-f', file, '--install'], {
      env: { HOME: home },
    });
    assert.equal(r.code, 0, r.stderr);
    const units = join(home, '.config', 'systemd', 'user');
    assert.deepEqual(readdirSync(units).sort(), [
      'xshop.db.service',
      'xshop.target',
      'xshop.web.service',
      'xshop.worker.service',
    ]);
    assert.equal(statSync(join(units, 'xshop.target')).mode & 0o777, 0o644);
    assert.match(
      r.stdout,
      /xshop\.target\nnow run:\n {2}systemctl --user daemon-reload\n {2}systemctl --user enable --now xshop\.target\n$/,
    );
    // Again: each file replaced whole, nothing left behind.
    assert.equal(
      (
        await h.dk(['export', 'systemd', '--user', '-f', file, '--install'], {
          env: { HOME: home },
        })
      ).code,
      0,
    );
    assert.equal(readdirSync(units).length, 4);
  });

  it('a node under nvm: warned of, the units still printed', async () => {
    const bin = join(h.home, '.nvm', 'versions', 'node', 'v20.0.0', 'bin');
    mkdirSync(bin, { recursive: true });
    const node = join(bin, 'node');
    try {
      linkSync(NODE, node);
    } catch {
      copyFileSync(NODE, node);
    }
    const r = await run(node, ['--', CLI, 'export', 'systemd', '-f', file], { env: h.env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `^daemonkit: the units run node at ${node.replaceAll('.', '\\.')}, a path nvm changes when it installs another version`,
        'm',
      ),
    );
    assert.ok(r.stdout.includes(`ExecStart=${node} -- `));
  });

  it('bad: a COMMAND given, a start option given, a user unit with a user key: exit 2', async () => {
    const a = await h.dk(['export', 'systemd', '-f', file, '--', 'sleep', '1']);
    assert.deepEqual(
      [a.code, a.stderr],
      [2, "daemonkit: 'export systemd -f FILE' takes no COMMAND: the services file has them\n"],
    );
    const b = await h.dk(['export', 'systemd', '-f', file, '--nice', '5']);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /option --nice does not apply to 'export systemd -f FILE'/);
    const bad = join(dir, 'user.toml');
    writeFileSync(bad, 'project = "u"\n[services.a]\ncommand = "sleep 1"\nuser = "nobody"\n');
    const c = await h.dk(['export', 'systemd', '--user', '-f', bad]);
    assert.equal(c.code, 2);
    assert.match(c.stderr, /services\.a has user = 'nobody': a user unit/);
  });
});
