// Fault suite: PID reuse and pidfile garbage. Exit codes are docs/cli.md's:
// status 0 running / 1 dead (stale or garbage pidfile) / 3 not running / 4 unknown (unreadable,
// directory, symlink, FIFO); stop 0 when not running; start 2 for a pidfile path that is a
// directory, a symlink or not a regular file; reload 7 when not running.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { commandText, exits, groupPids, isAlive, readJson, startedPids } from '../helpers.mjs';
import {
  assertNothingLeft,
  assertOneLine,
  assertUntouched,
  bystander,
  faultHome,
  guarded,
  snapshot,
  waitJson,
} from './helpers.mjs';

const h = faultHome();
after(() => h.cleanup());
const SLEEP = ['--', '/bin/sleep', '1000'];

describe('PID reuse: the pidfile names a live unrelated process', () => {
  it(
    'status, stop, reload, restart and start never signal it (still running, nothing pending in /proc/PID/status)',
    guarded(h, async () => {
      const victim = await bystander(h);
      const name = 'reuse';
      const pidfile = join(h.dir(name), 'pid');
      const plant = () => {
        mkdirSync(h.dir(name), { recursive: true });
        writeFileSync(pidfile, `${victim}\n`);
      };
      plant();

      const s = await h.dkT(['status', '--name', name]);
      assert.equal(s.code, 1, s.stdout + s.stderr);
      assert.match(s.stdout, new RegExp(`stale pidfile .*pid ${victim} is not the daemon`));
      assertUntouched(victim);

      for (const retry of ['TERM/1', 'KILL/1', 'HUP/1']) {
        const stop = await h.dkT(['stop', '--name', name, '--retry', retry]);
        assert.equal(stop.code, 0, stop.stderr);
        assertOneLine(stop.stderr, `pid ${victim}`, 'not signalled');
        assertUntouched(victim);
      }

      for (const sig of ['HUP', 'USR2', 'TERM', 'KILL']) {
        const reload = await h.dkT(['reload', '--name', name, '--signal', sig]);
        assert.equal(reload.code, 7, reload.stdout + reload.stderr);
        assertOneLine(reload.stderr, 'not running');
        assertUntouched(victim);
      }

      const restart = await h.dkT(['restart', '--name', name, '--grace', '0', ...SLEEP]);
      assert.equal(restart.code, 0, restart.stderr);
      assertUntouched(victim);
      const running = readJson(join(h.dir(name), 'state.json'));
      assert.notEqual(running.pid, victim);
      assert.equal(readFileSync(pidfile, 'utf8'), `${running.pid}\n`);
      assert.equal((await h.dkT(['stop', '--name', name])).code, 0);
      assertUntouched(victim);

      plant();
      const start = await h.dkT(['start', '--name', name, '--grace', '0', ...SLEEP]);
      assert.equal(start.code, 0, start.stderr);
      assert.match(start.stdout, /started/);
      assertUntouched(victim);
      assert.equal((await h.dkT(['stop', '--name', name])).code, 0);
      assertUntouched(victim);
      await assertNothingLeft(h);
    }),
  );

  it(
    'while the service runs, a pidfile rewritten to name an unrelated process: status, reload and stop act on the lock holder only, never on that process',
    guarded(h, async () => {
      const name = 'reuse-live';
      const r = await h.dkT(['start', '--name', name, '--grace', '0', ...SLEEP]);
      assert.equal(r.code, 0, r.stderr);
      const { pid, childPid } = startedPids(r.stdout);
      // booted: it writes no more files until it stops
      await waitJson(join(h.dir(name), 'state.json'), (st) => st.handlesSignals);
      const victim = await bystander(h);
      writeFileSync(join(h.dir(name), 'pid'), `${victim}\n`);
      const s = await h.dkT(['status', '--name', name, '--json']);
      assert.equal(s.code, 0, s.stdout);
      assert.equal(JSON.parse(s.stdout).pid, pid, 'status names the lock holder');
      const reload = await h.dkT(['reload', '--name', name, '--signal', 'CONT']);
      assert.equal(reload.code, 0, reload.stderr);
      assert.match(reload.stdout, new RegExp(`to pid ${childPid}\\b`));
      assertUntouched(victim);
      const stop = await h.dkT(['stop', '--name', name]);
      assert.equal(stop.code, 0, stop.stderr);
      assert.match(stop.stdout, /stopped/);
      await exits(pid);
      assert.deepEqual(groupPids(childPid), []);
      assertUntouched(victim);
      await assertNothingLeft(h);
    }),
  );

  it(
    'a state file whose childPid names an unrelated process: reload refuses (exit 7) and never signals it',
    guarded(h, async () => {
      const name = 'reuse-state';
      const r = await h.dkT(['start', '--name', name, '--grace', '0', ...SLEEP]);
      assert.equal(r.code, 0, r.stderr);
      const { childPid } = startedPids(r.stdout);
      const statefile = join(h.dir(name), 'state.json');
      // booted: it writes no more state until it stops
      await waitJson(statefile, (st) => st.handlesSignals);
      const victim = await bystander(h);
      writeFileSync(statefile, JSON.stringify({ ...readJson(statefile), childPid: victim }));
      const reload = await h.dkT(['reload', '--name', name]);
      assert.equal(reload.code, 7, reload.stdout + reload.stderr);
      assertOneLine(reload.stderr);
      assertUntouched(victim);
      assert.ok(
        isAlive(childPid),
        'the real COMMAND was not signalled either (SIGHUP would have killed sleep)',
      );
      const stop = await h.dkT(['stop', '--name', name]);
      assert.equal(stop.code, 0, stop.stderr);
      assertUntouched(victim);
      await assertNothingLeft(h);
    }),
  );
});

