// Fault suite: missing and unwritable directories for the pidfile, the state and the logs.
// docs/cli.md: start exits 4 when "the pidfile, state or log directory is not writable", with
// one line naming the path; stop exits 4 when it "cannot write the stop request". The
// unprivileged cases act as nobody (setpriv, as root) and are skipped with a message otherwise.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, NODE, commandText, isAlive, readJson, startedPids, waitFor } from '../helpers.mjs';
import {
  IS_ROOT,
  NOBODY,
  NO_NOBODY,
  assertNothingLeft,
  assertOneLine,
  faultHome,
  guarded,
  runT,
  signalState,
  snapshot,
  waitJson,
} from './helpers.mjs';

const h = faultHome();
after(() => h.cleanup());
const SLEEP = ['--', '/bin/sleep', '1000'];

/** A home owned by nobody, a read-only (root-owned 0755) dir, and a private DAEMONKIT_HOME env
 *  for nobody. */
function nobodySetup() {
  const work = h.work();
  const home = join(work, 'nobody-home');
  mkdirSync(home);
  chownSync(home, NOBODY, NOBODY);
  const ro = join(work, 'readonly');
  mkdirSync(ro, { mode: 0o755 });
  return { work, home, ro, env: { DAEMONKIT_HOME: home } };
}

/** As nobody: `start` must fail with exit 4 and one line naming `path`, start nothing and create
 *  nothing. */
async function refusedAsNobody(setup, args, path) {
  const before = snapshot(setup.work);
  const r = await h.asNobody(['start', ...args, '--grace', '0', ...SLEEP], { env: setup.env });
  assert.equal(r.code, 4, r.stdout + r.stderr);
  assertOneLine(r.stderr, path);
  assert.match(r.stderr, /permission denied/);
  assert.equal(r.stdout, '');
  assert.deepEqual(snapshot(setup.work), before, 'the refused start created or changed files');
  await assertNothingLeft(h, 'processes left by a refused start', [setup.env.DAEMONKIT_HOME]);
}

