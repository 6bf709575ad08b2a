// Fault suite: signal storms. 100 reloads in a row, 20 at once, SIGTERM to the launcher during
// start's grace period, stop during a restart backoff (issue 3).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CLI,
  NODE,
  exits,
  groupPids,
  isAlive,
  readJson,
  startedPids,
  waitFor,
} from '../helpers.mjs';
import {
  HUP_COUNTER,
  assertNothingLeft,
  describeProcs,
  faultHome,
  guarded,
  sleep,
  waitJson,
} from './helpers.mjs';

const h = faultHome();
after(() => h.cleanup());

describe('reload storms', () => {
  it(
    '100 sequential reloads: each exits 0, the COMMAND survives and counts exactly 100 SIGHUPs; then 20 parallel reloads: each exits 0, the count grows by 1..20 (signals coalesce); stop leaves nothing',
    guarded(h, async () => {
      const report = join(h.work(), 'hups.json');
      const r = await h.dkT([
        'start',
        '--name',
        'hup',
        '--grace',
        '0',
        '--',
        NODE,
        HUP_COUNTER,
        report,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const { pid, childPid } = startedPids(r.stdout);
      // The fixture's SIGHUP handler is in place once it has written its first report.
      await waitJson(report, (x) => x.pid === childPid && x.hups === 0);

      for (let i = 1; i <= 100; i++) {
        const rl = await h.dkT(['reload', '--name', 'hup']);
        assert.equal(rl.code, 0, `reload ${i}: ${rl.stderr}`);
        assert.equal(rl.stdout, `hup: sent SIGHUP to pid ${childPid}\n`, `reload ${i}`);
        // Handled before the next is sent: two SIGHUPs pending at once are one (the kernel keeps
        // one of a standard signal), and a CLI that exits in a few ms can send the next before a
        // loaded COMMAND ran its handler. Each reload must be one signal, no more, no less.
        await waitJson(report, (x) => x.hups >= i, 5000).catch(() => undefined);
      }
      const seq = await waitJson(report, (x) => x.hups >= 100, 5000).catch(() => readJson(report));
      await sleep(200); // any late extra signal would show now
      assert.equal(
        readJson(report).hups,
        100,
        `count after 100 sequential reloads: ${JSON.stringify(seq)}`,
      );
      assert.ok(isAlive(childPid) && isAlive(pid), 'COMMAND and supervisor survive');
      assert.equal(readJson(report).pid, childPid, 'the same COMMAND (not restarted)');

      const parallel = await Promise.all(
        Array.from({ length: 20 }, () => h.dkT(['reload', '--name', 'hup'])),
      );
      assert.deepEqual(
        parallel.map((x) => x.code),
        Array(20).fill(0),
        parallel.map((x) => x.stderr).join(''),
      );
      await waitJson(report, (x) => x.hups >= 101, 5000);
      await sleep(300); // let every delivered signal be handled
      const after20 = readJson(report).hups - 100;
      assert.ok(after20 >= 1 && after20 <= 20, `20 parallel reloads counted ${after20}`);
      assert.ok(
        isAlive(childPid) && isAlive(pid),
        'COMMAND and supervisor survive the parallel storm',
      );

      const stop = await h.dkT(['stop', '--name', 'hup']);
      assert.equal(stop.code, 0, stop.stderr);
      assert.deepEqual(groupPids(childPid), []);
      assert.equal(readJson(join(h.dir('hup'), 'state.json')).lastExit.signal, 'SIGTERM');
      await assertNothingLeft(h);
    }),
  );
});

describe('SIGTERM to the launcher during start', () => {
  /**
   * Start `name` with a 2 s grace, SIGTERM the launcher (by the pid we spawned) when `when()`
   * resolves, and report how the launcher ended.
   */
  async function termLauncher(name, when) {
    const launcher = spawn(
      NODE,
      [CLI, 'start', '--name', name, '--grace', '2000', '--', '/bin/sleep', '1000'],
      { env: { ...process.env, ...h.env }, stdio: 'ignore' },
    );
    const exited = new Promise((resolve) =>
      launcher.on('exit', (code, signal) => resolve({ code, signal })),
    );
    await when();
    launcher.kill('SIGTERM');
    return exited;
  }

  /** After the grace period: the service runs properly (then stop it), or nothing of it is left. */
  async function runsProperlyOrGone(name) {
    const s = await h.dkT(['status', '--name', name, '--json']);
    const st = JSON.parse(s.stdout);
    if (s.code === 0) {
      assert.equal(st.running, true);
      const cmds = h
        .leftovers()
        .filter((p) => p.args === '/bin/sleep 1000' && p.stat.ppid === st.pid);
      assert.equal(
        cmds.length,
        1,
        `${name}: one COMMAND under supervisor ${st.pid}\n${describeProcs(h.leftovers())}`,
      );
      const stop = await h.dkT(['stop', '--name', name]);
      assert.equal(stop.code, 0, `${name}: ${stop.stderr}`);
      await exits(st.pid);
      assert.deepEqual(groupPids(cmds[0].pid), []);
    } else {
      assert.notEqual(s.code, 4, `${name}: status unknown: ${s.stdout}`);
    }
    return `${name}: status ${s.code} ${st.state}`;
  }

  it(
    'killing `daemonkit start` before it boots, or while it waits in a 2 s --grace (once the supervisor is up, and at 1 s): afterwards the service either runs properly (status 0, one COMMAND, stop 0 leaves nothing) or nothing of it is left',
    guarded(h, async (t) => {
      const statefile = (name) => join(h.dir(name), 'state.json');
      const cases = [
        ['term-at-once', () => undefined],
        ['term-20ms', () => sleep(20)],
        [
          'term-in-grace',
          () => waitJson(statefile('term-in-grace'), (st) => st.handlesSignals, 10000),
        ],
        ['term-1s', () => sleep(1000)],
      ];
      const hows = await Promise.all(cases.map(([name, when]) => termLauncher(name, when)));
      await sleep(2600); // past the grace period of every start that got that far
      const lines = [];
      for (const [i, [name]] of cases.entries())
        lines.push(
          `${await runsProperlyOrGone(name)} (launcher ${hows[i].signal ?? hows[i].code})`,
        );
      t.diagnostic(lines.join('; '));
      assert.match(
        lines[2],
        /status 0 running/,
        'killed mid-grace after the supervisor was up: the service runs',
      );
      await assertNothingLeft(h, `left behind (${lines.join('; ')})`);
    }),
  );

  it(
    'killing `daemonkit start` at any moment from 40 to 140 ms after it was spawned (every 2 ms) never leaves an orphaned COMMAND nor a crashed supervisor',
    guarded(h, async (t) => {
      const names = [];
      for (let delay = 40; delay <= 140; delay += 2) {
        const name = `sweep${delay}`;
        names.push(name);
        await termLauncher(name, () => sleep(delay));
      }
      await sleep(2600);
      const lines = [];
      const problems = [];
      for (const name of names) {
        try {
          lines.push(await runsProperlyOrGone(name));
        } catch (error) {
          problems.push(`${name}: ${error.message.split('\n')[0]}`);
        }
      }
      const left = h.leftovers();
      t.diagnostic(lines.join('; '));
      assert.deepEqual(problems, []);
      assert.equal(left.length, 0, `orphans:\n${describeProcs(left)}`);
      for (const name of names) {
        const log = join(h.dir(name), `${name}.log`);
        assert.ok(
          !existsSync(log) || !/SyntaxError/.test(readFileSync(log, 'utf8')),
          `${name}: the supervisor crashed: ${log}`,
        );
      }
    }),
  );
});

describe('stop during a restart backoff', () => {
  it(
    'stop while the supervisor waits out a restart backoff stops at once: exit 0 within 2 s, no restart after it, nothing left',
    guarded(h, async () => {
      const r = await h.dkT([
        'start',
        '--name',
        'backoff',
        '--restart',
        'always',
        '--restart-delay',
        '5s',
        '--grace',
        '0',
        '--',
        'sh',
        '-c',
        'sleep 0.2; exit 1',
      ]);
      assert.equal(r.code, 0, r.stderr);
      const statefile = join(h.dir('backoff'), 'state.json');
      await waitFor(() => readJson(statefile)?.state === 'backoff', 5000, 'backoff');
      const t0 = Date.now();
      const stop = await h.dkT(['stop', '--name', 'backoff']);
      assert.equal(stop.code, 0, stop.stderr);
      assert.ok(Date.now() - t0 < 2000, `stop took ${Date.now() - t0} ms`);
      await sleep(500);
      await assertNothingLeft(h);
      assert.equal(readJson(statefile).state, 'stopped');
    }),
  );
});
