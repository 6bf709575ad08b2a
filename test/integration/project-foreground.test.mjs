// A project in the foreground (`run -f FILE`, `up --foreground`): a container's entry point. Every
// service's lines on stdout prefixed with its name, a stop signal stopping everything in reverse
// dependency order, the exit code of the first service that failed, PID-1 reaping.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, NODE, isAlive, makeHome, readJson, run, waitFor } from '../helpers.mjs';

const h = makeHome();
const work = mkdtempSync(join(tmpdir(), 'dk-fg-'));
after(async () => {
  await h.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** A service that says it runs, and on TERM writes NAME-stop to `events` and exits 0. */
const trapped = (name, events) =>
  JSON.stringify(
    `trap 'echo ${name}-stop >> ${events}; exit 0' TERM; echo ${name} runs; while :; do sleep 0.05; done`,
  );

function file(name, text) {
  const path = join(work, `${name}.toml`);
  writeFileSync(path, `project = "${name}"\n${text}`);
  return path;
}

/** The CLI in the foreground, its output collected. */
function foreground(args) {
  const child = spawn(NODE, [CLI, ...args], {
    env: { ...process.env, ...h.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  h.track(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

const running = (name) => readJson(join(h.dir(name), 'state.json'))?.state === 'running';

describe('run -f FILE', () => {
  it('prefixes each line with its service; SIGTERM stops them in reverse order; exit 0, nothing left', async () => {
    const events = join(work, 'order.events');
    writeFileSync(events, '');
    const f = file(
      'fgo',
      `[services.db]\ncommand = ${trapped('db', events)}\n` +
        `[services.web]\ncommand = ${trapped('web', events)}\nafter = ["db"]\n` +
        `[services.worker]\ncommand = ${trapped('worker', events)}\nafter = ["web"]\n`,
    );
    const fg = foreground(['run', '-f', f]);
    await waitFor(() => running('fgo.worker'), 10000, 'worker running');
    await waitFor(() => /worker \| worker runs/.test(fg.out()), 5000, 'worker line');
    assert.match(fg.out(), /^db {5}\| db runs$/m);
    assert.match(fg.out(), /^web {4}\| web runs$/m);
    const supervisor = Number(
      readFileSync(join(h.home, '.projects', 'fgo.supervisor.pid'), 'utf8'),
    );
    assert.equal(supervisor, fg.child.pid, 'the foreground process is the project supervisor');
    fg.child.kill('SIGTERM');
    assert.equal(await fg.exited, 0, fg.err());
    assert.deepEqual(readFileSync(events, 'utf8').trim().split('\n'), [
      'worker-stop',
      'web-stop',
      'db-stop',
    ]);
    for (const s of ['db', 'web', 'worker'])
      assert.ok(!isAlive(readJson(join(h.dir(`fgo.${s}`), 'state.json')).childPid));
    assert.ok(!existsSync(join(h.home, '.projects', 'fgo.supervisor.pid')));
  });

  it('the first service that fails stops the others, and its code is the exit code', async () => {
    const events = join(work, 'fail.events');
    writeFileSync(events, '');
    const f = file(
      'fgf',
      `[services.web]\ncommand = ${trapped('web', events)}\n` +
        `[services.bad]\ncommand = "sleep 0.5; echo bad says why >&2; exit 3"\ngrace = "0"\n`,
    );
    const fg = foreground(['run', '-f', f]);
    assert.equal(await fg.exited, 3, `${fg.out()}${fg.err()}`);
    assert.match(fg.out(), /^bad \| bad says why$/m);
    assert.match(fg.err(), /fgf\.bad ended: exited with code 3/);
    assert.deepEqual(readFileSync(events, 'utf8').trim().split('\n'), ['web-stop']);
  });

  it('up --foreground is the same; daemonkit stop of one service from outside stops that one', async () => {
    const events = join(work, 'one.events');
    writeFileSync(events, '');
    const f = file(
      'fgu',
      `[services.a]\ncommand = ${trapped('a', events)}\n[services.b]\ncommand = ${trapped('b', events)}\n`,
    );
    const fg = foreground(['up', '--foreground', '-f', f]);
    await waitFor(() => running('fgu.a') && running('fgu.b'), 10000, 'both running');
    const stop = await h.dk(['stop', '--name', 'fgu.a']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.deepEqual(readFileSync(events, 'utf8').trim().split('\n'), ['a-stop']);
    assert.ok(running('fgu.b'), 'b runs on');
    // A detached up of the same project while it runs here: refused, nothing doubled.
    const again = await h.dk(['run', '-f', f]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /project fgu already runs/);
    fg.child.kill('SIGINT');
    assert.equal(await fg.exited, 0, fg.err());
    assert.deepEqual(readFileSync(events, 'utf8').trim().split('\n'), ['a-stop', 'b-stop']);
  });
});

describe('run -f FILE as PID 1', {
  skip: process.getuid() !== 0 && 'needs root for unshare --pid',
}, () => {
  it('reaps the orphans of every service: no zombies', async () => {
    const script = join(work, 'orphans.sh');
    writeFileSync(
      script,
      "for i in 1 2 3; do ( sleep 0.1 & ); done\nsleep 0.6\nps -eo stat= | grep -c '^Z' || true\n",
    );
    const f = file(
      'pid1',
      `[services.a]\ncommand = ["sh", ${JSON.stringify(script)}]\ngrace = "0"\n[services.b]\ncommand = "sleep 1"\ngrace = "0"\n`,
    );
    const r = await run('unshare', ['--pid', '--fork', '--mount-proc', NODE, CLI, 'run', '-f', f], {
      env: h.env,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^a \| 0$/m, r.stdout);
  });
});
