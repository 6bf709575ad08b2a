// restart --rolling and --instances: the supervisor starts the new COMMAND beside the old one with
// the same --listen socket, so something always accepts. Proved with real processes under a
// client that keeps sending requests (loopback only, one connection per request, bounded).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { groupPids, isAlive, makeHome, NODE, readJson, ROOT, waitFor } from '../helpers.mjs';
import { loadClient } from '../load-client.mjs';

const SERVER = join(ROOT, 'test', 'fixtures', 'rolling-server.mjs');
const ROLLS = 20;

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

const state = (home, name) => readJson(join(home.dir(name), 'state.json'));

/** Every COMMAND group the state names (all instances, both of a roll), for the cleanup. */
function killAll(home, name) {
  const st = state(home, name);
  for (const pgid of [st?.childPgid, ...(st?.commands ?? []).map((c) => c.pgid)])
    if (pgid) for (const pid of groupPids(pgid)) process.kill(pid, 'SIGKILL');
}

describe('restart --rolling', () => {
  const home = makeHome();
  const names = [];
  after(async () => {
    for (const name of names) killAll(home, name);
    await home.cleanup();
  });

  async function startServer(name, extra = []) {
    names.push(name);
    const port = await freePort();
    const r = await home.dk([
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
    return port;
  }

  const roll = (name, version, extra = []) =>
    home.dk(['restart', '--rolling', '--name', name, ...extra, '--', NODE, SERVER, version]);

  async function rollsUnderLoad(name, port, count) {
    const client = loadClient(port);
    for (let i = 1; i <= count; i++) {
      const r = await roll(name, `v${i}`);
      assert.equal(r.code, 0, `roll ${i}: ${r.stderr}`);
      assert.match(r.stdout, /restarted \(rolling\)/);
    }
    const result = await client.stop();
    assert.deepEqual(
      result.failures,
      [],
      `${result.failures.length} of ${result.ok + result.failures.length} requests failed`,
    );
    return result;
  }

  it(`20 rolling restarts under load: no request fails, old and new versions answer`, async () => {
    const port = await startServer('one');
    const pidBefore = state(home, 'one').pid;
    const result = await rollsUnderLoad('one', port, ROLLS);
    assert.ok(result.ok > ROLLS, `only ${result.ok} requests`);
    assert.ok(
      result.versions.has('v0') && result.versions.has(`v${ROLLS}`),
      [...result.versions.keys()].join(' '),
    );
    assert.ok(result.versions.size >= ROLLS / 2, `versions seen: ${[...result.versions.keys()]}`);
    const st = state(home, 'one');
    assert.equal(st.pid, pidBefore, 'the same supervisor did it all');
    assert.equal(st.command.at(-1), `v${ROLLS}`);
    assert.equal(st.restarts, 0, 'a roll is not a restart by the policy');
    // The new spec is recorded: a plain restart brings the last version back.
    assert.equal((await home.dk(['restart', '--name', 'one'])).code, 0);
    assert.equal(state(home, 'one').command.at(-1), `v${ROLLS}`);
    assert.equal((await home.dk(['stop', '--name', 'one'])).code, 0);
  });

  it('--instances 4: 20 rolling restarts, one instance at a time, no request fails', async () => {
    const port = await startServer('four', ['--instances', '4']);
    const st = state(home, 'four');
    assert.equal(st.commands.length, 4);
    assert.deepEqual(
      st.commands.map((c) => c.instance),
      [0, 1, 2, 3],
    );
    const env = (pid) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    for (const c of st.commands) assert.ok(env(c.pid).includes(`DAEMONKIT_INSTANCE=${c.instance}`));
    const result = await rollsUnderLoad('four', port, ROLLS);
    assert.ok(result.versions.has('v0') && result.versions.has(`v${ROLLS}`));
    // The last roll returned once its new COMMAND was ready; the old one may still be finishing
    // its stop (SIGTERM: what it took), listed as (old) until it has exited.
    await waitFor(() => state(home, 'four').commands.length === 4, 15000, 'the last old one gone');
    const now = state(home, 'four');
    assert.equal(now.commands.length, 4);
    assert.ok(now.commands.every((c) => c.state === 'running' && isAlive(c.pid)));
    assert.equal((await home.dk(['stop', '--name', 'four'])).code, 0);
    for (const c of now.commands) assert.equal(isAlive(c.pid), false);
    // Each line of the log says which instance wrote it (the supervisor's own lines too).
    const log = readFileSync(join(home.dir('four'), 'four.log'), 'utf8')
      .trim()
      .split('\n');
    for (const i of [0, 1, 2, 3])
      assert.ok(
        log.some((l) => l.startsWith(`[${i}] daemonkit: rolling restart: started `)),
        `instance ${i}`,
      );
    assert.ok(
      log.every((l) => /^\[[0-3]\] /.test(l)),
      log.find((l) => !/^\[[0-3]\] /.test(l)),
    );
  });

  it('a new version that fails: every request still succeeds, exit 1 with its stderr, the old one serves on', async () => {
    const port = await startServer('bad');
    const before = state(home, 'bad').childPid;
    const client = loadClient(port);
    const r = await roll('bad', 'fail');
    const result = await client.stop();
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /rolling restart failed: the new COMMAND exited with code 3 after [^,]+, before it was ready/,
    );
    assert.match(r.stderr, /cannot load its configuration \(version fail\)/);
    assert.deepEqual(result.failures, []);
    assert.deepEqual([...result.versions.keys()], ['v0']);
    assert.equal(state(home, 'bad').childPid, before);
    assert.equal(state(home, 'bad').command.at(-1), 'v0', 'the failed spec is not recorded');
    assert.equal((await home.dk(['stop', '--name', 'bad'])).code, 0);
  });

  it('status shows both COMMANDs while they overlap', async () => {
    await startServer('both');
    const old = state(home, 'both').childPid;
    // Ready 3 s after it starts: the two overlap that long.
    const rolling = home.dk([
      'restart',
      '--rolling',
      '--name',
      'both',
      '--',
      'sh',
      '-c',
      `sleep 3; exec ${NODE} ${SERVER} v1`,
    ]);
    const overlap = await waitFor(
      () => {
        const c = state(home, 'both')?.commands;
        return c?.length === 2 && c;
      },
      10000,
      'the overlap',
    );
    assert.deepEqual(
      overlap.map((c) => c.role),
      ['current', 'new'],
    );
    assert.equal(overlap[0].pid, old);
    const s = await home.dk(['status', '--name', 'both']);
    assert.equal(s.code, 0);
    assert.match(s.stdout, new RegExp(`instance 0: running, command pid ${old}`));
    assert.match(
      s.stdout,
      new RegExp(`instance 0 \\(new\\): starting, command pid ${overlap[1].pid}`),
    );
    assert.equal((await rolling).code, 0);
    assert.equal(state(home, 'both').childPid, overlap[1].pid);
    assert.equal((await home.dk(['stop', '--name', 'both'])).code, 0);
  });

  it('refuses to change what the supervisor holds (exit 2); a stopped service is started', async () => {
    await startServer('held');
    const other = await freePort();
    const r = await roll('held', 'v1', ['--listen', `tcp:127.0.0.1:${other}`]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /restart --rolling cannot change --listen/);
    assert.equal((await home.dk(['stop', '--name', 'held'])).code, 0);
    const again = await roll('held', 'v2');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /was not running; started/);
    assert.equal((await home.dk(['stop', '--name', 'held'])).code, 0);
  });
});
