// start / stop / status / restart / reload / run: behaviour and LSB exit codes.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CLI,
  NODE,
  REPORTER,
  exits,
  groupPids,
  isAlive,
  makeHome,
  procStat,
  readJson,
  startedPids,
  waitFor,
  waitReport,
} from '../helpers.mjs';

const h = makeHome();
const work = mkdtempSync(join(tmpdir(), 'dk-life-'));
after(async () => {
  await h.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('start', () => {
  it('starts, then says "already running" with the pid (exit 0)', async () => {
    const a = await h.dk(['start', '--name', 'twice', '--grace', '0', '--', '/bin/sleep', '1000']);
    assert.equal(a.code, 0, a.stderr);
    const { pid } = startedPids(a.stdout);
    const b = await h.dk(['start', '--name', 'twice', '--', '/bin/sleep', '1000']);
    assert.equal(b.code, 0);
    assert.match(b.stdout, new RegExp(`already running, pid ${pid}\\b`));
  });

  it('fails with exit 1, the stderr tail and no pidfile when the COMMAND dies in the grace period', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'dies',
      '--',
      'sh',
      '-c',
      'echo first >&2; echo "config is broken" >&2; exit 3',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /exited with code 3 within the 500 ms grace period/);
    assert.match(r.stderr, /\| config is broken/);
    assert.equal(existsSync(join(h.dir('dies'), 'pid')), false);
    const s = await h.dk(['status', '--name', 'dies']);
    assert.equal(s.code, 1);
    assert.match(s.stdout, /dead \(failed\).*exited with code 3/);
  });

  it('exit 5 for a COMMAND that is missing or not executable', async () => {
    const missing = await h.dk(['start', '--name', 'nf', '--', 'no-such-command-xyz']);
    assert.equal(missing.code, 5);
    assert.match(
      missing.stderr,
      /no-such-command-xyz' not found on PATH|no-such-command-xyz not found on PATH/,
    );
    const file = join(work, 'not-exec.sh');
    writeFileSync(file, '#!/bin/sh\n', { mode: 0o644 });
    const noexec = await h.dk(['start', '--name', 'nf', '--', file]);
    assert.equal(noexec.code, 5);
    assert.match(noexec.stderr, /not-exec\.sh does not exist or is not executable/);
    assert.equal(noexec.stderr.trim().split('\n').length, 1, 'one line');
  });

  it('exit 2 for bad arguments, naming every bad value at once, and no stack trace', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'bad',
      '--umask',
      '999',
      '--grace',
      '-1',
      '--env',
      '1X=2',
      '--',
      'true',
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--umask '999'/);
    assert.match(r.stderr, /--grace '-1'/);
    assert.match(r.stderr, /--env '1X=2'/);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
    for (const args of [
      ['start', '--name', 'x'],
      ['start', '--', 'true'],
      ['bogus'],
      ['start', '--name', '../x', '--', 'true'],
      ['stop', '--name', 'x', '--retry', 'TERM/x'],
      ['start', '--name', 'x', '--frobnicate', '--', 'true'],
    ]) {
      const bad = await h.dk(args);
      assert.equal(bad.code, 2, `${args.join(' ')}: ${bad.stderr}`);
      assert.match(bad.stderr, /^daemonkit: /);
    }
  });

  it('exit 2 naming --chdir when it is not a directory', async () => {
    const r = await h.dk(['start', '--name', 'cd', '--chdir', join(work, 'nope'), '--', 'true']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--chdir .*nope is not a directory/);
  });
});

