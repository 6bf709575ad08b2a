// Fault suite, one supervisor for a project (issue 16): whatever one service does — a crash loop,
// a full log disk, a readiness that never comes, a flood of output, a stop, a restart — no other
// service of the project is stopped, signalled or held up; and a `kill -9` of the shared
// supervisor leaves orphans that the next up, status, stop and down find, never doubled.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assertNothingLeft,
  describeProcs,
  faultHome,
  guarded,
  IS_ROOT,
  PERL,
  waitJson,
} from './helpers.mjs';
import { isAlive, readJson, waitFor } from '../helpers.mjs';

const h = faultHome();
after(() => h.cleanup());

const toml = (v) => JSON.stringify(v); // a TOML basic string or array of them

/** A COMMAND that writes each signal it gets to `file` (one line each) and ends on TERM. */
const recorder = (file) =>
  PERL
    ? [
        PERL,
        '-e',
        'my $f = shift; sub rec { open my $h, ">>", $f; print $h "$_[0]\\n"; close $h } ' +
          '$SIG{$_} = \\&rec for qw(HUP INT QUIT USR1 USR2); $SIG{TERM} = sub { rec("TERM"); exit 0 }; ' +
          'open my $h, ">>", $f; close $h; sleep 1 while 1',
        file,
      ]
    : ['/bin/sleep', '1000'];

/** A project file in a fresh directory: services as [name, body lines]. */
function project(name, services) {
  const dir = h.work();
  const file = join(dir, 'daemonkit.toml');
  const text = services.map(([s, body]) => `[services.${s}]\n${body.join('\n')}\n`).join('');
  writeFileSync(file, `project = "${name}"\n${text}`);
  return { dir, file };
}

const state = (name) => readJson(join(h.dir(name), 'state.json'));
const signalsOf = (file) => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};
const supervisorPid = (project) =>
  Number(readFileSync(join(h.home, '.projects', `${project}.supervisor.pid`), 'utf8'));

/** Two recorders `a` and `b` that nothing may touch: their pids now, and a check for later. */
function bystanders(dir) {
  const files = { a: join(dir, 'a.signals'), b: join(dir, 'b.signals') };
  const lines = Object.entries(files).map(([s, f]) => [s, [`command = ${toml(recorder(f))}`]]);
  return {
    lines,
    files,
    snapshot: (project) =>
      Object.fromEntries(Object.keys(files).map((s) => [s, state(`${project}.${s}`)?.childPid])),
    assertUntouched(project, before, what) {
      for (const s of Object.keys(files)) {
        const now = state(`${project}.${s}`);
        assert.equal(now?.state, 'running', `${s} still runs after ${what}`);
        assert.equal(now.childPid, before[s], `${s} was not restarted by ${what}`);
        assert.ok(isAlive(now.childPid), `${s}'s COMMAND is alive after ${what}`);
        assert.deepEqual(signalsOf(files[s]), [], `${s} got no signal from ${what}`);
      }
    },
  };
}

