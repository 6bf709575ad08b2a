// One supervisor for a project (issue 16): `up` runs every service of a file under one daemonkit
// process; each service keeps its lock, state, log files and pidfile, and its pidfile names its
// COMMAND, so a third-party tool that stops "the pidfile's process" stops that service alone.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, NODE, isAlive, makeHome, readJson, run, waitFor } from '../helpers.mjs';

const h = makeHome();
after(() => h.cleanup());

const SSD = ['/usr/sbin/start-stop-daemon', '/sbin/start-stop-daemon'].find((p) => existsSync(p));
const STRACE = ['/usr/bin/strace', '/bin/strace'].find((p) => existsSync(p));

function project(name, body) {
  const dir = mkdtempSync(join(tmpdir(), 'dk-shared-'));
  const file = join(dir, 'daemonkit.toml');
  writeFileSync(file, `project = "${name}"\n${body}`);
  return file;
}

const state = (name) => readJson(join(h.dir(name), 'state.json'));
const supervisorPid = (p) =>
  Number(readFileSync(join(h.home, '.projects', `${p}.supervisor.pid`), 'utf8'));
const titleOf = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ').trim();
  } catch {
    return null;
  }
};

describe('one supervisor for a project', () => {
  it('runs every service under one process that holds each lock; down leaves no supervisor', async () => {
    const file = project(
      'one',
      '[services.a]\ncommand = ["/bin/sleep", "6001"]\n[services.b]\ncommand = ["/bin/sleep", "6002"]\nafter = ["a"]\n[services.c]\ncommand = "sleep 6003"\n',
    );
    const up = await h.dk(['up', '-f', file]);
    assert.equal(up.code, 0, up.stderr);
    const sup = supervisorPid('one');
    assert.equal(titleOf(sup), 'daemonkit: project one');
    for (const s of ['a', 'b', 'c']) {
      const st = state(`one.${s}`);
      assert.equal(st.pid, sup, `one.${s} is run by the project's supervisor`);
      assert.equal(st.shared, true);
      assert.equal(
        Number(readFileSync(join(h.dir(`one.${s}`), 'pid'), 'utf8')),
        st.childPid,
        'its pidfile names its COMMAND',
      );
      const status = await h.dk(['status', '--name', `one.${s}`]);
      assert.equal(status.code, 0, status.stdout);
      assert.doesNotMatch(`${status.stdout}${status.stderr}`, /stale/);
    }
    const down = await h.dk(['down', '-f', file]);
    assert.equal(down.code, 0, down.stderr);
    assert.ok(!isAlive(sup), 'the shared supervisor is gone once down returns');
    for (const s of ['a', 'b', 'c']) {
      assert.ok(!isAlive(state(`one.${s}`).childPid));
      assert.ok(!existsSync(join(h.dir(`one.${s}`), 'pid')), 'no pidfile left');
    }
  });

  it("start-stop-daemon --stop --pidfile of one service stops that service's COMMAND alone", {
    skip: SSD ? false : 'needs start-stop-daemon (dpkg)',
  }, async () => {
    const file = project(
      'ssd',
      '[services.x]\ncommand = ["/bin/sleep", "6101"]\n[services.y]\ncommand = ["/bin/sleep", "6102"]\n',
    );
    const up = await h.dk(['up', '-f', file]);
    assert.equal(up.code, 0, up.stderr);
    const sup = supervisorPid('ssd');
    const x = state('ssd.x');
    const y = state('ssd.y');
    const stop = await run(SSD, [
      '--stop',
      '--pidfile',
      join(h.dir('ssd.x'), 'pid'),
      '--retry',
      'TERM/5',
    ]);
    assert.equal(stop.code, 0, `${stop.stdout}${stop.stderr}`);
    await waitFor(() => !isAlive(x.childPid), 5000, 'x stopped');
    assert.ok(isAlive(sup), 'the shared supervisor lives on');
    assert.ok(isAlive(y.childPid), 'y runs on');
    assert.equal(state('ssd.y').childPid, y.childPid);
    // x's service saw its COMMAND end (by a signal from outside: its restart policy decides).
    await waitFor(() => state('ssd.x').state !== 'running', 5000, 'x recorded as ended');
    const down = await h.dk(['down', '-f', file]);
    assert.equal(down.code, 0, down.stderr);
    assert.ok(!isAlive(sup));
  });

  it("gives back what up's start burst left once it has added its last service (issue 16's memory budget)", async () => {
    // 20 sleeps: the young generation's spare half, resident since node's boot and the adds,
    // would otherwise stay until V8's memory reducer runs, ~8 s after its last full collection
    // (10.1 MiB until then on Node 20; ~8 MiB once given back; the budget: half of PM2's ~18).
    let body = '';
    for (let i = 0; i < 20; i++) body += `[services.s${i}]\ncommand = ["/bin/sleep", "6200"]\n`;
    const file = project('mem', body);
    const up = await h.dk(['up', '-q', '-f', file]);
    assert.equal(up.code, 0, up.stderr);
    const sup = supervisorPid('mem');
    const rssAnon = () =>
      Number(/RssAnon:\s+(\d+)/.exec(readFileSync(`/proc/${sup}/status`, 'utf8'))[1]);
    let seen = Infinity;
    await waitFor(() => (seen = rssAnon()) <= 9 * 1024, 5000, 'RssAnon under 9 MiB').catch(() =>
      assert.fail(`the shared supervisor's RssAnon is ${seen} kB 5 s after up`),
    );
    // The collection is behind us: a stop and a restart of one service still work at once.
    assert.equal((await h.dk(['restart', '--name', 'mem.s0'])).code, 0);
    assert.equal((await h.dk(['stop', '--name', 'mem.s1'])).code, 0);
    const down = await h.dk(['down', '-f', file]);
    assert.equal(down.code, 0, down.stderr);
    assert.ok(!isAlive(sup));
  });

  it("down looks at the shared supervisor's fds once, not once per service (strace)", async (t) => {
    if (!STRACE) return t.skip('no strace');
    const n = 30;
    let body = '';
    for (let i = 0; i < n; i++) body += `[services.s${i}]\ncommand = ["/bin/sleep", "600${i}"]\n`;
    const file = project('fdwalk', body);
    const up = await h.dk(['up', '-q', '-f', file]);
    assert.equal(up.code, 0, up.stderr);
    const sup = supervisorPid('fdwalk');
    const fds = readdirSync(`/proc/${sup}/fd`).length;
    const trace = join(mkdtempSync(join(tmpdir(), 'dk-strace-')), 'trace');
    const down = await run(
      STRACE,
      ['-f', '-e', 'trace=statx,newfstatat', '-o', trace, NODE, '--', CLI, 'down', '-f', file],
      { env: h.env },
    );
    assert.equal(down.code, 0, down.stderr);
    assert.ok(!isAlive(sup));
    // Each service's stop proves the supervisor holds its lock (several times): a walk of its
    // ~5 fds per service each time made down O(N²). One walk, then a look at the fd it named.
    const looks = readFileSync(trace, 'utf8')
      .split('\n')
      .filter((l) => l.includes(`"/proc/${sup}/fd/`)).length;
    assert.ok(looks > 0, 'strace saw the lock checks');
    assert.ok(
      looks <= 2 * fds + 10 * n,
      `${looks} stats of the supervisor's ${fds} fds for ${n} services`,
    );
  });
});
