// Fault suite: every documented signal at random moments of each command's life — run, start,
// stop, restart, logs -f and the supervisor — while two busy loops load the CPU (issue 14.2–3).
// Each round asserts the documented outcome (an exit code, or the death by that signal where the
// command documents it) and that no COMMAND is left running without its supervisor: every process
// of the round's own DAEMONKIT_HOME is found by pid through /proc.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { CLI, NODE, ROOT, isAlive, readJson, startedPids, waitFor } from '../helpers.mjs';
import { describeProcs, faultHome, sleep } from './helpers.mjs';

const ROUNDS = 20;
/** Rounds at once: each has its own home; more would only queue behind the busy loops. */
const AT_ONCE = 4;
const number = (sig) => constants.signals[sig];
const IDLE = join(ROOT, 'test', 'fixtures', 'idle.mjs');

// Two busy loops for the whole file, stopped by pid at its end.
const busy = [];
before(() => {
  for (let i = 0; i < 2; i++) busy.push(spawn(NODE, ['-e', 'for(;;);'], { stdio: 'ignore' }));
});
after(() => {
  for (const child of busy) child.kill('SIGKILL');
});

/** A CLI process, its output collected; `exit` resolves with { code, signal } (not waiting for
 *  its pipes, which a COMMAND may hold). */
function cli(h, args) {
  const child = spawn(NODE, ['--', CLI, ...args], {
    env: { ...process.env, ...h.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const got = { out: Buffer.alloc(0), err: '' };
  child.stdout.on('data', (d) => (got.out = Buffer.concat([got.out, d])));
  child.stderr.on('data', (d) => (got.err += d));
  const exit = new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, got, exit };
}

/** Its exit within `ms`, or null. */
const within = (exit, ms) => Promise.race([exit, sleep(ms).then(() => null)]);

const bySignal = (how, sig) => how.signal === sig || how.code === 128 + number(sig);

/** Run `count` rounds, AT_ONCE at a time, each in a fresh home; fail with every round that went
 *  wrong. */
async function rounds(count, round, { random = true } = {}) {
  const failures = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const h = faultHome();
      const delay = Math.floor(Math.random() * 400);
      const which = `round ${i}${random ? ` (delay ${delay} ms)` : ''}`;
      try {
        const problem = await round(h, i, delay);
        if (problem) failures.push(`${which}: ${problem}`);
        const left = await leftAfter(h);
        if (left) failures.push(`${which}: left running:\n${left}`);
      } catch (error) {
        failures.push(`${which}: ${error.stack ?? error}`);
      } finally {
        await h.cleanup();
      }
    }
  };
  await Promise.all(Array.from({ length: AT_ONCE }, worker));
  assert.deepEqual(failures, []);
}

/** Processes of the home still alive a little after the round (a stop's last members go at
 *  once). */
async function leftAfter(h) {
  await waitFor(() => h.leftovers().length === 0, 5000).catch(() => undefined);
  const left = h.leftovers();
  return left.length ? describeProcs(left) : null;
}

/** Wait for the service to settle (not starting or stopping), then stop it if it runs. null, or
 *  what is wrong. */
async function settle(h, name) {
  let status;
  for (const deadline = Date.now() + 20000; ; ) {
    status = await h.dkT(['status', '--name', name, '--json']);
    const state = JSON.parse(status.stdout || '{}').state;
    if (!['starting', 'stopping'].includes(state) || Date.now() > deadline) break;
    await sleep(100);
  }
  if (status.code === 0) {
    const stop = await h.dkT(['stop', '--name', name]);
    if (stop.code !== 0) return `stop after the round: exit ${stop.code}: ${stop.stderr}`;
  } else if (status.code !== 3)
    return `status after the round: exit ${status.code}: ${status.stdout}${status.stderr}`;
  return null;
}

// A COMMAND that ends with 42 on any of these signals (sh: the trap runs as soon as `wait` is
// interrupted); killed by one before its trap is set, it dies by it — also documented.
const TRAPS_ALL = "trap 'exit 42' TERM INT QUIT HUP USR1 USR2; sleep 1000 & wait";
// A COMMAND that takes ~0.3 s to stop on TERM: a stop waits that long for it.
const SLOW_STOP = "trap 'sleep 0.3; exit 0' TERM; sleep 1000 & wait";