describe('an interrupted start', () => {
  it('Ctrl-C during the grace ends only the waiting: the launcher exits by SIGINT, the daemon goes on and is running', async () => {
    // A long grace: the supervisor's state appears after its node has booted, which on a loaded
    // machine can take much of a short one (CI once saw the start complete first).
    const launcher = spawn(
      NODE,
      [CLI, 'start', '--name', 'interrupted', '--grace', '4000', '--', '/bin/sleep', '1000'],
      { env: { ...process.env, ...h.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    h.track(launcher.pid);
    let out = '';
    launcher.stdout.on('data', (d) => (out += d));
    launcher.stderr.on('data', (d) => (out += d));
    const exited = new Promise((resolve) =>
      launcher.on('exit', (code, signal) => resolve({ code, signal })),
    );
    // Launched: the supervisor has written its state (the COMMAND is in its grace).
    const st = await waitFor(
      () => readJson(join(h.dir('interrupted'), 'state.json')),
      10000,
      'the daemon launched',
    );
    launcher.kill('SIGINT');
    const how = await exited;
    assert.ok(how.signal === 'SIGINT' || how.code === 130, JSON.stringify(how));
    assert.equal(out, '');
    // Past its grace, it is running (status says `starting` until then).
    let status;
    for (const deadline = Date.now() + 20000; Date.now() < deadline; ) {
      status = await h.dk(['status', '--name', 'interrupted']);
      if (/: running/.test(status.stdout)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.match(status.stdout, new RegExp(`: running, pid ${st.pid}\\b`));
    assert.equal((await h.dk(['stop', '--name', 'interrupted'])).code, 0);
  });
});

describe('bad arguments', () => {
  it('every problem at once: unknown options, stray arguments and invalid values are all reported (one line each), exit 2', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'args',
      '--bogus',
      'stray',
      '--umask',
      '999',
      '--grace',
      '-1',
      '--',
      '/bin/sleep',
      '1',
    ]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const lines = r.stderr.trim().split('\n');
    for (const part of ['--bogus', "'stray'", '--umask', '--grace'])
      assert.ok(
        lines.some((l) => l.includes(part)),
        `${part} in:\n${r.stderr}`,
      );
    assert.equal(lines.length, 4, r.stderr);
  });

  it('checks of the files and the COMMAND are made even when the service already runs: --stderr a directory, --stdout a FIFO and an empty COMMAND are exit 2, a missing COMMAND 5, several problems one line each; the same start is exit 0', async () => {
    const r = await h.dk(['start', '--name', 'args2', '--grace', '0', '--', '/bin/sleep', '1000']);
    assert.equal(r.code, 0, r.stderr);
    const dir = mkdtempSync(join(tmpdir(), 'dk-args-'));
    try {
      const fifo = join(dir, 'fifo');
      execFileSync('mkfifo', [fifo]);
      const cases = [
        [['--stderr', dir, '--', '/bin/sleep', '1000'], 2, ['is a directory']],
        [['--stdout', fifo, '--', '/bin/sleep', '1000'], 2, ['is a FIFO']],
        [['--', ''], 2, ['no COMMAND']],
        [['--', 'dk-no-such-command-here'], 5, ['not found on PATH']],
        // several problems: one line each, the arguments' exit code
        [
          [
            '--chdir',
            join(dir, 'none'),
            '--stdout',
            dir,
            '--stderr',
            dir,
            '--',
            'dk-no-such-command-here',
          ],
          2,
          ['--chdir', 'not found on PATH', '--stdout', '--stderr'],
        ],
        [
          ['--umask', '999', '--stdout', dir, '--', 'dk-no-such-command-here'],
          2,
          ['--umask', '--stdout', 'not found on PATH'],
        ],
      ];
      for (const [args, code, texts] of cases) {
        const s = await h.dk(['start', '--name', 'args2', ...args]);
        assert.equal(s.code, code, `${args.join(' ')}: ${s.stdout}${s.stderr}`);
        const lines = s.stderr.trim().split('\n');
        assert.equal(lines.length, texts.length, s.stderr);
        for (const text of texts)
          assert.ok(
            lines.some((l) => l.includes(text)),
            `${text} in:\n${s.stderr}`,
          );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const again = await h.dk([
      'start',
      '--name',
      'args2',
      '--grace',
      '0',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already running/);
    assert.equal((await h.dk(['stop', '--name', 'args2'])).code, 0);
  });

  it('--help after a command prints the usage, exit 0', async () => {
    const r = await h.dk(['start', '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^usage:/);
  });
});

describe('stop', () => {
  it('stops the whole process group, grandchildren included, and exits 0', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'tree',
      '--grace',
      '0',
      '--',
      'sh',
      '-c',
      'sleep 1000 & sleep 1000 & wait',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { pid, childPid } = startedPids(r.stdout);
    await waitFor(() => groupPids(childPid).length === 3, 5000, 'two grandchildren');
    const s = await h.dk(['stop', '--name', 'tree']);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /tree: stopped/);
    assert.deepEqual(groupPids(childPid), []);
    await exits(pid);
    assert.equal(existsSync(join(h.dir('tree'), 'pid')), false, 'pidfile removed');
    const st = await h.dk(['status', '--name', 'tree']);
    assert.equal(st.code, 3);
    assert.match(st.stdout, /not running \(stopped\)/);
  });

  it('escalates to KILL for a COMMAND that ignores TERM', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'stubborn',
      '--grace',
      '0',
      '--',
      'sh',
      '-c',
      "trap '' TERM; while :; do sleep 1; done",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { childPid } = startedPids(r.stdout);
    const s = await h.dk(['stop', '--name', 'stubborn', '--retry', 'TERM/0.3/KILL/5']);
    assert.equal(s.code, 0, s.stderr);
    assert.deepEqual(groupPids(childPid), []);
    const state = readJson(join(h.dir('stubborn'), 'state.json'));
    assert.equal(state.lastExit.signal, 'SIGKILL');
    assert.equal(state.lastExit.byStop, true);
  });

  it('exits 1 when the schedule runs out with the service still running; the supervisor says so and goes back to running (status: running, not stopping)', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'immortal',
      '--grace',
      '0',
      '--',
      'sh',
      '-c',
      "trap '' TERM; while :; do sleep 1; done",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { pid, childPid } = startedPids(r.stdout);
    await waitReport(join(h.dir('immortal'), 'state.json'), (st) => st.handlesSignals);
    const s = await h.dk(['stop', '--name', 'immortal', '--retry', 'TERM/0.2']);
    assert.equal(s.code, 1);
    assert.match(s.stderr, /still running after the stop schedule TERM\/0.2/);
    assert.equal(isAlive(pid), true);
    assert.equal(isAlive(childPid), true);
    const state = readJson(join(h.dir('immortal'), 'state.json'));
    assert.equal(state.state, 'running');
    assert.equal(state.stopRanOut.schedule, 'TERM/0.2');
    const st = JSON.parse((await h.dk(['status', '--name', 'immortal', '--json'])).stdout);
    assert.equal(st.state, 'running');
    const k = await h.dk(['stop', '--name', 'immortal', '--retry', 'KILL/5']);
    assert.equal(k.code, 0, k.stderr);
  });

  it('says "not running" and exits 0 when nothing runs; "no such service" (on stderr, still 0) for a name never used', async () => {
    execFileSync('mkdir', ['-p', h.dir('never')]);
    const s = await h.dk(['stop', '--name', 'never']);
    assert.equal(s.code, 0);
    assert.match(s.stdout, /never: not running/);
    const t = await h.dk(['stop', '--name', 'nevermore']);
    assert.deepEqual(
      [t.code, t.stdout, t.stderr],
      [0, '', `daemonkit: no such service nevermore (nothing at ${h.dir('nevermore')})\n`],
    );
    // PM2's `stop all`: 'all' is a name here; the one line says there is no such word
    const all = await h.dk(['stop', 'all']);
    assert.deepEqual(
      [all.code, all.stdout, all.stderr],
      [
        0,
        '',
        `daemonkit: no such service all (nothing at ${h.dir('all')}; daemonkit has no 'all': \`daemonkit list\` shows the services)\n`,
      ],
    );
  });
});

describe('status', () => {
  it('prints one line with pid, uptime and memory, and the same as JSON', async () => {
    const r = await h.dk(['start', '--name', 'st', '--grace', '0', '--', '/bin/sleep', '1000']);
    const { pid, childPid } = startedPids(r.stdout);
    const s = await h.dk(['status', '--name', 'st']);
    assert.equal(s.code, 0);
    assert.match(
      s.stdout,
      new RegExp(
        `^st: running, pid ${pid}, command pid ${childPid}, up (\\d+ms|[0-9.]+s), memory [0-9.]+ (KiB|MiB), cpu [0-9.]+s\\n$`,
      ),
    );
    const j = JSON.parse((await h.dk(['status', '--name', 'st', '--json'])).stdout);
    assert.equal(j.pid, pid);
    assert.equal(j.childPid, childPid);
    assert.equal(j.running, true);
    assert.equal(j.code, 0);
    assert.ok(j.rssBytes > 0);
  });

  it('exit 3 for a service never started, and for no such service', async () => {
    execFileSync('mkdir', ['-p', h.dir('ghost')]);
    const s = await h.dk(['status', '--name', 'ghost']);
    assert.equal(s.code, 3);
    assert.equal(s.stdout, 'ghost: not running (never started)\n');
    const t = await h.dk(['status', '--name', 'ghosts']);
    assert.deepEqual(
      [t.code, t.stdout, t.stderr],
      [3, '', `daemonkit: no such service ghosts (nothing at ${h.dir('ghosts')})\n`],
    );
  });

  it('exit 1 for a COMMAND that crashed after starting, with its last exit', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'crash',
      '--grace',
      '0',
      '--',
      'sh',
      '-c',
      'read x </dev/null; sleep 0.2; exit 9',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { pid } = startedPids(r.stdout);
    await waitFor(() => !isAlive(pid), 5000, 'supervisor exit');
    const s = await h.dk(['status', '--name', 'crash', '--json']);
    const j = JSON.parse(s.stdout);
    assert.equal(s.code, 1);
    assert.equal(j.state, 'failed');
    assert.equal(j.lastExit.code, 9);
  });

  it('exit 3 for a COMMAND that exited 0 by itself', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'done',
      '--grace',
      '0',
      '--',
      'sh',
      '-c',
      'sleep 0.2',
    ]);
    const { pid } = startedPids(r.stdout);
    await waitFor(() => !isAlive(pid), 5000, 'supervisor exit');
    const s = await h.dk(['status', '--name', 'done']);
    assert.equal(s.code, 3);
    assert.match(s.stdout, /not running \(exited\); last exit: exited with code 0/);
  });
});

