// The README's quick start, as written, and the library's query methods.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import {
  NODE,
  ROOT,
  commandText,
  exits,
  isAlive,
  makeHome,
  run,
  startedPids,
  waitFor,
} from '../helpers.mjs';

const h = makeHome();
after(() => h.cleanup());

describe('README quick start (examples/ticker.js)', () => {
  it('start, status, stop', async () => {
    // npx daemonkit start --name demo --chdir "$PWD" -- node examples/ticker.js
    const s = await h.dk([
      'start',
      '--name',
      'demo',
      '--chdir',
      ROOT,
      '--',
      'node',
      'examples/ticker.js',
    ]);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /^demo: started, pid \d+ \(command pid \d+\)\n$/);
    const { pid, childPid } = startedPids(s.stdout);
    const log = join(h.dir('demo'), 'demo.log');
    await waitFor(() => readFileSync(log, 'utf8').includes('tick 1 at'), 5000, 'a tick');
    const st = await h.dk(['status', '--name', 'demo']);
    assert.equal(st.code, 0);
    assert.match(st.stdout, new RegExp(`^demo: running, pid ${pid}, command pid ${childPid}, `));
    const stop = await h.dk(['stop', '--name', 'demo']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout, 'demo: stopped\n');
    assert.match(commandText(readFileSync(log, 'utf8')), /ticker: got SIGTERM, bye\n$/);
    assert.match(
      readFileSync(log, 'utf8'),
      /\ndaemonkit: stopped by daemonkit stop \(exited with code 0 after [0-9.]+m?s\)\n$/,
    );
    await exits(pid);
    assert.equal(isAlive(childPid), false);
  });
});

describe('Daemon query methods', () => {
  it('getPid(), isRunning() and status() follow the lock', async () => {
    const probe = `
      import { Daemon } from 'daemonkit';
      class W extends Daemon { async run(signal) { await new Promise((r) => signal.addEventListener('abort', r)); } }
      const w = new W({ name: 'query' });
      const s = w.status();
      console.log(JSON.stringify({ pid: w.getPid(), running: w.isRunning(), code: s.code, statusPid: s.pid }));`;
    const query = async () =>
      JSON.parse(
        (await run(NODE, ['--input-type=module', '-e', probe], { env: h.env, cwd: ROOT })).stdout,
      );
    assert.deepEqual(await query(), { pid: null, running: false, code: 3, statusPid: null });
    const w = await run(NODE, [join(ROOT, 'examples', 'worker.mjs'), 'start'], {
      env: { ...h.env, WORKER_NAME: 'query' },
    });
    assert.equal(w.code, 0, w.stderr);
    const pid = Number(readFileSync(join(h.dir('query'), 'pid'), 'utf8'));
    assert.deepEqual(await query(), { pid, running: true, code: 0, statusPid: pid });
    assert.equal((await h.dk(['stop', '--name', 'query'])).code, 0);
    const after = await query();
    assert.equal(after.running, false);
    assert.equal(after.code, 3);
  });
});

describe('README quick start (examples/shop: daemonkit up)', () => {
  const redis = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].some((p) => existsSync(p));
  it('up, a request through web to Redis, status by short name, down', {
    skip: !redis && 'no redis-server (.ci/run installs it)',
    timeout: 60_000,
  }, async () => {
    const shop = join(ROOT, 'examples', 'shop');
    const up = await h.dk(['up'], { cwd: shop });
    assert.equal(up.code, 0, up.stderr);
    assert.deepEqual(
      up.stdout.split('\n').map((l) => l.replace(/, pid \d+$/, '')),
      ['shop.redis: started', 'shop.web: started', 'shop.worker: started', ''],
    );
    const body = await new Promise((resolve, reject) =>
      httpGet('http://127.0.0.1:8437/', (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve(text));
      }).on('error', reject),
    );
    assert.match(body, /^hits 1, worker ticks \d+\n$/);
    const st = await h.dk(['status', 'web'], { cwd: shop });
    assert.match(st.stdout, /^shop\.web: running/);
    const down = await h.dk(['down'], { cwd: shop });
    assert.equal(down.code, 0, down.stderr);
    // web and worker are one level (both after redis): stopped in parallel, then redis.
    const lines = down.stdout.split('\n');
    assert.deepEqual(lines.slice(0, 2).sort(), ['shop.web: stopped', 'shop.worker: stopped']);
    assert.deepEqual(lines.slice(2), ['shop.redis: stopped', '']);
  });
});