describe('missing directories', () => {
  it(
    '--pidfile in a missing directory (as root): parents are created (mkdir -p, mode 0755), start 0, stop 0, nothing left',
    { skip: IS_ROOT ? false : 'needs root (creates directories it then checks)' },
    guarded(h, async () => {
      const work = h.work();
      const pidfile = join(work, 'missing', 'deeper', 'app.pid');
      const r = await h.dkT(['start', '--pidfile', pidfile, '--grace', '0', ...SLEEP]);
      assert.equal(r.code, 0, r.stderr);
      const { pid } = startedPids(r.stdout);
      assert.equal(readFileSync(pidfile, 'utf8'), `${pid}\n`);
      for (const d of [join(work, 'missing'), join(work, 'missing', 'deeper')])
        assert.equal(statSync(d).mode & 0o777, 0o755, d);
      const s = await h.dkT(['stop', '--pidfile', pidfile]);
      assert.equal(s.code, 0, s.stderr);
      assert.equal(existsSync(pidfile), false);
      await assertNothingLeft(h);
    }),
  );

  it(
    '--pidfile /nonexistent-dir/x.pid as nobody (cannot create it in /): start exits 4 with one line naming the path; nothing created or started',
    { skip: NO_NOBODY },
    guarded(h, async () => {
      assert.equal(
        existsSync('/nonexistent-dir'),
        false,
        'precondition: /nonexistent-dir must not exist',
      );
      const setup = nobodySetup();
      await refusedAsNobody(
        setup,
        ['--pidfile', '/nonexistent-dir/x.pid'],
        '/nonexistent-dir/x.pid',
      );
      assert.equal(existsSync('/nonexistent-dir'), false);
    }),
  );

  it(
    'DAEMONKIT_HOME missing under a directory nobody cannot write: start exits 4 with one line naming the path',
    { skip: NO_NOBODY },
    guarded(h, async () => {
      const setup = nobodySetup();
      const env = { DAEMONKIT_HOME: join(setup.ro, 'home') };
      const before = snapshot(setup.work);
      const r = await h.asNobody(['start', '--name', 'svc', '--grace', '0', ...SLEEP], { env });
      assert.equal(r.code, 4, r.stdout + r.stderr);
      assertOneLine(r.stderr, join(setup.ro, 'home', 'svc'));
      assert.deepEqual(snapshot(setup.work), before);
      await assertNothingLeft(h, 'processes left by a refused start', [env.DAEMONKIT_HOME]);
    }),
  );

  it(
    "a caller with umask 077: the service directory is still 0755, the pidfile and state files 0644 and the lock file 0600 (another user's status asks /proc/locks), so another user's status reads it (exit 0, not 4)",
    guarded(h, async () => {
      const home = join(h.work(), 'home077');
      const r = await runT(
        '/bin/sh',
        [
          '-c',
          'umask 077 && exec "$0" "$@"',
          NODE,
          CLI,
          'start',
          '--name',
          'private',
          '--grace',
          '0',
          ...SLEEP,
        ],
        { env: { ...h.env, DAEMONKIT_HOME: home } },
      );
      assert.equal(r.code, 0, r.stderr);
      const dir = join(home, 'private');
      for (const d of [home, dir]) assert.equal(statSync(d).mode & 0o777, 0o755, d);
      for (const f of ['pid', 'state.json'])
        assert.equal(statSync(join(dir, f)).mode & 0o777, 0o644, f);
      assert.equal(statSync(join(dir, 'pid.lock')).mode & 0o777, 0o600, 'pid.lock');
      if (!NO_NOBODY) {
        const s = await h.asNobody(['status', '--name', 'private'], {
          env: { DAEMONKIT_HOME: home },
        });
        assert.equal(s.code, 0, s.stdout + s.stderr);
        assert.match(s.stdout, /private: running/);
      }
      assert.equal(
        (await h.dkT(['stop', '--name', 'private'], { env: { DAEMONKIT_HOME: home } })).code,
        0,
      );
      await assertNothingLeft(h, 'processes left', [home]);
    }),
  );

  it(
    'a pidfile or a home under /proc, where nothing can be created: start exits 4 with one line naming the path (not a raw ENOENT)',
    guarded(h, async () => {
      const p = await h.dkT([
        'start',
        '--pidfile',
        '/proc/dk-nowhere.pid',
        '--grace',
        '0',
        ...SLEEP,
      ]);
      assert.equal(p.code, 4, p.stdout + p.stderr);
      assertOneLine(p.stderr, '/proc/dk-nowhere.pid');
      assert.doesNotMatch(p.stderr, /ENOENT/);
      const n = await h.dkT(['start', '--name', 'x', '--grace', '0', ...SLEEP], {
        env: { DAEMONKIT_HOME: '/proc/dk-nowhere' },
      });
      assert.equal(n.code, 4, n.stdout + n.stderr);
      assertOneLine(n.stderr, '/proc/dk-nowhere');
      assert.doesNotMatch(n.stderr, /ENOENT/);
      await assertNothingLeft(h);
    }),
  );

  it(
    '--stdout in a missing directory: the directories are created (docs/cli.md: "a missing directory is created"; mkdir -p, mode 0755), start 0, the COMMAND\'s output lands there, stop 0, nothing left',
    guarded(h, async () => {
      const work = h.work();
      const out = join(work, 'no', 'such', 'dir', 'out.log');
      const r = await h.dkT([
        'start',
        '--name',
        'so-missing',
        '--stdout',
        out,
        '--grace',
        '0',
        '--',
        'sh',
        '-c',
        'echo hello; exec /bin/sleep 1000',
      ]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      for (const d of [join(work, 'no'), join(work, 'no', 'such'), join(work, 'no', 'such', 'dir')])
        assert.equal(statSync(d).mode & 0o777, 0o755, d);
      await waitFor(
        () => existsSync(out) && commandText(readFileSync(out, 'utf8')) === 'hello\n',
        5000,
        'the line in the new log file',
      );
      const s = await h.dkT(['stop', '--name', 'so-missing']);
      assert.equal(s.code, 0, s.stderr);
      await assertNothingLeft(h);
    }),
  );
});

describe('unwritable directories (as nobody)', () => {
  it(
    'pidfile in a read-only directory: start exits 4, one line naming the pidfile; nothing created there or in the home',
    { skip: NO_NOBODY },
    guarded(h, async () => {
      const setup = nobodySetup();
      const pidfile = join(setup.ro, 'app.pid');
      await refusedAsNobody(setup, ['--pidfile', pidfile], pidfile);
      assert.equal(existsSync(`${pidfile}.lock`), false);
    }),
  );

  it(
    'state directory read-only (DAEMONKIT_HOME exists but is not writable): start exits 4, one line naming the path',
    { skip: NO_NOBODY },
    guarded(h, async () => {
      const setup = nobodySetup();
      const env = { DAEMONKIT_HOME: setup.ro };
      const before = snapshot(setup.work);
      const r = await h.asNobody(['start', '--name', 'svc', '--grace', '0', ...SLEEP], { env });
      assert.equal(r.code, 4, r.stdout + r.stderr);
      assertOneLine(r.stderr, join(setup.ro, 'svc'));
      assert.deepEqual(snapshot(setup.work), before);
      await assertNothingLeft(h, 'processes left by a refused start', [env.DAEMONKIT_HOME]);
    }),
  );

  it(
    'pidfile writable but the state directory not (--pidfile with a read-only DAEMONKIT_HOME): start exits 4, one line naming the state path',
    { skip: NO_NOBODY },
    guarded(h, async () => {
      const setup = nobodySetup();
      const pidfile = join(setup.home, 'app.pid');
      const env = { DAEMONKIT_HOME: setup.ro };
      const before = snapshot(setup.work);
      const r = await h.asNobody(['start', '--pidfile', pidfile, '--grace', '0', ...SLEEP], {
        env,
      });
      assert.equal(r.code, 4, r.stdout + r.stderr);
      assertOneLine(r.stderr, join(setup.ro, '.pidfile'));
      assert.deepEqual(snapshot(setup.work), before);
      await assertNothingLeft(h, 'processes left by a refused start', [env.DAEMONKIT_HOME]);
    }),
  );

  for (const flag of ['--stdout', '--stderr']) {
    it(
      `${flag} in a read-only directory: start exits 4, one line naming the log path; nothing started`,
      { skip: NO_NOBODY },
      guarded(h, async () => {
        const setup = nobodySetup();
        const log = join(setup.ro, 'out.log');
        await refusedAsNobody(setup, ['--name', 'logsvc', flag, log], log);
        assert.equal(existsSync(log), false);
      }),
    );
  }

  it(
    "stop and reload of root's service by nobody: the service keeps running and nothing is signalled",
    { skip: NO_NOBODY },
    guarded(h, async () => {
      const r = await h.dkT(['start', '--name', 'rootsvc', '--grace', '0', ...SLEEP]);
      assert.equal(r.code, 0, r.stderr);
      const { pid, childPid } = startedPids(r.stdout);
      await waitJson(join(h.dir('rootsvc'), 'state.json'), (st) => st.handlesSignals);
      const stop = await h.asNobody(['stop', '--name', 'rootsvc', '--retry', 'TERM/1']);
      assert.notEqual(stop.code, 0, 'an unprivileged stop cannot succeed');
      assertOneLine(stop.stderr);
      const reload = await h.asNobody(['reload', '--name', 'rootsvc']);
      assert.notEqual(reload.code, 0, 'an unprivileged reload cannot succeed');
      assertOneLine(reload.stderr);
      assert.ok(isAlive(pid) && isAlive(childPid), 'the service still runs');
      const sig = signalState(childPid);
      assert.equal(sig.sigPnd | sig.shdPnd, 0n);
      assert.equal(
        existsSync(join(h.dir('rootsvc'), 'stop.json')),
        false,
        'no stop request was left',
      );
      assert.equal(readJson(join(h.dir('rootsvc'), 'state.json')).state, 'running');
      const s = await h.dkT(['stop', '--name', 'rootsvc']);
      assert.equal(s.code, 0, s.stderr);
      await assertNothingLeft(h);
    }),
  );

  it(
    "stop of root's service by nobody exits 4 (another user's daemon is never signalled), as docs/cli.md says",
    { skip: NO_NOBODY },
    guarded(h, async () => {
      const r = await h.dkT(['start', '--name', 'rootsvc2', '--grace', '0', ...SLEEP]);
      assert.equal(r.code, 0, r.stderr);
      const stop = await h.asNobody(['stop', '--name', 'rootsvc2']);
      assert.equal(stop.code, 4, stop.stderr);
      assertOneLine(stop.stderr, 'rootsvc2');
      assert.match(
        stop.stderr,
        /belongs to another user.*permission denied|owned by uid 0, not by the user acting/,
      );
      assert.equal(
        readJson(join(h.dir('rootsvc2'), 'state.json')).state,
        'running',
        'still running, untouched',
      );
    }),
  );
});

// A full disk for the logs: see logs.test.mjs.