describe('one service never reaches another', { skip: PERL ? false : 'needs perl' }, () => {
  it(
    'a crash loop, then a stop and a restart of a third service: the bystanders keep their COMMANDs and get no signal',
    guarded(h, async () => {
      const dir = h.work();
      const by = bystanders(dir);
      const cFile = join(dir, 'c.signals');
      const { file } = project('iso', [
        ...by.lines,
        [
          'crash',
          [
            'command = "exit 3"',
            'grace = "0"',
            'restart = "always"',
            'restart-delay = "10ms"',
            'restart-max-delay = "20ms"',
            'max-restarts = "infinity"',
          ],
        ],
        ['c', [`command = ${toml(recorder(cFile))}`]],
      ]);
      const up = await h.dkT(['up', '-f', file]);
      assert.equal(up.code, 0, up.stderr);
      const before = by.snapshot('iso');
      const sup = supervisorPid('iso');
      await waitJson(join(h.dir('iso.crash'), 'state.json'), (s) => s.restarts >= 40, 15000);
      by.assertUntouched('iso', before, 'a crash loop');
      const stop = await h.dkT(['stop', '--name', 'iso.crash']);
      assert.equal(stop.code, 0, stop.stderr);
      const restart = await h.dkT(['restart', '--name', 'iso.c']);
      assert.equal(restart.code, 0, restart.stderr);
      assert.deepEqual(signalsOf(cFile), ['TERM'], 'the restarted service got its TERM');
      const stopC = await h.dkT(['stop', '--name', 'iso.c']);
      assert.equal(stopC.code, 0, stopC.stderr);
      by.assertUntouched('iso', before, 'a stop and a restart of other services');
      assert.equal(supervisorPid('iso'), sup, 'the same shared supervisor throughout');
      // reopen and reload of one service reach that one only.
      const reopen = await h.dkT(['reopen', '--name', 'iso.a']);
      assert.equal(reopen.code, 0, reopen.stderr);
      const reload = await h.dkT(['reload', '--name', 'iso.a']);
      assert.equal(reload.code, 0, reload.stderr);
      await waitFor(() => signalsOf(by.files.a).includes('HUP'), 5000, 'a got its HUP');
      assert.deepEqual(signalsOf(by.files.b), [], 'b got no signal from a reload of a');
      const down = await h.dkT(['down', '-f', file]);
      assert.equal(down.code, 0, down.stderr);
      await assertNothingLeft(h, 'left after down');
    }),
  );

  it(
    'a readiness that never comes: up fails that service alone, the others started without waiting for it',
    guarded(h, async () => {
      const dir = h.work();
      const by = bystanders(dir);
      const { file } = project('slow', [
        ['never', ['command = ["/bin/sleep", "1000"]', 'ready = "fd:3"', 'ready-timeout = "2s"']],
        ...by.lines,
      ]);
      const up = await h.dkT(['up', '-f', file]);
      assert.equal(up.code, 1, `${up.stdout}${up.stderr}`);
      assert.match(up.stderr, /slow\.never/);
      assert.match(up.stdout, /slow\.a: started/);
      assert.match(up.stdout, /slow\.b: started/);
      const before = by.snapshot('slow');
      by.assertUntouched('slow', before, 'a readiness timeout');
      assert.notEqual(state('slow.never')?.state, 'running');
      const down = await h.dkT(['down', '-f', file]);
      assert.equal(down.code, 0, down.stderr);
      await assertNothingLeft(h, 'left after down');
    }),
  );

  it(
    'a flood of output: another service’s lines are still taken in as they come (stamped within 2 s of their writing)',
    guarded(h, async () => {
      const dir = h.work();
      const tick = join(dir, 'tick.log');
      // The ticker writes the time it writes each line; the supervisor stamps when it reads it.
      const { file } = project('flood', [
        [
          'flood',
          ['command = "exec yes flooding-the-supervisor"', 'log-max-size = "1M"', 'log-keep = 1'],
        ],
        [
          'ticker',
          [
            `command = ${toml(['/bin/sh', '-c', 'while :; do date +%s%3N; sleep 0.05; done'])}`,
            `stdout = ${toml(tick)}`,
            'log-timestamps = true',
          ],
        ],
      ]);
      const up = await h.dkT(['up', '-f', file]);
      assert.equal(up.code, 0, up.stderr);
      await waitFor(() => (statSync(tick, { throwIfNoEntry: false })?.size ?? 0) > 3000, 15000);
      const lines = readFileSync(tick, 'utf8').split('\n').filter(Boolean);
      const late = lines
        .map((l) => /^(\S+) (\d+)$/.exec(l))
        .filter(Boolean)
        .map(([, stamp, wrote]) => Date.parse(stamp) - Number(wrote));
      assert.ok(late.length > 20, `ticker lines: ${lines.length}`);
      assert.ok(Math.max(...late) < 2000, `lines taken in late by ${Math.max(...late)} ms`);
      const stop = await h.dkT(['stop', '--name', 'flood.ticker']);
      assert.equal(stop.code, 0, stop.stderr);
      assert.equal(state('flood.flood')?.state, 'running', 'the flood goes on');
      const down = await h.dkT(['down', '-f', file]);
      assert.equal(down.code, 0, down.stderr);
      await assertNothingLeft(h, 'left after down');
    }),
  );

  it(
    'a full log disk under one service: the others still log, stop and restart',
    { skip: IS_ROOT ? false : 'needs root (mounts a small tmpfs)' },
    guarded(h, async (t) => {
      const dir = h.work();
      const mnt = join(dir, 'mnt');
      mkdirSync(mnt);
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt], {
          stdio: 'ignore',
        });
      } catch {
        t.skip('cannot mount a tmpfs');
        return;
      }
      try {
        const tick = join(dir, 'tick.log');
        const by = bystanders(dir);
        const { file } = project('disk', [
          [
            'filler',
            [
              `command = ${toml(['/bin/sh', '-c', 'while :; do echo filling-the-disk-line; done'])}`,
              `stdout = ${toml(join(mnt, 'filler.log'))}`,
            ],
          ],
          [
            'ticker',
            [
              `command = ${toml(['/bin/sh', '-c', 'while :; do echo tick; sleep 0.05; done'])}`,
              `stdout = ${toml(tick)}`,
            ],
          ],
          ...by.lines,
        ]);
        const up = await h.dkT(['up', '-f', file]);
        assert.equal(up.code, 0, up.stderr);
        const before = by.snapshot('disk');
        await waitJson(join(h.dir('disk.filler'), 'state.json'), (s) => !!s.logError, 15000);
        const size = statSync(tick).size;
        await waitFor(() => statSync(tick).size > size + 100, 5000, 'the ticker still logs');
        const restart = await h.dkT(['restart', '--name', 'disk.ticker']);
        assert.equal(restart.code, 0, restart.stderr);
        const stop = await h.dkT(['stop', '--name', 'disk.ticker']);
        assert.equal(stop.code, 0, stop.stderr);
        by.assertUntouched('disk', before, 'a full log disk');
        const down = await h.dkT(['down', '-f', file]);
        assert.equal(down.code, 0, down.stderr);
        await assertNothingLeft(h, 'left after down');
      } finally {
        execFileSync('umount', ['-l', mnt], { stdio: 'ignore' });
      }
    }),
  );
});

