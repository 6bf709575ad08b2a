// Fault suite: concurrent starts and stops, many start/stop cycles, crash-restart soak (issue 3).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  commandText,
  exits,
  groupPids,
  isAlive,
  readJson,
  startedPids,
  waitFor,
} from '../helpers.mjs';
import {
  PERL,
  argsOf,
  assertNothingLeft,
  assertOneLine,
  assertUntouched,
  describeProcs,
  faultHome,
  fdHolders,
  guarded,
  signalState,
  sleep,
} from './helpers.mjs';

const h = faultHome();
after(() => h.cleanup());

describe('concurrent starts and stops', () => {
  it(
    '50 concurrent starts: all exit 0, exactly one daemon holds the lock and runs exactly one COMMAND; 50 concurrent stops: all exit 0, nothing left',
    guarded(h, async (t) => {
      const lockfile = join(h.dir('race'), 'pid.lock');
      const starts = await Promise.all(
        Array.from({ length: 50 }, () =>
          h.dkT(['start', '--name', 'race', '--grace', '0', '--', '/bin/sleep', '1000'], {
            timeoutMs: 60000,
          }),
        ),
      );
      assert.deepEqual(
        starts.map((r) => r.code),
        Array(50).fill(0),
        starts.map((r) => r.stderr).join(''),
      );
      const started = starts.filter((r) => /: started, pid \d+/.test(r.stdout));
      assert.equal(
        started.length,
        1,
        `exactly one "started":\n${starts.map((r) => r.stdout).join('')}`,
      );
      const { pid, childPid } = startedPids(started[0].stdout);
      // Every loser names the supervisor: one that asks while the winner still launches waits for
      // the daemon to be named, never taking the launching `start` for it.
      const named = new Set(starts.map((r) => Number(/pid (\d+)/.exec(r.stdout)?.[1])));
      assert.deepEqual([...named], [pid], `"already running" named: ${[...named].join(', ')}`);
      for (const r of starts)
        assert.match(r.stdout, /^race: (started|already running), pid \d+/, r.stdout);
      assert.equal(
        readFileSync(join(h.dir('race'), 'pid'), 'utf8'),
        `${pid}\n`,
        'the pidfile names the supervisor',
      );

      // The kernel's view: one process holds the lock file open, and it is the supervisor.
      const holders = fdHolders(lockfile);
      assert.deepEqual(holders, [pid], `lock holders: ${holders.join(', ')}`);
      const state = readJson(join(h.dir('race'), 'state.json'));
      assert.equal(state.pid, pid);
      assert.equal(state.childPid, childPid);
      // One COMMAND: the only sleep of this home, in its own group, the supervisor's child.
      const sleeps = h.leftovers().filter((p) => p.args === '/bin/sleep 1000');
      assert.deepEqual(
        sleeps.map((p) => p.pid),
        [childPid],
        describeProcs(h.leftovers()),
      );
      assert.equal(sleeps[0].stat.ppid, pid);
      assert.deepEqual(groupPids(childPid), [childPid]);

      const stops = await Promise.all(
        Array.from({ length: 50 }, () => h.dkT(['stop', '--name', 'race'], { timeoutMs: 60000 })),
      );
      assert.deepEqual(
        stops.map((r) => r.code),
        Array(50).fill(0),
        stops.map((r) => r.stderr).join(''),
      );
      for (const r of stops) assert.match(r.stdout, /^race: (stopped|not running)$/m);
      assert.ok(
        stops.some((r) => /race: stopped/.test(r.stdout)),
        'at least one stop saw it running',
      );
      assert.deepEqual(groupPids(childPid), [], "nothing left in the COMMAND's process group");
      await exits(pid);
      assert.deepEqual(fdHolders(lockfile), [], 'nobody holds the lock');
      await assertNothingLeft(h);
      const s = await h.dkT(['status', '--name', 'race']);
      assert.equal(s.code, 3, s.stdout + s.stderr);
    }),
  );
});

