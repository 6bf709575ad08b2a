// `list` of a project's shared services (issue 16's budget): the shared supervisor records in each
// service's state.json the fd it holds that service's lock through (lockFd), and `list` looks
// there before walking the supervisor's fds. The record is a hint, never a proof: a lock that is
// free is not running, a hint naming another fd (another service's lock) is not believed, and a
// holder of another uid is never taken for the daemon, whatever the state file says.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lines, makeHome, readJson } from '../helpers.mjs';

const h = makeHome();
after(() => h.cleanup());
const root = process.getuid() === 0;

const list = async () => {
  const r = await h.dk(['list', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return new Map(JSON.parse(r.stdout).map((s) => [s.name, s]));
};

/** The lock lines of /proc/PID/fdinfo/FD that name this inode. */
const locksOn = (pid, fd, path) => {
  const ino = statSync(path).ino;
  return readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('lock:') && l.includes(`:${ino} `));
};

/** A services file of `toml` in a directory of its own, brought up; its path. */
async function upProject(toml) {
  const dir = mkdtempSync(join(tmpdir(), 'dk-hint-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'daemonkit.toml');
  writeFileSync(file, toml);
  const up = await h.dk(['up', '-f', file]);
  assert.equal(up.code, 0, up.stderr);
  return file;
}

describe("a shared supervisor's lock fds", () => {
  it('each service records the fd its lock is held through; a wrong one is not believed', async () => {
    const file = await upProject(
      'project = "hint"\n[services.a]\ncommand = ["/bin/sleep", "7001"]\ngrace = 0\n[services.b]\ncommand = ["/bin/sleep", "7002"]\ngrace = 0\n',
    );
    const a = readJson(join(h.dir('hint.a'), 'state.json'));
    const b = readJson(join(h.dir('hint.b'), 'state.json'));
    assert.equal(a.pid, b.pid, 'one supervisor');
    for (const [name, st] of [
      ['hint.a', a],
      ['hint.b', b],
    ]) {
      assert.ok(Number.isInteger(st.lockFd), `${name}: lockFd recorded (${JSON.stringify(st)})`);
      assert.equal(
        locksOn(st.pid, st.lockFd, join(h.dir(name), 'pid.lock')).length,
        1,
        `${name}: the supervisor's fd ${st.lockFd} holds its lock`,
      );
    }
    assert.notEqual(a.lockFd, b.lockFd);
    // a's state names b's lock fd (held, but on another file): a is still found running, by the
    // walk, with its supervisor's pid.
    writeFileSync(join(h.dir('hint.a'), 'state.json'), JSON.stringify({ ...a, lockFd: b.lockFd }));
    let all = await list();
    assert.equal(all.get('hint.a').state, 'running');
    assert.equal(all.get('hint.a').pid, a.pid);
    assert.equal(all.get('hint.b').pid, b.pid);
    // a stopped (its lock free): not running, whatever fd its old state names.
    const down = await h.dk(['down', '-f', file, 'a']);
    assert.equal(down.code, 0, down.stderr);
    const stopped = readJson(join(h.dir('hint.a'), 'state.json'));
    writeFileSync(
      join(h.dir('hint.a'), 'state.json'),
      JSON.stringify({ ...stopped, state: 'running', pid: b.pid, lockFd: b.lockFd }),
    );
    all = await list();
    assert.equal(all.get('hint.a').running, false);
    assert.equal(all.get('hint.a').pid, null);
    assert.equal(all.get('hint.b').state, 'running');
    const rest = await h.dk(['down', '-f', file]);
    assert.equal(rest.code, 0, rest.stderr);
  });

  // `list` proves a project's running service from its state and the supervisor's fdinfo alone
  // (no probe of the lock file, no read of the pidfile, which names the COMMAND); whatever that
  // look does not vouch for goes through the full inspection, as `status` does.
  it('a pidfile planted by another user makes the service unknown in list, as in status', {
    skip: !root && 'needs root to own a file as uid 999',
  }, async () => {
    const file = await upProject(
      'project = "plant"\n[services.a]\ncommand = ["/bin/sleep", "7003"]\ngrace = 0\n',
    );
    const pidfile = join(h.dir('plant.a'), 'pid');
    assert.equal((await list()).get('plant.a').state, 'running');
    chownSync(pidfile, 999, 999);
    const s = (await list()).get('plant.a');
    const status = await h.dk(['status', '--name', 'plant.a']);
    assert.equal(status.code, 4, status.stdout + status.stderr);
    assert.equal(s.state, 'unknown');
    assert.equal(s.code, 4);
    assert.match(s.reason, /owned by uid 999/);
    chownSync(pidfile, 0, 0);
    assert.equal((await list()).get('plant.a').state, 'running');
    const down = await h.dk(['down', '-f', file]);
    assert.equal(down.code, 0, down.stderr);
  });

  it("a lock file replaced under a running service: not running in list (the fd's lock is on the old file)", async () => {
    const file = await upProject(
      'project = "swap"\n[services.a]\ncommand = ["/bin/sleep", "7004"]\ngrace = 0\n',
    );
    const lock = join(h.dir('swap.a'), 'pid.lock');
    const st = readJson(join(h.dir('swap.a'), 'state.json'));
    renameSync(lock, `${lock}.old`);
    writeFileSync(lock, '', { mode: 0o600 });
    const s = (await list()).get('swap.a');
    assert.equal(s.running, false, JSON.stringify(s));
    renameSync(`${lock}.old`, lock);
    assert.equal((await list()).get('swap.a').pid, st.pid);
    const down = await h.dk(['down', '-f', file]);
    assert.equal(down.code, 0, down.stderr);
  });
});

// A process holding a lock file's OFD write lock through fd 9, named by a state file with
// lockFd 9; on "unlock" it lets the lock go and keeps the fd.
const HOLDER = `
import fcntl, os, struct, sys
lk = struct.pack('hhqqi', fcntl.F_WRLCK, 0, 0, 0, 0)
fcntl.fcntl(9, fcntl.F_OFD_SETLK, lk)
print('ok', flush=True)
for line in sys.stdin:
    fcntl.fcntl(9, fcntl.F_OFD_SETLK, struct.pack('hhqqi', fcntl.F_UNLCK, 0, 0, 0, 0))
    print('ok', flush=True)
`;

/** A service dir whose lock is held by a python process (as `as`, root's fd passed down), and a
 *  state naming it with lockFd 9. */
async function heldBy(name, as) {
  const dir = h.dir(name);
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, 'pid.lock');
  writeFileSync(lock, '', { mode: 0o600 });
  const cmd = `exec 9<>'${lock}'; exec ${as ? `setpriv --reuid ${as} --regid ${as} --clear-groups ` : ''}/usr/bin/python3 -c "$0"`;
  const child = spawn('sh', ['-c', cmd, HOLDER], { stdio: ['pipe', 'pipe', 'inherit'] });
  h.track(child.pid);
  child.line = lines(child.stdout);
  assert.equal(await child.line(), 'ok', 'the holder has the lock');
  writeFileSync(
    join(dir, 'state.json'),
    JSON.stringify({
      version: 1,
      kind: 'supervisor',
      state: 'running',
      pid: child.pid,
      shared: true,
      lockFd: 9,
      startedAt: Date.now(),
      updatedAt: Date.now(),
    }),
  );
  return child;
}

describe('the hint proves nothing by itself', () => {
  it('a lock let go is not running, though the state still names its holder and fd', async () => {
    const child = await heldBy('freed', null);
    let s = (await list()).get('freed');
    assert.equal(s.state, 'running');
    assert.equal(s.pid, child.pid, 'the holder, proven through fd 9');
    child.stdin.write('unlock\n');
    assert.equal(await child.line(), 'ok', 'let go');
    s = (await list()).get('freed');
    assert.equal(s.running, false);
    assert.equal(s.pid, null);
    child.kill('SIGKILL');
  });

  it("a state naming a process and fd that hold another file's lock: the real holder is found", async () => {
    const real = await heldBy('held', null);
    const other = await heldBy('other', null); // its fd 9 holds other's lock, not held's
    const st = readJson(join(h.dir('held'), 'state.json'));
    writeFileSync(
      join(h.dir('held'), 'state.json'),
      JSON.stringify({ ...st, pid: other.pid, lockFd: 9 }),
    );
    const all = await list();
    assert.equal(all.get('held').state, 'running');
    assert.equal(all.get('held').pid, real.pid, 'not the process the state names');
    assert.equal(all.get('other').pid, other.pid);
    real.kill('SIGKILL');
    other.kill('SIGKILL');
  });

  it('a COMMAND forked and about to exec is the one shown, not the one before it', async () => {
    const holder = await heldBy('spawn', null);
    const next = spawn('sleep', ['30'], { stdio: 'ignore' });
    h.track(next.pid);
    await once(next, 'spawn');
    const startTime = Number(
      readFileSync(`/proc/${next.pid}/stat`, 'utf8').split(') ')[1].split(' ')[19],
    );
    const st = readJson(join(h.dir('spawn'), 'state.json'));
    // The record still names the last COMMAND (long gone, started at boot) until its next write.
    writeFileSync(
      join(h.dir('spawn'), 'state.json'),
      JSON.stringify({
        ...st,
        state: 'starting',
        childPid: 1,
        childPgid: 1,
        childStartTime: 1,
        spawning: { pgid: next.pid, startTime },
      }),
    );
    for (const s of [
      (await list()).get('spawn'),
      JSON.parse((await h.dk(['status', '--name', 'spawn', '--json'])).stdout),
    ]) {
      assert.equal(s.childPid, next.pid);
      assert.ok(s.uptimeMs < 60_000, `the new COMMAND's uptime, not the last one's: ${s.uptimeMs}`);
    }
    next.kill('SIGKILL');
    holder.kill('SIGKILL');
  });

  it("a state written at the fork as the start will be once exec'd: starting until that process has exec'd", async () => {
    const holder = await heldBy('foretold', null);
    // A forked process that never execs: the subshell of a shell (PF_FORKNOEXEC); then one that
    // has (sleep).
    const sh = spawn('sh', ['-c', '(sleep 30; :) & echo $!; wait'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    h.track(sh.pid);
    const forked = Number(await lines(sh.stdout)());
    h.track(forked);
    const execd = spawn('sleep', ['30'], { stdio: 'ignore' });
    h.track(execd.pid);
    await once(execd, 'spawn');
    const startOf = (pid) =>
      Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[19]);
    const st = readJson(join(h.dir('foretold'), 'state.json'));
    for (const [pid, shown] of [
      [forked, 'starting'],
      [execd.pid, 'running'],
    ]) {
      const startTime = startOf(pid);
      writeFileSync(
        join(h.dir('foretold'), 'state.json'),
        JSON.stringify({
          ...st,
          state: 'running',
          childPid: pid,
          childPgid: pid,
          childStartTime: startTime,
          spawning: { pgid: pid, startTime },
        }),
      );
      for (const s of [
        (await list()).get('foretold'),
        JSON.parse((await h.dk(['status', '--name', 'foretold', '--json'])).stdout),
      ]) {
        assert.equal(s.state, shown, `pid ${pid}`);
        assert.equal(s.childPid, pid);
      }
    }
    process.kill(forked, 'SIGKILL');
    sh.kill('SIGKILL');
    execd.kill('SIGKILL');
    holder.kill('SIGKILL');
  });

  it('a holder of another uid is never our daemon (status unknown, code 4)', {
    skip: !root && 'needs root to hand the lock to uid 999',
  }, async () => {
    const child = await heldBy('foreign', 999);
    const s = (await list()).get('foreign');
    assert.equal(s.state, 'unknown');
    assert.equal(s.code, 4);
    assert.equal(s.pid, null);
    assert.match(s.reason, /a process of uid 999/);
    child.kill('SIGKILL');
  });
});
