// Files and processes of another user are never taken for the daemon (issue 13, point 4). As root,
// the other user (nobody) acting through setpriv: a lock file planted in a sticky world-writable
// directory and locked by nobody's program, a read lock taken on root's own lock file, and a
// service's other files (state, launch marker, restart lock, requests) owned by someone else.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, makeHome, procStatus, readJson, startedPids, waitFor } from '../helpers.mjs';

const NOBODY = 65534;
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
// A python3 nobody may run (not a shim under root's home).
const PYTHON = ['/usr/bin/python3', '/bin/python3'].find((p) => existsSync(p));
const skip =
  process.geteuid() !== 0
    ? 'needs root (to act as nobody through setpriv, and to chown)'
    : !SETPRIV
      ? 'needs setpriv (util-linux)'
      : !PYTHON
        ? 'needs /usr/bin/python3'
        : false;

const h = makeHome();
let sticky;
const planted = new Set();
before(() => {
  sticky = mkdtempSync(join(tmpdir(), 'dk-sticky-'));
  chmodSync(sticky, 0o1777); // like /tmp: anyone may create files, no one may replace another's
});
after(async () => {
  // Through the ChildProcess: it signals only a child not yet reaped (never a recycled pid).
  for (const child of planted) child.kill('SIGKILL');
  await h.cleanup();
  rmSync(sticky, { recursive: true, force: true });
});

/**
 * As nobody: open `path` (creating it with `create`), take an OFD lock on it (a write lock, or a
 * read lock, which needs only read access), and exec a long sleep that keeps it. Resolves with
 * the pid once the kernel lists the lock in its fdinfo.
 */
async function lockAsNobody(path, options) {
  return lockAs(NOBODY, path, options);
}

