// Fault suite: a rolling restart cut short — by a stop (both COMMANDs stopped), by kill -9 of the
// supervisor (a stop then finds every COMMAND it recorded: nothing is left running).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { join } from 'node:path';
import { isAlive, NODE, readJson, ROOT, waitFor } from '../helpers.mjs';
import { assertNothingLeft, faultHome, guarded } from './helpers.mjs';

const SERVER = join(ROOT, 'test', 'fixtures', 'rolling-server.mjs');
const h = faultHome();
after(() => h.cleanup());

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

const state = (name) => readJson(join(h.dir(name), 'state.json'));

/** A server started, then a rolling restart whose new COMMAND takes 5 s to be ready: resolves
 *  once they overlap, with the roll's CLI still running and the COMMANDs' pids. */
async function midRoll(name, extra = []) {
  const port = await freePort();
  const r = await h.dkT([
    'start',
    '--name',
    name,
    '--listen',
    `tcp:127.0.0.1:${port}`,
    '--ready',
    'fd:4',
    ...extra,
    '--',
    NODE,
    SERVER,
    'v0',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const n = Number(extra[extra.indexOf('--instances') + 1] || 1);
  const roll = h.dkT(
    [
      'restart',
      '--rolling',
      '--name',
      name,
      '--',
      'sh',
      '-c',
      `sleep 5; exec ${NODE} ${SERVER} v1`,
    ],
    { timeoutMs: 30000 },
  );
  const commands = await waitFor(
    () => {
      const c = state(name)?.commands;
      return c?.some((x) => x.role === 'new') && c.length === n + 1 && c;
    },
    10000,
    'the overlap',
  );
  return { roll, pids: commands.map((c) => c.pid), supervisor: state(name).pid };
}

describe('a rolling restart cut short', () => {
  it(
    'stop during a rolling restart stops both COMMANDs; the roll says it failed (exit 1)',
    guarded(h, async () => {
      const { roll, pids } = await midRoll('rstop');
      assert.ok(pids.every(isAlive));
      const stop = await h.dkT(['stop', '--name', 'rstop']);
      assert.equal(stop.code, 0, stop.stderr);
      for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} still runs`);
      const r = await roll;
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /rolling restart failed: stopped during the rolling restart/);
      await assertNothingLeft(h);
    }),
  );

  it(
    'kill -9 of the supervisor mid-roll (2 instances): stop then stops every COMMAND, nothing is left',
    guarded(h, async () => {
      const { roll, pids, supervisor } = await midRoll('rkill', ['--instances', '2']);
      assert.equal(pids.length, 3);
      process.kill(supervisor, 'SIGKILL');
      await waitFor(() => !isAlive(supervisor), 5000, 'supervisor killed');
      const r = await roll;
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /its supervisor ended during the rolling restart/);
      assert.ok(pids.every(isAlive), 'the COMMANDs run on, orphaned');
      const status = await h.dkT(['status', '--name', 'rkill']);
      assert.equal(status.code, 1);
      assert.match(status.stdout, /and 2 more COMMANDs/);
      const stop = await h.dkT(['stop', '--name', 'rkill']);
      assert.equal(stop.code, 0, stop.stderr);
      for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} still runs`);
      await assertNothingLeft(h);
    }),
  );
});