describe('reload and restart', () => {
  it('reload sends SIGHUP (or --signal) to the COMMAND; exit 7 when not running', async () => {
    const report = join(work, 'reload.json');
    const r = await h.dk(['start', '--name', 'rl', '--', NODE, REPORTER], {
      env: { REPORT_FILE: report },
    });
    assert.equal(r.code, 0, r.stderr);
    const { childPid } = startedPids(r.stdout);
    const a = await h.dk(['reload', '--name', 'rl']);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, new RegExp(`sent SIGHUP to pid ${childPid}`));
    await waitReport(report, (x) => x.signals.includes('SIGHUP'));
    const b = await h.dk(['reload', '--name', 'rl', '--signal', 'USR2']);
    assert.equal(b.code, 0, b.stderr);
    await waitReport(report, (x) => x.signals.includes('SIGUSR2'));
    assert.equal(isAlive(childPid), true);
    const c = await h.dk(['reload', '--name', 'nothing-here']);
    assert.deepEqual(
      [c.code, c.stderr],
      [7, `daemonkit: no such service nothing-here (nothing at ${h.dir('nothing-here')})\n`],
    ); // as the other commands say it
    const d = await h.dk(['reload', '--name', 'rl', '--signal', 'NOPE']);
    assert.equal(d.code, 2);
  });

  it('restart without a COMMAND starts the recorded one again, with a new pid', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'rs',
      '--grace',
      '0',
      '--env',
      'GREETING=hi',
      '--',
      'sh',
      '-c',
      'echo "$GREETING $$"; exec sleep 1000',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const first = startedPids(r.stdout);
    const s = await h.dk(['restart', '--name', 'rs']);
    assert.equal(s.code, 0, s.stderr);
    const second = startedPids(s.stdout);
    assert.notEqual(second.pid, first.pid);
    await exits(first.pid);
    const state = readJson(join(h.dir('rs'), 'state.json'));
    assert.equal(state.state, 'running');
    await waitFor(
      () =>
        readFileSync(join(h.dir('rs'), 'rs.log'), 'utf8')
          .split('\n')
          .filter((l) => l.startsWith('hi ')).length === 2,
      5000,
      'two greetings',
    );
  });

  it('restart without a COMMAND and a damaged spec.json: exit 6 with one line naming the file and the bad fields, the service untouched; with a COMMAND it restarts', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'damaged',
      '--grace',
      '0',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { pid } = startedPids(r.stdout);
    const specfile = join(h.dir('damaged'), 'spec.json');
    for (const [content, mention] of [
      ['{"command":["/bin/sleep",', 'not JSON'],
      [JSON.stringify({ ...readJson(specfile), envOverrides: 5 }), 'envOverrides'],
    ]) {
      writeFileSync(specfile, content);
      const s = await h.dk(['restart', '--name', 'damaged']);
      assert.equal(s.code, 6, s.stdout + s.stderr);
      assert.equal(s.stderr.trim().split('\n').length, 1, s.stderr);
      assert.ok(s.stderr.includes(specfile) && s.stderr.includes(mention), s.stderr);
      assert.equal(isAlive(pid), true, 'not stopped');
    }
    const s = await h.dk([
      'restart',
      '--name',
      'damaged',
      '--grace',
      '0',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(s.code, 0, s.stderr);
    await exits(pid);
    assert.equal((await h.dk(['stop', '--name', 'damaged'])).code, 0);
  });

  it('restart without a COMMAND whose recorded --chdir and --stdout have gone bad: exit 2, each said once as recorded, the service untouched', async () => {
    const dir = join(work, 'gone-cwd');
    const out = join(work, 'gone.out');
    execFileSync('mkdir', ['-p', dir]);
    const r = await h.dk([
      'start',
      '--name',
      'gone',
      '--grace',
      '0',
      '--chdir',
      dir,
      '--stdout',
      out,
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { pid } = startedPids(r.stdout);
    // With --grace 0, start returns before the supervisor has opened its --stdout (O_CREAT):
    // removed before that, the file would be made again under the mkdir below.
    await waitReport(join(h.dir('gone'), 'state.json'), (st) => st.handlesSignals);
    rmSync(dir, { recursive: true });
    rmSync(out);
    execFileSync('mkdir', [out]);
    const s = await h.dk(['restart', '--name', 'gone']);
    assert.equal(s.code, 2, s.stdout + s.stderr);
    assert.equal(
      s.stderr,
      `daemonkit: --chdir ${dir} (recorded at the last start) is not a directory\n` +
        `daemonkit: --stdout ${out} (recorded at the last start) is a directory, not a file\n`,
    );
    assert.equal(isAlive(pid), true, 'not stopped');
    // Given now, a value is the caller's, not the record's.
    const t = await h.dk(['restart', '--name', 'gone', '--stdout', out]);
    assert.match(
      t.stderr,
      new RegExp(`^daemonkit: --stdout ${out} is a directory, not a file$`, 'm'),
    );
    assert.equal((await h.dk(['stop', '--name', 'gone'])).code, 0);
  });

  it('restart of a stopped service starts it (LSB)', async () => {
    const s = await h.dk([
      'restart',
      '--name',
      'fresh',
      '--grace',
      '0',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /fresh: restarted, pid \d+/);
  });
});

describe('run (foreground)', () => {
  it("exits with the COMMAND's exit code, or 128+N for a death by signal N", async () => {
    const a = await h.dk([
      'run',
      '--name',
      'fg',
      '--grace',
      '0',
      '--',
      'sh',
      '-c',
      'echo out; exit 7',
    ]);
    assert.equal(a.code, 7);
    assert.equal(a.stdout, 'out\n');
    const b = await h.dk([
      'run',
      '--name',
      'fg',
      '--grace',
      '0',
      '--',
      'sh',
      '-c',
      'kill -USR1 $$',
    ]);
    assert.equal(b.code, 128 + 10);
    assert.equal(existsSync(join(h.dir('fg'), 'pid')), false);
  });

  it('shares the lock with start: a running service cannot also be run', async () => {
    const r = await h.dk(['start', '--name', 'both', '--grace', '0', '--', '/bin/sleep', '1000']);
    const { pid } = startedPids(r.stdout);
    const b = await h.dk(['run', '--name', 'both', '--', '/bin/sleep', '1000']);
    assert.equal(b.code, 1);
    assert.match(b.stderr, new RegExp(`already running, pid ${pid}`));
  });

  it('stops its COMMAND on SIGTERM and holds the pidfile while running', async () => {
    const child = spawn(
      NODE,
      [CLI, 'run', '--name', 'fgterm', '--grace', '0', '--', '/bin/sleep', '1000'],
      { env: { ...process.env, ...h.env }, stdio: 'ignore' },
    );
    h.track(child.pid);
    const pidfile = join(h.dir('fgterm'), 'pid');
    await waitFor(
      () => existsSync(pidfile) && readJson(join(h.dir('fgterm'), 'state.json'))?.childPid,
      5000,
      'run started',
    );
    assert.equal(readFileSync(pidfile, 'utf8'), `${child.pid}\n`);
    const childPid = readJson(join(h.dir('fgterm'), 'state.json')).childPid;
    const code = await new Promise((resolve) => {
      child.on('exit', (c, s) => resolve(c ?? s));
      child.kill('SIGTERM');
    });
    assert.equal(code, 128 + 15);
    assert.equal(procStat(childPid), null);
  });
});

describe('a refused second instance', () => {
  it("does not touch the running service's state or pidfile", async () => {
    const r = await h.dk(['start', '--name', 'kept', '--grace', '0', '--', '/bin/sleep', '1000']);
    const { pid, childPid } = startedPids(r.stdout);
    const before = readFileSync(join(h.dir('kept'), 'state.json'), 'utf8');
    assert.equal((await h.dk(['run', '--name', 'kept', '--', '/bin/sleep', '1000'])).code, 1);
    const state = readJson(join(h.dir('kept'), 'state.json'));
    assert.equal(state.pid, pid, `state rewritten: ${before} -> ${JSON.stringify(state)}`);
    assert.equal(state.childPid, childPid);
    assert.equal(readFileSync(join(h.dir('kept'), 'pid'), 'utf8'), `${pid}\n`);
    assert.equal((await h.dk(['stop', '--name', 'kept'])).code, 0);
    assert.equal(isAlive(childPid), false);
  });
});

describe('environment', () => {
  it('--env-file and --clear-env; restart reads the file again; a bad line is exit 2 naming it', async () => {
    const file = join(work, 'app.env');
    const probe = join(work, 'env.out');
    writeFileSync(file, '# settings\nGREETING="hello there"\nexport LEVEL=1\n');
    const script = `env > ${probe}; exec sleep 1000`;
    const r = await h.dk(
      [
        'start',
        '--name',
        'envy',
        '--grace',
        '0',
        '--clear-env',
        '--env-file',
        file,
        '--env',
        'LEVEL=2',
        '--',
        'sh',
        '-c',
        script,
      ],
      { env: { SECRET: 'not for the COMMAND' } },
    );
    assert.equal(r.code, 0, r.stderr);
    await waitFor(
      () => existsSync(probe) && readFileSync(probe, 'utf8').includes('LEVEL='),
      5000,
      'env dump',
    );
    const vars = Object.fromEntries(
      readFileSync(probe, 'utf8')
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    assert.equal(vars.GREETING, 'hello there');
    assert.equal(vars.LEVEL, '2', '--env wins over the file');
    assert.equal(vars.SECRET, undefined, '--clear-env: nothing of the caller but PATH');
    assert.ok(vars.PATH);
    rmSync(probe);
    writeFileSync(file, 'GREETING=changed\n');
    assert.equal((await h.dk(['restart', '--name', 'envy'])).code, 0);
    await waitFor(
      () => existsSync(probe) && readFileSync(probe, 'utf8').includes('GREETING='),
      5000,
      'env dump after restart',
    );
    assert.match(readFileSync(probe, 'utf8'), /^GREETING=changed$/m);
    writeFileSync(file, 'A=1\nthis is wrong\n');
    const bad = await h.dk(['start', '--name', 'envbad', '--env-file', file, '--', 'true']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, `daemonkit: --env-file ${file}: line 2: expected KEY=VALUE\n`);
    const missing = await h.dk([
      'start',
      '--name',
      'envbad',
      '--env-file',
      join(work, 'nope.env'),
      '--',
      'true',
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.env: no such file/);
  });
});
