// One supervisor for a project (issue 16): `up` runs every service of a file under one daemonkit
// process; each service keeps its lock, state, log files and pidfile, and its pidfile names its
// COMMAND, so a third-party tool that stops "the pidfile's process" stops that service alone.
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
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
      // Its spec record, with the environment in it (written in the supervisor's thread pool),
      // is there once up has returned: a restart right after it starts it the same way.
      assert.equal(readJson(join(h.dir(`one.${s}`), 'spec.json')).project.service, s);
      assert.ok(readJson(join(h.dir(`one.${s}`), 'spec.json')).env.PATH);
      assert.equal(existsSync(join(h.dir(`one.${s}`), 'env.json')), false, 'no env.json');
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

  it("up of 30 services: the home's ACL read once by up; one connection to their supervisor, which asks the kernel once about each new COMMAND, writes each state once and removes no file (strace)", async (t) => {
    if (!STRACE) return t.skip('no strace');
    const n = 30;
    let body = '';
    for (let i = 0; i < n; i++)
      body += `[services.s${i}]\ncommand = ["/bin/sleep", "610${i}"]\ngrace = 0\n`;
    const file = project('pipelined', body);
    const trace = join(mkdtempSync(join(tmpdir(), 'dk-strace-')), 'trace');
    const tracer = spawn(
      STRACE,
      [
        '-f',
        '-I',
        '1',
        '-e',
        'trace=execve,connect,waitid,rename,renameat2,unlink,unlinkat,lgetxattr',
        '-o',
        trace,
        NODE,
        '--',
        CLI,
        'up',
        '-q',
        '-f',
        file,
      ],
      { env: { ...process.env, ...h.env }, stdio: 'ignore' },
    );
    const detached = new Promise((resolve) => tracer.on('exit', resolve));
    // The supervisor outlives up (and strace follows it): once up has exited, strace lets go.
    const upExit = () => {
      let text = '';
      try {
        text = readFileSync(trace, 'utf8');
      } catch {
        return null;
      }
      const first = text.slice(0, text.indexOf(' '));
      return new RegExp(`^${first} +\\+\\+\\+ exited with (\\d+)`, 'm').exec(text)?.[1] ?? null;
    };
    await waitFor(() => upExit() !== null, 60_000, 'up to exit under strace');
    assert.equal(upExit(), '0');
    tracer.kill('SIGINT');
    await detached;
    const lines = readFileSync(trace, 'utf8').split('\n');
    const sup = supervisorPid('pipelined');
    const count = (re) => lines.filter((l) => re.test(l)).length;
    // Each service's start asked its own look-up of the supervisor (a connection and a walk of
    // its fds each), and each new COMMAND's watch asked about every watched one (n²/2 waitids).
    const connects = count(/connect\(.*\.sock"/);
    assert.ok(connects >= 1 && connects <= 2, `${connects} connections to the supervisor`);
    const waits = count(new RegExp(`^${sup} .*waitid\\(P_PID`));
    // up checks the directories above each service's files (its logs, its pidfile) several
    // times per service; what it found of the home is kept for the command: its ACL read once.
    const cli = lines[0].slice(0, lines[0].indexOf(' '));
    const homeAcls = count(
      new RegExp(`^${cli} +lgetxattr\\("${h.home}", "system.posix_acl_access"`),
    );
    assert.ok(homeAcls >= 1 && homeAcls <= 2, `${homeAcls} looks at the home's ACL by up`);
    assert.ok(waits <= 2 * n, `${waits} waitids in the supervisor for ${n} starts`);
    // At start (grace 0): one write, made at the fork (the COMMAND execs only after it), that
    // already says what holds once it has exec'd and started (was 4 each, then 3, then 2).
    const writes = count(/rename(at2)?\(.*\/state\.json\.\d+\.tmp", .*\/state\.json"/);
    assert.ok(writes <= n, `${writes} state writes for ${n} services`);
    // Nothing removed in the services' directories, not even nothing (an unlink locks the
    // directory): each file removed makes the next ones made slower on a busy ext4. Was 2 state
    // files replaced, a stop request and a pidfile's temp name looked for, per service.
    const unlinks = lines.filter(
      (l) => l.startsWith(`${sup} `) && /unlink(at)?\(.*\/pipelined\.s\d+\//.test(l),
    );
    assert.deepEqual(unlinks, []);
    const running = readdirSync(h.home).filter((d) => d.startsWith('pipelined.'));
    assert.equal(running.length, n);
    for (const d of running) {
      const st = readJson(join(h.home, d, 'state.json'));
      assert.equal(st.state, 'running');
      assert.equal(st.spawning?.pgid, st.childPid, `${d}: written at its COMMAND's fork`);
    }
    const down = await h.dk(['down', '-q', '-f', file]);
    assert.equal(down.code, 0, down.stderr);
    assert.ok(!isAlive(sup));
    // The replaced states kept at the temp names went with the services' last writes.
    for (const d of running)
      assert.deepEqual(
        readdirSync(join(h.home, d)).filter((f) => f.endsWith('.tmp')),
        [],
        `${d}: a temp file left`,
      );
  });

  it("keeps a service's environment in spec.json (no env.json made), removes an env.json an earlier start left, and restart starts from the recorded one", async () => {
    const file = project('envfold', '[services.a]\ncommand = ["/bin/sleep", "6301"]\n');
    const dir = h.dir('envfold.a');
    let up = await h.dk(['up', '-q', '-f', file], { env: { DK_FOLD: 'first' } });
    assert.equal(up.code, 0, up.stderr);
    assert.equal(readJson(join(dir, 'spec.json')).env.DK_FOLD, 'first');
    assert.equal(existsSync(join(dir, 'env.json')), false, 'no env.json made');
    let down = await h.dk(['down', '-q', '-f', file]);
    assert.equal(down.code, 0, down.stderr);
    // An env.json of an earlier start (an older version's, a standalone writer's) is read first
    // by a restart: the start that records the environment in spec.json removes it.
    writeFileSync(join(dir, 'env.json'), JSON.stringify({ env: { DK_FOLD: 'stale' } }));
    up = await h.dk(['up', '-q', '-f', file], { env: { DK_FOLD: 'second' } });
    assert.equal(up.code, 0, up.stderr);
    assert.equal(existsSync(join(dir, 'env.json')), false, 'the stale env.json removed');
    const restart = await h.dk(['restart', '--name', 'envfold.a'], { env: { DK_FOLD: 'third' } });
    assert.equal(restart.code, 0, restart.stderr);
    const child = state('envfold.a').childPid;
    const environ = readFileSync(`/proc/${child}/environ`, 'utf8').split('\0');
    assert.ok(
      environ.includes('DK_FOLD=second'),
      environ.filter((e) => e.startsWith('DK_')).join(),
    );
    down = await h.dk(['down', '-q', '-f', file]);
    assert.equal(down.code, 0, down.stderr);
  });

  it('a replaced state kept by a supervisor that was killed is removed by the next start', async () => {
    const file = project('keptstate', '[services.a]\ncommand = ["/bin/sleep", "6201"]\n');
    let up = await h.dk(['up', '-q', '-f', file]);
    assert.equal(up.code, 0, up.stderr);
    const sup = supervisorPid('keptstate');
    const dir = h.dir('keptstate.a');
    const kept = join(dir, `state.json.${sup}.tmp`);
    assert.ok(existsSync(kept), 'the state the last write replaced, kept');
    process.kill(sup, 'SIGKILL');
    await waitFor(() => !isAlive(sup), 10_000, 'the supervisor gone');
    // A record's temp file it was writing when killed (files/record-file.ts), and a directory
    // someone made at such a name: the file goes, the directory is left, the start goes on.
    writeFileSync(join(dir, `spec.json.${sup}.tmp`), '');
    mkdirSync(join(dir, `env.json.${sup}.tmp`));
    up = await h.dk(['up', '-q', '-f', file]);
    assert.equal(up.code, 0, up.stderr);
    const now = supervisorPid('keptstate');
    assert.notEqual(now, sup);
    assert.ok(!existsSync(kept), "the dead supervisor's kept state removed");
    assert.ok(!existsSync(join(dir, `spec.json.${sup}.tmp`)), 'its spec temp file removed');
    assert.ok(existsSync(join(dir, `env.json.${sup}.tmp`)), 'a directory there left alone');
    rmdirSync(join(dir, `env.json.${sup}.tmp`));
    const down = await h.dk(['down', '-q', '-f', file]);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });
});