describe('a process that merely has the lock file open', () => {
  it(
    'is never taken for the daemon: with the pidfile and state file gone, status names the supervisor and stop stops it, never signalling that process',
    guarded(h, async () => {
      const name = 'lockreader';
      mkdirSync(h.dir(name), { recursive: true });
      const lockfile = join(h.dir(name), 'pid.lock');
      writeFileSync(lockfile, '');
      // Opened first, so its pid is below the supervisor's and a /proc scan meets it first.
      const reader = await bystander(h, { stdin: lockfile });
      const r = await h.dkT(['start', '--name', name, '--grace', '0', ...SLEEP]);
      assert.equal(r.code, 0, r.stderr);
      const { pid } = startedPids(r.stdout);
      await waitJson(join(h.dir(name), 'state.json'), (st) => st.handlesSignals);
      rmSync(join(h.dir(name), 'pid'));
      rmSync(join(h.dir(name), 'state.json'));
      const s = await h.dkT(['status', '--name', name, '--json']);
      assert.equal(s.code, 0, s.stdout);
      const stop = await h.dkT(['stop', '--name', name, '--retry', 'TERM/1']);
      assertUntouched(reader, 'process with the lock file open');
      assert.equal(
        JSON.parse(s.stdout).pid,
        pid,
        `status names pid ${JSON.parse(s.stdout).pid}, not the supervisor ${pid}`,
      );
      assert.equal(stop.code, 0, stop.stderr);
      await exits(pid);
      await assertNothingLeft(h);
    }),
  );
});