describe('stop racing start', () => {
  it(
    'a stop that comes while a start launches never signals the launching `start` itself, nor a supervisor still booting: when it says "stopped" nothing runs; the start ends 0 or 1 with one line',
    guarded(h, async (t) => {
      const outcomes = new Map();
      for (let round = 0; round < 40; round++) {
        const grace = round % 2 === 0 ? '0' : '300';
        const start = h.dkT([
          'start',
          '--name',
          'racing',
          '--grace',
          grace,
          '--',
          '/bin/sleep',
          '1000',
        ]);
        await sleep((round % 10) * 6); // from before the start takes the lock to after it returns
        const stop = await h.dkT(['stop', '--name', 'racing']);
        const started = await start;
        const status = await h.dkT(['status', '--name', 'racing']);
        const what = `round ${round} (--grace ${grace}): start ${started.code} ${started.stdout}${started.stderr}; stop ${stop.code} ${stop.stdout}${stop.stderr}; status ${status.code} ${status.stdout}`;
        assert.equal(stop.code, 0, what);
        assert.ok([0, 1].includes(started.code), `the start was not killed: ${what}`);
        if (started.code === 1) assertOneLine(started.stderr, 'stopped');
        if (/: stopped$/m.test(stop.stdout))
          assert.equal(status.code, 3, `stopped means not running: ${what}`);
        else
          assert.match(started.stdout, /started/, `a stop that found nothing came first: ${what}`);
        const key = `${started.code === 1 ? 'start cut short' : 'start completed'}, stop ${/: stopped$/m.test(stop.stdout) ? 'stopped it' : 'came first'}`;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        assert.equal((await h.dkT(['stop', '--name', 'racing'])).code, 0);
        await assertNothingLeft(h, `left after ${what}`);
      }
      t.diagnostic(JSON.stringify(Object.fromEntries(outcomes)));
    }),
  );

  it(
    'overlapping restarts take turns: 6 at once, twice over, all exit 0 and leave exactly one supervisor and one COMMAND',
    guarded(h, async () => {
      const name = 'restarts';
      assert.equal(
        (await h.dkT(['start', '--name', name, '--grace', '0', '--', '/bin/sleep', '1000'])).code,
        0,
      );
      for (let round = 0; round < 2; round++) {
        const all = await Promise.all(
          Array.from({ length: 6 }, () => h.dkT(['restart', '--name', name], { timeoutMs: 60000 })),
        );
        assert.deepEqual(
          all.map((r) => r.code),
          Array(6).fill(0),
          all.map((r) => r.stdout + r.stderr).join(''),
        );
        for (const r of all)
          assert.match(r.stdout, new RegExp(`^${name}: restarted, pid \\d+`), r.stdout);
      }
      const state = readJson(join(h.dir(name), 'state.json'));
      assert.deepEqual(
        fdHolders(join(h.dir(name), 'pid.lock')),
        [state.pid],
        'one supervisor holds the lock',
      );
      const sleeps = h.leftovers().filter((p) => p.args === '/bin/sleep 1000');
      assert.deepEqual(
        sleeps.map((p) => p.pid),
        [state.childPid],
        describeProcs(h.leftovers()),
      );
      assert.equal((await h.dkT(['stop', '--name', name])).code, 0);
      await assertNothingLeft(h);
    }),
  );

  it(
    'a lock held by a launching start (its marker says so) and named by no file: status says starting, stop waits for it to name its daemon, then fails with one line and signals nothing',
    { skip: PERL ? false : 'needs perl (to hold an OFD lock across exec)' },
    guarded(h, async () => {
      const name = 'launching';
      const dir = h.dir(name);
      mkdirSync(dir, { recursive: true });
      const lockfile = join(dir, 'pid.lock');
      writeFileSync(lockfile, '');
      // A stand-in for a `start` caught between taking the lock and writing the pidfile: a process
      // holding the lock (an OFD write lock, F_OFD_SETLK = 37, on its fd 0, kept across exec) with
      // every signal
      // blocked, so any signal sent to it shows as pending.
      const fd = openSync(lockfile, 'r+');
      let child;
      try {
        child = spawn(
          PERL,
          [
            '-e',
            'use POSIX; my $s = POSIX::SigSet->new(); $s->fillset; sigprocmask(SIG_BLOCK, $s) or die; my $fl = pack("s s x4 q q i x4", 1, 0, 0, 0, 0); fcntl(STDIN, 37, $fl) or die "lock: $!"; exec "/bin/sleep", "1000" or die',
          ],
          { stdio: [fd, 'ignore', 'inherit'] },
        );
      } finally {
        closeSync(fd);
      }
      h.track(child.pid);
      h.bystanders.add(child.pid);
      await waitFor(
        () => argsOf(child.pid).startsWith('/bin/sleep') && signalState(child.pid)?.sigBlk !== 0n,
        5000,
        'holder exec',
      );
      assert.deepEqual(fdHolders(lockfile), [child.pid]);
      writeFileSync(join(dir, `launching.${child.pid}`), '');

      const s = await h.dkT(['status', '--name', name, '--json']);
      assert.equal(s.code, 0, s.stdout + s.stderr);
      assert.equal(JSON.parse(s.stdout).state, 'starting');
      assert.equal(JSON.parse(s.stdout).pid, null, 'the launcher is not reported as the daemon');
      const stop = await h.dkT(['stop', '--name', name, '--retry', 'TERM/1']);
      assert.equal(stop.code, 1, stop.stdout + stop.stderr);
      assertOneLine(stop.stderr, String(child.pid), 'not signalled');
      assertUntouched(child.pid, 'launching holder');
      const reload = await h.dkT(['reload', '--name', name]);
      assertUntouched(child.pid, 'launching holder');
      assert.equal(reload.code, 7, reload.stdout + reload.stderr);
      process.kill(child.pid, 'SIGKILL');
      await waitFor(() => !isAlive(child.pid), 5000, 'holder gone');
      rmSync(join(dir, `launching.${child.pid}`));
    }),
  );
});