describe('a COMMAND that signals its parent the moment it starts (deterministic: its signal lands between the spawn and whatever follows it)', () => {
  it("run: TERM, INT and HUP from the COMMAND are handled — passed on, and run exits with the COMMAND's 42 — never the death of run with its COMMAND left running (12 rounds)", async () => {
    await rounds(
      12,
      async (h, i) => {
        const sig = ['TERM', 'INT', 'HUP'][i % 3];
        const run = cli(h, [
          'run',
          '--name',
          'r',
          '--',
          'sh',
          '-c',
          `trap 'exit 42' ${sig}; kill -${sig} $PPID; sleep 1000 & wait`,
        ]);
        const how = await within(run.exit, 15000);
        return how?.code === 42
          ? null
          : `SIG${sig}: run ended with ${JSON.stringify(how)}: ${run.got.err}`;
      },
      { random: false },
    );
  });

  it("start: a Ctrl-C that lands in the launch's handover (the COMMAND sends it to its launcher, named by the launch marker, as it starts) ends the launcher by SIGINT; the daemon goes on and runs (12 rounds)", async () => {
    await rounds(
      12,
      async (h) => {
        const start = cli(h, [
          'start',
          '--name',
          's',
          '--grace',
          '1000',
          '--',
          'sh',
          '-c',
          `for f in "${h.dir('s')}"/launching.*; do kill -INT "\${f##*.}"; done; sleep 1000`,
        ]);
        const how = await within(start.exit, 15000);
        if (!how || !bySignal(how, 'SIGINT'))
          return `the launcher ended with ${JSON.stringify(how)}: ${start.got.out}${start.got.err}`;
        return settle(h, 's');
      },
      { random: false },
    );
  });

  it('the supervisor: a TERM while its node boots ends it (node takes its default action then), and its COMMAND is stopped with it, never left running (12 rounds)', async () => {
    await rounds(
      12,
      async (h, i) => {
        // Now and then a little later, so that the launcher has handed over first.
        const r = await h.dkT([
          'start',
          '--name',
          'z',
          '--grace',
          '0',
          '--',
          'sh',
          '-c',
          `trap 'exit 42' TERM; sleep 0.0${(i % 4) * 2}; kill -TERM $PPID; sleep 1000 & wait`,
        ]);
        // Started (the handover came first), or failed: the supervisor died before it read its
        // payload.
        if (!(r.code === 0 || (r.code === 1 && /exited before it was ready/.test(r.stderr))))
          return `start: ${r.code} ${r.stderr}`;
        const gone = await waitFor(() => h.leftovers().length === 0, 15000).catch(() => false);
        if (!gone) return `left: ${describeProcs(h.leftovers())}`;
        // Killed before it could act on a signal: "dead" (a stale pidfile) or, stopped by the
        // start, "not running".
        const status = await h.dkT(['status', '--name', 'z']);
        return [1, 3].includes(status.code) ? null : `status: ${status.code} ${status.stdout}`;
      },
      { random: false },
    );
  });
});