describe('many services in one supervisor', () => {
  it(
    '16 sleeping services and a crash loop: every exit is still seen (no thread-pool wait per COMMAND), stop and down work',
    guarded(h, async () => {
      const sleepers = Array.from({ length: 16 }, (_, i) => [
        `s${i}`,
        [`command = ["/bin/sleep", "${5200 + i}"]`, 'grace = "0"'],
      ]);
      const { file } = project('many', [
        ...sleepers,
        [
          'crash',
          [
            'command = ["/bin/true"]',
            'grace = "0"',
            'restart = "always"',
            'restart-delay = "1ms"',
            'restart-max-delay = "1ms"',
            'max-restarts = "10"',
            'restart-window = "1ms"',
          ],
        ],
      ]);
      const up = await h.dkT(['up', '-f', file]);
      assert.equal(up.code, 0, up.stderr);
      await waitJson(join(h.dir('many.crash'), 'state.json'), (s) => s.restarts >= 50, 15000);
      const stop = await h.dkT(['stop', '--name', 'many.s3']);
      assert.equal(stop.code, 0, stop.stderr);
      const down = await h.dkT(['down', '-f', file]);
      assert.equal(down.code, 0, down.stderr);
      await assertNothingLeft(h, 'left after down');
    }),
  );
});

describe('kill -9 of the shared supervisor', () => {
  it(
    "between a COMMAND's fork and the state that names it (that write held back by strace): the COMMAND never runs its program; the next up makes one",
    guarded(h, async (t) => {
      const STRACE = ['/usr/bin/strace', '/bin/strace'].find((p) => existsSync(p));
      if (!STRACE) return t.skip('no strace');
      const a = ['a', ['command = ["/bin/sleep", "5201"]']];
      const { file } = project('held', [a]);
      assert.equal((await h.dkT(['up', '-f', file])).code, 0);
      const sup = supervisorPid('held');
      const tracedBy = () =>
        /TracerPid:\s+(\d+)/.exec(readFileSync(`/proc/${sup}/status`, 'utf8'))?.[1];
      // Every rename of the supervisor's (a state write's last step) held back 10 s.
      const tracer = spawn(
        STRACE,
        ['-f', '-p', String(sup), '-o', '/dev/null', '-e', 'trace=rename,renameat2'].concat([
          '-e',
          'inject=rename,renameat2:delay_enter=10000000',
        ]),
        { stdio: 'ignore' },
      );
      t.after(() => tracer.kill('SIGKILL'));
      await waitFor(() => tracedBy() !== '0', 10_000, 'strace attached');
      const children = () =>
        readdirSync('/proc')
          .filter((e) => /^\d+$/.test(e))
          .filter((pid) => {
            try {
              return (
                readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1] ===
                String(sup)
              );
            } catch {
              return false;
            }
          });
      const before = new Set(children());
      writeFileSync(
        file,
        `${readFileSync(file, 'utf8')}[services.b]\ncommand = ["/bin/sleep", "5202"]\n`,
      );
      const up = h.dkT(['up', '-f', file]);
      await waitFor(() => children().some((pid) => !before.has(pid)), 10_000, "b's fork");
      // The old code exec'd /bin/sleep 5202 at once and named it only after the held write.
      await new Promise((resolve) => setTimeout(resolve, 500));
      process.kill(sup, 'SIGKILL'); // killed in its held write: the rename never runs
      tracer.kill('SIGKILL'); // which lets it go (a tracee's end waits for its tracer)
      await waitFor(() => !isAlive(sup), 5000, 'the supervisor gone');
      const again = await up; // it finds its supervisor gone and launches another
      const upAgain = again.code === 0 ? again : await h.dkT(['up', '-f', file]);
      assert.equal(upAgain.code, 0, upAgain.stderr);
      const commands = (n) => h.leftovers().filter((p) => p.args === `/bin/sleep ${n}`);
      await waitFor(() => commands(5202).length >= 1, 5000, 'b running');
      assert.equal(commands(5202).length, 1, describeProcs(h.leftovers()));
      assert.equal(commands(5201).length, 1, describeProcs(h.leftovers()));
      const down = await h.dkT(['down', '-f', file]);
      assert.equal(down.code, 0, down.stderr);
      await assertNothingLeft(h, 'left after down');
    }),
  );
  it(
    'status names every orphan; up, stop and down find them: never a second COMMAND, nothing left',
    guarded(h, async () => {
      const { file } = project('orph', [
        ['db', ['command = ["/bin/sleep", "5101"]']],
        ['web', ['command = ["/bin/sleep", "5102"]', 'after = ["db"]']],
        ['worker', ['command = ["/bin/sleep", "5103"]']],
      ]);
      const commands = (n) => h.leftovers().filter((p) => p.args === `/bin/sleep ${n}`);
      const killSupervisor = async () => {
        const pid = supervisorPid('orph');
        process.kill(pid, 'SIGKILL');
        await waitFor(() => !isAlive(pid), 5000, 'the supervisor gone');
      };
      assert.equal((await h.dkT(['up', '-f', file])).code, 0);
      await killSupervisor();
      const status = await h.dkT(['status', '-f', file]);
      assert.equal(status.code, 1, status.stdout);
      for (const s of ['db', 'web', 'worker'])
        assert.match(status.stdout, new RegExp(`orph\\.${s}: dead; its supervisor died`));
      // up: each orphan stopped, one new COMMAND each.
      const up = await h.dkT(['up', '-f', file]);
      assert.equal(up.code, 0, up.stderr);
      for (const n of [5101, 5102, 5103])
        assert.equal(commands(n).length, 1, describeProcs(h.leftovers()));
      await killSupervisor();
      // stop of one: its orphan only.
      const stop = await h.dkT(['stop', '--name', 'orph.web']);
      assert.equal(stop.code, 0, stop.stderr);
      assert.equal(commands(5102).length, 0);
      assert.equal(commands(5101).length, 1);
      // down: the rest.
      const down = await h.dkT(['down', '-f', file]);
      assert.equal(down.code, 0, down.stderr);
      await assertNothingLeft(h, 'left after down');
    }),
  );
});