describe('many start/stop cycles', () => {
  it(
    '200 sequential start/stop cycles (--grace 0, /bin/sleep 1000): every command exits 0, nothing is left, and the state dir holds only pid.lock, spec.json, env.json, state.json and the log (no *.tmp)',
    guarded(h, async () => {
      const dir = h.dir('cycle');
      const seen = new Set();
      for (let i = 0; i < 200; i++) {
        const a = await h.dkT([
          'start',
          '--name',
          'cycle',
          '--grace',
          '0',
          '--',
          '/bin/sleep',
          '1000',
        ]);
        assert.equal(a.code, 0, `cycle ${i} start: ${a.stderr}`);
        assert.match(a.stdout, /^cycle: started, pid \d+/, `cycle ${i}: ${a.stdout}`);
        const { pid, childPid } = startedPids(a.stdout);
        assert.ok(!seen.has(pid), `cycle ${i}: pid ${pid} reported twice`);
        seen.add(pid);
        const b = await h.dkT(['stop', '--name', 'cycle']);
        assert.equal(b.code, 0, `cycle ${i} stop: ${b.stderr}`);
        assert.equal(b.stdout, 'cycle: stopped\n', `cycle ${i}`);
        assert.equal(b.stderr, '', `cycle ${i}`);
        await exits(pid);
        assert.deepEqual(
          groupPids(childPid),
          [],
          `cycle ${i}: COMMAND group ${childPid} still has members`,
        );
      }
      await assertNothingLeft(h);
      assert.deepEqual(readdirSync(dir).sort(), [
        'cycle.log',
        'env.json',
        'pid.lock',
        'spec.json',
        'state.json',
      ]);
      const state = readJson(join(dir, 'state.json'));
      assert.equal(state.state, 'stopped');
      assert.equal(state.lastExit.byStop, true);
      assert.equal(
        commandText(readFileSync(join(dir, 'cycle.log'), 'utf8')),
        '',
        "nothing was logged but the supervisor's own lines (no complaints)",
      );
    }),
  );
});

describe('crash-restart soak', () => {
  it(
    "1,000 crash-restarts: the supervisor's memory (RssAnon) and open fds stay flat",
    guarded(h, async () => {
      const r = await h.dkT([
        'start',
        '--name',
        'soak',
        '--restart',
        'always',
        '--restart-delay',
        '1ms',
        '--restart-max-delay',
        '1ms',
        '--max-restarts',
        '100000',
        '--grace',
        '0',
        '--',
        'sh',
        '-c',
        'exit 1',
      ]);
      assert.equal(r.code, 0, r.stderr);
      const { pid } = startedPids(r.stdout);
      const rss = () =>
        Number.parseInt(
          readFileSync(`/proc/${pid}/status`, 'utf8').match(/RssAnon:\s+(\d+)/)[1],
          10,
        );
      // The fewest open fds over many samples: a restart's pidfd and exec-report pipe, open for
      // part
      // of every ~3 ms cycle, are not a leak (5 samples all caught one once, under CI's load).
      const fds = async () => {
        let least = Infinity;
        for (let i = 0; i < 50; i++) {
          least = Math.min(least, readdirSync(`/proc/${pid}/fd`).length);
          await new Promise((r) => setTimeout(r, 2));
        }
        return least;
      };
      await waitFor(
        () => (readJson(join(h.dir('soak'), 'state.json'))?.restarts ?? 0) >= 50,
        20000,
        '50 restarts',
      );
      const [rss0, fds0] = [rss(), await fds()];
      await waitFor(
        () => (readJson(join(h.dir('soak'), 'state.json'))?.restarts ?? 0) >= 1050,
        30000,
        '1,050 restarts',
      );
      assert.ok(Math.abs(rss() - rss0) <= 1024, `RssAnon ${rss0} kB → ${rss()} kB`);
      const fds1 = await fds();
      assert.equal(fds1, fds0, `open fds ${fds0} → ${fds1}`);
      assert.equal((await h.dkT(['stop', '--name', 'soak'])).code, 0);
      await assertNothingLeft(h);
    }),
  );
});