/** The same as `uid` (null: as ourselves, root). */
async function lockAs(uid, path, { create = true, write = true } = {}) {
  const py = `
import fcntl, os, struct, sys
fd = os.open(sys.argv[1], (os.O_RDWR | os.O_CREAT) if ${create ? 'True' : 'False'} else os.O_RDONLY, 0o644)
fcntl.fcntl(fd, 37, struct.pack("hhqqi4x", fcntl.${write ? 'F_WRLCK' : 'F_RDLCK'}, 0, 0, 0, 0))  # F_OFD_SETLK
os.set_inheritable(fd, True)
os.execv("/bin/sleep", ["sleep", "1000"])
`;
  const as = uid === null ? [] : [SETPRIV, `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
  const [file, ...args] = [...as, PYTHON, '-c', py, path];
  const child = spawn(file, args, { stdio: 'ignore' });
  planted.add(child);
  const kind = write ? 'WRITE' : 'READ';
  const locked = () =>
    readdirSync(`/proc/${child.pid}/fdinfo`).some((fd) =>
      new RegExp(`^lock:.*\\b${kind}\\b`, 'm').test(
        readFileSync(`/proc/${child.pid}/fdinfo/${fd}`, 'utf8'),
      ),
    );
  await waitFor(
    () => {
      try {
        return procStatus(child.pid)?.Name === 'sleep' && locked();
      } catch {
        return false;
      }
    },
    10000,
    `a ${kind} lock on ${path}`,
  );
  return child.pid;
}

/** One line on stderr (or stdout for status), naming `what`. */
function saysOnce(r, what) {
  const text = (r.stderr + r.stdout).trim();
  assert.equal(text.split('\n').length, 1, text);
  assert.match(text, what);
}

/** status, stop (KILL: it must never be sent) and start each exit 4, saying `named` once. */
async function refusedByEach(pidfile, named) {
  for (const args of [
    ['status'],
    ['stop', '--retry', 'KILL/5'],
    ['start', '--grace', '0', '--', '/bin/sleep', '1000'],
  ]) {
    const r = await h.dk([args[0], '--pidfile', pidfile, ...args.slice(1)]);
    assert.equal(r.code, 4, `${args[0]}: ${r.stdout}${r.stderr}`);
    saysOnce(r, named);
  }
}

describe('a lock file another user planted and holds (sticky world-writable directory)', {
  skip,
}, () => {
  it("status, stop and start all exit 4 naming the lock file; nobody's process is never signalled", async () => {
    const pidfile = join(sticky, 'app.pid');
    const lockfile = `${pidfile}.lock`;
    const victim = await lockAsNobody(lockfile);
    const named = new RegExp(
      `lock file ${lockfile.replace(/[.]/g, '\\.')} is owned by uid ${NOBODY}, not by the user acting \\(uid 0\\) or root`,
    );
    await refusedByEach(pidfile, named);
    const json = await h.dk(['status', '--pidfile', pidfile, '--json']);
    assert.equal(json.code, 4);
    assert.equal(JSON.parse(json.stdout).running, false);
    const restart = await h.dk([
      'restart',
      '--pidfile',
      pidfile,
      '--grace',
      '0',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(restart.code, 4, restart.stdout + restart.stderr);
    assert.equal(isAlive(victim), true, "nobody's process still lives");
    assert.equal(procStatus(victim).SigPnd, '0000000000000000');
    assert.equal(existsSync(pidfile), false, 'no pidfile was written');
  });
});

describe("a read lock another user takes on root's own lock file", { skip }, () => {
  it('is never taken for the daemon: status, stop and start exit 4 naming its pid and uid', async () => {
    const pidfile = join(sticky, 'own.pid');
    const first = await h.dk([
      'start',
      '--pidfile',
      pidfile,
      '--grace',
      '0',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal((await h.dk(['stop', '--pidfile', pidfile])).code, 0);
    // root's lock file is 0600 now; one left 0644 by an older daemonkit may be read, so read-locked
    // by nobody through an fd opened before root closed it again.
    chmodSync(`${pidfile}.lock`, 0o644);
    const victim = await lockAsNobody(`${pidfile}.lock`, { create: false, write: false });
    const named = new RegExp(
      `its lock is held by pid ${victim}, a process of uid ${NOBODY}, not of uid 0 who owns the lock file`,
    );
    await refusedByEach(pidfile, named);
    assert.equal(isAlive(victim), true, "nobody's process still lives");
    assert.equal(procStatus(victim).SigPnd, '0000000000000000');
  });
});

describe("the other files that say whom to signal must be the caller's or root's", { skip }, () => {
  it('a state file of another user: status, stop and start exit 4 naming it, and the process group it names is left alone', async () => {
    const victim = spawn(
      SETPRIV,
      [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '/bin/sleep', '1000'],
      { stdio: 'ignore', detached: true },
    );
    planted.add(victim);
    await waitFor(() => procStatus(victim.pid)?.Name === 'sleep', 5000, 'the victim');
    const stat = readFileSync(`/proc/${victim.pid}/stat`, 'utf8');
    const startTime = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    // What a dead supervisor's state says of an orphaned COMMAND: its group and start time.
    const dir = h.dir('foreign-state');
    const r = await h.dk([
      'start',
      '--name',
      'foreign-state',
      '--grace',
      '0',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await h.dk(['stop', '--name', 'foreign-state'])).code, 0);
    const statefile = join(dir, 'state.json');
    const forged = {
      ...readJson(statefile),
      state: 'running',
      childPid: victim.pid,
      childPgid: victim.pid,
      childStartTime: startTime,
    };
    writeFileSync(statefile, JSON.stringify(forged));
    chownSync(statefile, NOBODY, NOBODY);
    const named = new RegExp(
      `state file ${statefile.replace(/[.]/g, '\\.')} is owned by uid ${NOBODY}`,
    );
    for (const args of [
      ['status'],
      ['stop'],
      ['start', '--grace', '0', '--', '/bin/sleep', '1000'],
    ]) {
      const res = await h.dk([args[0], '--name', 'foreign-state', ...args.slice(1)]);
      assert.equal(res.code, 4, `${args[0]}: ${res.stdout}${res.stderr}`);
      saysOnce(res, named);
    }
    assert.equal(isAlive(victim.pid), true, 'the group the forged state names still lives');
    rmSync(statefile);
  });

  it('a launch marker of another user is refused, not believed', async () => {
    // A holder of root's lock that no file names (as a `start` is while it launches), and a
    // marker, made by another user, that would make it a launching start's.
    const dir = h.dir('foreign-marker');
    mkdirSync(dir, { recursive: true });
    const holder = await lockAs(null, join(dir, 'pid.lock'));
    const marker = join(dir, `launching.${holder}`);
    writeFileSync(marker, '');
    chownSync(marker, NOBODY, NOBODY);
    const s = await h.dk(['status', '--name', 'foreign-marker']);
    assert.equal(s.code, 4, s.stdout + s.stderr);
    saysOnce(
      s,
      new RegExp(`launch marker ${marker.replace(/[.]/g, '\\.')} is owned by uid ${NOBODY}`),
    );
    rmSync(marker);
    const after = await h.dk(['status', '--name', 'foreign-marker']);
    assert.equal(after.code, 0, 'without it, the holder is what holds the lock');
  });

  it('a restart lock of another user: restart exits 4 naming it, without waiting for it', async () => {
    const dir = h.dir('foreign-restart');
    const r = await h.dk([
      'start',
      '--name',
      'foreign-restart',
      '--grace',
      '0',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lock = join(dir, 'restart.lock');
    // Held by nobody, it would hold every restart back for as long as nobody likes.
    writeFileSync(lock, '');
    chownSync(lock, NOBODY, NOBODY);
    const res = await h.dk(['restart', '--name', 'foreign-restart']);
    assert.equal(res.code, 4, res.stdout + res.stderr);
    saysOnce(res, new RegExp(`lock file ${lock.replace(/[.]/g, '\\.')} is owned by uid ${NOBODY}`));
    assert.equal(
      (await h.dk(['status', '--name', 'foreign-restart'])).code,
      0,
      'the service was not touched',
    );
    assert.equal((await h.dk(['stop', '--name', 'foreign-restart'])).code, 0);
  });

  it('a spec file of another user (what restart runs, where logs reads): restart and logs exit 4 naming it', async () => {
    const dir = h.dir('foreign-spec');
    const r = await h.dk([
      'start',
      '--name',
      'foreign-spec',
      '--grace',
      '0',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { pid } = startedPids(r.stdout);
    const specfile = join(dir, 'spec.json');
    chownSync(specfile, NOBODY, NOBODY);
    const named = new RegExp(
      `spec file ${specfile.replace(/[.]/g, '\\.')} is owned by uid ${NOBODY}`,
    );
    for (const args of [['restart'], ['logs']]) {
      const res = await h.dk([args[0], '--name', 'foreign-spec', ...args.slice(1)]);
      assert.equal(res.code, 4, `${args[0]}: ${res.stdout}${res.stderr}`);
      saysOnce(res, named);
    }
    assert.equal(isAlive(pid), true, 'the service was not restarted');
    chownSync(specfile, 0, 0);
    assert.equal((await h.dk(['stop', '--name', 'foreign-spec'])).code, 0);
  });
});