describe('signals at random moments, under CPU load', () => {
  it(`run: each of TERM, INT, QUIT, HUP, USR1, USR2 (${ROUNDS} rounds) is passed on as documented (the COMMAND's code, 128+N) or ends run before it started anything; never a COMMAND left`, async () => {
    const signals = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'];
    await rounds(ROUNDS, async (h, i, delay) => {
      const sig = signals[i % signals.length];
      const run = cli(h, ['run', '--name', 'r', '--', 'sh', '-c', TRAPS_ALL]);
      await sleep(delay);
      run.child.kill(sig);
      let how = await within(run.exit, 15000);
      if (!how && sig === 'SIGUSR1' && /Debugger listening|Starting inspector/.test(run.got.err)) {
        // Node's own boot took it, before any of our code ran (Node 20 has no --disable-sigusr1):
        // its inspector opened (run closes it); the COMMAND never saw the signal. End it now.
        // (From outside, this cannot be told from a SIGUSR1 lost after the boot: the other rounds
        // and the deterministic cases above stand for those moments.)
        run.child.kill('SIGTERM');
        how = await within(run.exit, 15000);
        if (!how || !(how.code === 42 || how.code === 143 || how.signal === 'SIGTERM'))
          return `${sig} taken by node's boot, then SIGTERM: ${JSON.stringify(how)}`;
        return null;
      }
      if (!how) return `${sig}: run did not end (the signal was lost): ${run.got.err}`;
      if (how.code === 42 || how.code === 128 + number(sig) || how.signal === sig) return null;
      return `${sig}: run ended with ${JSON.stringify(how)}: ${run.got.err}`;
    });
  });

  it(`start: INT or TERM to the launcher (${ROUNDS} rounds, --grace 1000) ends it by that signal; what it launched goes on starting and runs, or nothing was started`, async () => {
    await rounds(ROUNDS, async (h, i, delay) => {
      const sig = i % 2 ? 'SIGINT' : 'SIGTERM';
      const start = cli(h, [
        'start',
        '--name',
        's',
        '--grace',
        '1000',
        '--',
        'sh',
        '-c',
        TRAPS_ALL,
      ]);
      await sleep(delay);
      start.child.kill(sig);
      const how = await within(start.exit, 15000);
      // It cannot have finished: its grace alone outlasts the delay.
      if (!how || !bySignal(how, sig))
        return `${sig}: the launcher ended with ${JSON.stringify(how)}: ${start.got.out}${start.got.err}`;
      return settle(h, 's');
    });
  });

  it(`stop: INT or TERM (${ROUNDS} rounds) ends only its waiting: the stop it asked for goes on, or none was asked; never a COMMAND left`, async () => {
    await rounds(ROUNDS, async (h, i, delay) => {
      const sig = i % 2 ? 'SIGINT' : 'SIGTERM';
      const r = await h.dkT(['start', '--name', 'x', '--grace', '0', '--', 'sh', '-c', SLOW_STOP]);
      if (r.code !== 0) return `start: ${r.code} ${r.stderr}`;
      const { childPid } = startedPids(r.stdout);
      // Half the rounds stop a settled service, half one whose supervisor may still boot.
      if (i % 4 < 2)
        await waitFor(
          () => readJson(join(h.dir('x'), 'state.json'))?.handlesSignals,
          10000,
          'the supervisor up',
        );
      const stop = cli(h, ['stop', '--name', 'x']);
      await sleep(delay);
      stop.child.kill(sig);
      // While the COMMAND lives the stop cannot have finished: the signal found it waiting.
      const waiting = isAlive(childPid);
      const how = await within(stop.exit, 20000);
      if (!how) return `${sig}: stop did not end`;
      if (!bySignal(how, sig) && (waiting || how.code !== 0))
        return `${sig}: stop ended with ${JSON.stringify(how)} (the COMMAND ${waiting ? 'still ran' : 'was gone'} when it was sent): ${stop.got.err}`;
      return settle(h, 'x');
    });
  });

  it(`restart: INT or TERM (${ROUNDS} rounds, --grace 1000) ends it by that signal; the service ends up stopped or running, never dead, never a COMMAND left`, async () => {
    await rounds(ROUNDS, async (h, i, delay) => {
      const sig = i % 2 ? 'SIGINT' : 'SIGTERM';
      const r = await h.dkT(['start', '--name', 'y', '--grace', '0', '--', 'sh', '-c', SLOW_STOP]);
      if (r.code !== 0) return `start: ${r.code} ${r.stderr}`;
      const restart = cli(h, ['restart', '--name', 'y', '--grace', '1000']);
      await sleep(delay);
      restart.child.kill(sig);
      const how = await within(restart.exit, 20000);
      // Its stop (~0.3 s) and the start's grace outlast the delay: it cannot have finished.
      if (!how || !bySignal(how, sig))
        return `${sig}: restart ended with ${JSON.stringify(how)}: ${restart.got.err}`;
      return settle(h, 'y');
    });
  });

  it(`logs -f: INT, TERM or HUP (${ROUNDS} rounds, while it prints 100,000 lines to a reader that stalls) ends it with exit 0 once it has printed anything`, async () => {
    const lines = Array.from({ length: 100000 }, (_, n) => `${n}\n`).join('');
    await rounds(ROUNDS, async (h, i, delay) => {
      const sig = ['SIGINT', 'SIGTERM', 'SIGHUP'][i % 3];
      mkdirSync(h.dir('l'));
      // no service: logs reads the file by its name
      writeFileSync(join(h.dir('l'), 'l.log'), lines);
      const logs = cli(h, ['logs', '--name', 'l', '-n', '100000', '-f']);
      // A reader that stops after a while (a paused terminal, a slow pipe): the last lines wait
      // for it, so the signal may come while they are still being printed, or later, following.
      let stalling = true;
      logs.child.stdout.on(
        'data',
        () => stalling && logs.got.out.length > 100000 && logs.child.stdout.pause(),
      );
      await sleep(delay * 2);
      logs.child.kill(sig);
      const printed = logs.got.out.length; // read by us, so written by it: it was past node's boot
      stalling = false;
      logs.child.stdout.resume(); // what it has written must be flushed before it exits
      const how = await within(logs.exit, 15000);
      if (!how) return `${sig}: logs -f did not end`;
      if (how.code === 0 && how.signal === null) return null;
      if (printed === 0 && how.signal === sig) return null; // during node's own boot, before our code
      return `${sig}: logs -f ended with ${JSON.stringify(how)} after ${printed} bytes: ${logs.got.err}`;
    });
  });

  it(`the supervisor: TERM, INT, QUIT stop the service, HUP and USR2 reach the COMMAND, USR1 reopens (${ROUNDS} rounds, from its first moments); never a COMMAND left without it`, async () => {
    const signals = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR2', 'SIGUSR1'];
    await rounds(ROUNDS, async (h, i, delay) => {
      const sig = signals[i % signals.length];
      const r = await h.dkT(['start', '--name', 'z', '--grace', '0', '--', 'sh', '-c', TRAPS_ALL]);
      if (r.code !== 0) return `start: ${r.code} ${r.stderr}`;
      const { pid, childPid } = startedPids(r.stdout);
      await sleep(delay / 2); // its boot is the first ~100 ms
      process.kill(pid, sig);
      if (sig === 'SIGUSR1') {
        await sleep(300);
        if (!isAlive(pid) || !isAlive(childPid))
          return `${sig}: ${isAlive(pid) ? '' : 'the supervisor'} ${isAlive(childPid) ? '' : 'the COMMAND'} ended`;
        return settle(h, 'z');
      }
      // Every other signal ends the service: the supervisor and its COMMAND's whole group.
      const gone = await waitFor(() => !isAlive(pid) && h.leftovers().length === 0, 15000).catch(
        () => false,
      );
      if (!gone)
        return `${sig}: ${isAlive(pid) ? 'the supervisor still runs' : 'the supervisor is gone'}; left: ${describeProcs(h.leftovers())}`;
      return null;
    });
  });

  it(`a library Daemon in the foreground (run), with and without a restart policy: TERM or INT (${ROUNDS} rounds) stops it, exit 0, or ends it before it started anything; never a worker left`, async () => {
    await rounds(ROUNDS, async (h, i, delay) => {
      const sig = i % 2 ? 'SIGINT' : 'SIGTERM';
      const env = {
        ...process.env,
        ...h.env,
        IDLE_NAME: 'lib',
        ...(i % 4 < 2 ? { IDLE_RESTART: 'always' } : {}),
      };
      const daemon = spawn(NODE, [IDLE, 'run'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      daemon.stderr.on('data', (d) => (err += d));
      const exit = new Promise((resolve) =>
        daemon.on('exit', (code, signal) => resolve({ code, signal })),
      );
      await sleep(delay);
      daemon.kill(sig);
      const how = await within(exit, 15000);
      if (!how) return `${sig}: it did not end`;
      if (how.code === 0 && how.signal === null) return null; // stopped
      // Ended by it: only before it was the daemon (no pidfile written, no worker started).
      if (how.signal === sig && !existsSync(join(h.dir('lib'), 'pid'))) return null;
      return `${sig}: it ended with ${JSON.stringify(how)}: ${err}`;
    });
  });
});