describe('pidfile garbage', () => {
  const contents = [
    ['empty', ''],
    ['text', 'hello\n'],
    ['negative', '-42\n'],
    ['zero', '0\n'],
    ['one (init)', '1\n'],
    ['huge', '99999999999\n'],
    ['above pid_max', '4194305\n'],
    ['NUL bytes', '12\0 34\n'],
    ['no digits, only NULs', '\0\0\0\0'],
  ];
  for (const [label, content] of contents) {
    for (const by of ['--name', '--pidfile']) {
      it(
        `${label}, by ${by}: status 1 (one line naming the pidfile), stop 0 (one stderr line), reload 7; nothing touched; start 0 replaces it with a real pid`,
        guarded(h, async () => {
          const work = h.work();
          const tag = `g-${label.replace(/[^a-z]+/g, '-')}-${by.slice(2)}`;
          const pidfile = by === '--name' ? join(h.dir(tag), 'pid') : join(work, `${tag}.pid`);
          mkdirSync(join(pidfile, '..'), { recursive: true });
          writeFileSync(pidfile, content);
          const id = by === '--name' ? ['--name', tag] : ['--pidfile', pidfile];
          const before = [snapshot(h.home), snapshot(work)];

          const s = await h.dkT(['status', ...id]);
          assert.equal(s.code, 1, s.stdout + s.stderr);
          assert.equal(s.stdout.split('\n').length, 2, `one line: ${s.stdout}`);
          assert.ok(s.stdout.includes(pidfile), s.stdout);
          assert.equal(s.stderr, '');
          const sj = await h.dkT(['status', ...id, '--json']);
          assert.equal(sj.code, 1);
          assert.equal(JSON.parse(sj.stdout).running, false);

          const stop = await h.dkT(['stop', ...id]);
          assert.equal(stop.code, 0, stop.stderr);
          assertOneLine(stop.stderr, pidfile);
          assert.match(stop.stdout, /not running/);

          const reload = await h.dkT(['reload', ...id]);
          assert.equal(reload.code, 7, reload.stderr);
          assertOneLine(reload.stderr);

          assert.deepEqual(
            [snapshot(h.home), snapshot(work)],
            before,
            'status/stop/reload changed no file',
          );
          assert.equal(readFileSync(pidfile, 'latin1'), content);

          const start = await h.dkT(['start', ...id, '--grace', '0', ...SLEEP]);
          assert.equal(start.code, 0, start.stderr);
          assert.equal(start.stderr, '');
          const { pid } = startedPids(start.stdout);
          assert.equal(readFileSync(pidfile, 'utf8'), `${pid}\n`);
          const stop2 = await h.dkT(['stop', ...id]);
          assert.equal(stop2.code, 0, stop2.stderr);
          await assertNothingLeft(h);
        }),
      );
    }
  }

  /**
   * An odd pidfile path: status 4, stop 0, reload 7, start 2, each with one stderr line; restart
   * 2 (its stop part may add its own note first); the object itself untouched.
   */
  async function oddPidfile(pidfile, kind, unchanged) {
    const work = join(pidfile, '..');
    const s = await h.dkT(['status', '--pidfile', pidfile], { timeoutMs: 10000 });
    assert.equal(s.timedOut, false, 'status hung');
    assert.equal(s.code, 4, s.stdout + s.stderr);
    assert.match(s.stdout, kind);
    assert.equal(s.stdout.split('\n').length, 2, s.stdout);
    const stop = await h.dkT(['stop', '--pidfile', pidfile], { timeoutMs: 10000 });
    assert.equal(stop.timedOut, false, 'stop hung');
    assert.equal(stop.code, 0, stop.stderr);
    assertOneLine(stop.stderr, pidfile);
    const reload = await h.dkT(['reload', '--pidfile', pidfile], { timeoutMs: 10000 });
    assert.equal(reload.timedOut, false, 'reload hung');
    assert.equal(reload.code, 7, reload.stderr);
    for (const action of ['start', 'restart']) {
      const r = await h.dkT([action, '--pidfile', pidfile, '--grace', '0', ...SLEEP], {
        timeoutMs: 10000,
      });
      assert.equal(r.timedOut, false, `${action} hung`);
      assert.equal(r.code, 2, `${action}: ${r.stdout}${r.stderr}`);
      if (action === 'start') assertOneLine(r.stderr, pidfile);
      else assertOneLine(r.stderr.replace(/\n$/, '').split('\n').at(-1), pidfile);
      assert.match(r.stderr, kind);
      assert.equal(r.stdout, '');
    }
    unchanged();
    return work;
  }

  it(
    'a directory: status 4, stop 0, reload 7, start and restart 2 (one line each); the directory and its content untouched',
    guarded(h, async () => {
      const pidfile = join(h.work(), 'dir.pid');
      mkdirSync(pidfile);
      writeFileSync(join(pidfile, 'inside'), 'x');
      const before = snapshot(pidfile);
      await oddPidfile(pidfile, /is a directory/, () => {
        assert.ok(statSync(pidfile).isDirectory());
        assert.deepEqual(snapshot(pidfile), before);
      });
    }),
  );

  it(
    'a symlink: status 4, stop 0, reload 7, start and restart 2 (one line each); link and target unchanged',
    guarded(h, async () => {
      const work = h.work();
      const target = join(work, 'precious.txt');
      writeFileSync(target, 'do not touch\n');
      const pidfile = join(work, 'link.pid');
      symlinkSync(target, pidfile);
      const before = statSync(target).mtimeMs;
      await oddPidfile(pidfile, /symbolic link/, () => {
        assert.ok(lstatSync(pidfile).isSymbolicLink());
        assert.equal(readlinkSync(pidfile), target);
        assert.equal(readFileSync(target, 'utf8'), 'do not touch\n');
        assert.equal(statSync(target).mtimeMs, before);
      });
    }),
  );

  it(
    'a dangling symlink: start 2, and nothing is created at its target',
    guarded(h, async () => {
      const work = h.work();
      const target = join(work, 'would-be-created');
      const pidfile = join(work, 'dangling.pid');
      symlinkSync(target, pidfile);
      const r = await h.dkT(['start', '--pidfile', pidfile, '--grace', '0', ...SLEEP]);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assertOneLine(r.stderr, pidfile);
      assert.equal(existsSync(target), false);
      assert.equal(readlinkSync(pidfile), target);
    }),
  );

  it(
    'a FIFO: no command hangs (10 s limit each); status 4, stop 0, reload 7, start and restart 2; still a FIFO',
    guarded(h, async () => {
      const pidfile = join(h.work(), 'fifo.pid');
      execFileSync('mkfifo', [pidfile]);
      await oddPidfile(pidfile, /not a regular file/, () => assert.ok(lstatSync(pidfile).isFIFO()));
    }),
  );

  for (const [label, make] of [
    ['a directory', (p) => mkdirSync(p)],
    ['a symlink', (p) => symlinkSync('/etc/hostname', p)],
    ['a FIFO', (p) => execFileSync('mkfifo', [p])],
  ]) {
    it(
      `start refused because the pidfile is ${label} leaves no process behind, no lock file beside it and no supervisor stack trace in the log`,
      guarded(h, async () => {
        const work = h.work();
        const pidfile = join(work, 'odd.pid');
        make(pidfile);
        const r = await h.dkT(['start', '--pidfile', pidfile, '--grace', '0', ...SLEEP]);
        assert.equal(r.code, 2, r.stderr);
        await assertNothingLeft(h, 'processes left by a refused start');
        assert.equal(
          existsSync(`${pidfile}.lock`),
          false,
          'lock file created beside a refused pidfile',
        );
        const logs = snapshot(h.home);
        for (const path of Object.keys(logs)) {
          // (Logs of the services before, with the supervisor's own lines in them, are no trace.)
          if (path.endsWith('.log'))
            assert.equal(
              commandText(readFileSync(join(h.home, path), 'utf8')),
              '',
              `${path} is not empty: ${readFileSync(join(h.home, path), 'utf8').slice(0, 300)}`,
            );
        }
      }),
    );
  }
});
