// Issue 21.9: `export systemd` says what the unit cannot carry, exports a recorded service as it
// runs, and warns of a relative path that the unit (in /) would not find.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeHome } from '../helpers.mjs';
import { verifyUnit } from '../systemd-verify.mjs';

const h = makeHome();
const work = realpathSync(mkdtempSync(join(tmpdir(), 'dk-export-')));
writeFileSync(join(work, 'server.js'), 'setInterval(() => {}, 1000);\n');
const empty = mkdtempSync(join(tmpdir(), 'dk-export-empty-'));
after(async () => {
  await h.cleanup();
  rmSync(work, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
});

const lines = (text) => text.split('\n').filter(Boolean);

describe('export systemd: nothing dropped without a word', () => {
  it('each option the unit cannot carry is named on stderr, one line each, with its reason', async (t) => {
    const r = await h.dk([
      'export',
      'systemd',
      '--name',
      'web',
      '--chdir',
      work,
      '--log-max-size',
      '1M',
      '--log-keep',
      '3',
      '--log-compress',
      '--log-timestamps',
      '--grace',
      '2000',
      '--restart',
      'on-failure',
      '--min-uptime',
      '1m',
      '--restart-max-delay',
      '10s',
      '--retry',
      'TERM/5/INT/5/KILL/5',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const said = lines(r.stderr);
    assert.deepEqual(
      said.map((l) => l.split(' ')[1]),
      [
        '--log-timestamps',
        '--log-max-size',
        '--log-keep',
        '--log-compress',
        '--grace',
        '--min-uptime',
        '--retry',
      ],
      r.stderr,
    );
    for (const l of said) assert.match(l, /^daemonkit: --[a-z-]+ is not carried over: \S/);
    const unit = lines(r.stdout);
    for (const l of [
      'RestartSec=0.1s',
      'RestartSteps=7',
      'RestartMaxDelaySec=10s',
      'KillSignal=SIGTERM',
      'TimeoutStopSec=5s',
      'FinalKillSignal=SIGINT',
      `WorkingDirectory=${work}`,
    ]) {
      assert.ok(unit.includes(l), `${l} in:\n${r.stdout}`);
    }
    await verifyUnit(t, 'web', r.stdout);
  });

  it('a relative path argument without --chdir: one line saying the unit runs in /', async () => {
    const r = await h.dk(['export', 'systemd', '--name', 'rel', '--', 'node', 'server.js'], {
      cwd: work,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stderr), [
      `daemonkit: 'server.js' is a relative path from here, but the unit runs in / (WorkingDirectory=): give --chdir ${work} or an absolute path`,
    ]);
    assert.match(r.stdout, /^WorkingDirectory=\/$/m);
    const quiet = [
      [work, ['--chdir', work, '--', 'node', 'server.js']],
      [work, ['--', 'node', join(work, 'server.js')]],
      [empty, ['--', 'node', 'server.js']], // no such file here: nothing to say
    ];
    for (const [cwd, args] of quiet) {
      const q = await h.dk(['export', 'systemd', '--name', 'rel', ...args], { cwd });
      assert.equal(q.code, 0, q.stderr);
      assert.equal(q.stderr, '', args.join(' '));
    }
  });
});

describe('export systemd: each value as systemd will read it', () => {
  it('$ as it is in Environment= (no variables there), % doubled wherever specifiers are expanded; systemd-analyze verify is clean', async (t) => {
    // %Z is no specifier: were a % left single, systemd-analyze would fail to resolve it.
    const dir = join(work, 'p %Z q');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.env'), 'X=1\n');
    writeFileSync(join(dir, 'in'), '');
    const r = await h.dk([
      'export',
      'systemd',
      '--name',
      'pct',
      '--chdir',
      dir,
      '--env',
      'PASS=a$b',
      '--env',
      'PCT=100%Z',
      '--env',
      'SAY=a "b" \\c',
      '--env-file',
      join(dir, 'a.env'),
      '--stdin',
      join(dir, 'in'),
      '--stdout',
      join(dir, 'o.log'),
      '--stderr',
      join(dir, 'e.log'),
      '--',
      '/bin/echo',
      '$HOME',
      '5%Z',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const got = lines(r.stdout).filter((l) =>
      /^(ExecStart|WorkingDirectory|Environment|EnvironmentFile|Standard\w+)=/.test(l),
    );
    const d = `${work}/p %%Z q`;
    assert.deepEqual(got, [
      'ExecStart=/bin/echo $$HOME 5%%Z',
      `WorkingDirectory=${d}`,
      'Environment=PASS=a$b',
      'Environment=PCT=100%%Z',
      'Environment="SAY=a \\"b\\" \\\\c"',
      `EnvironmentFile=${d}/a.env`,
      `StandardInput=file:${d}/in`,
      `StandardOutput=append:${d}/o.log`,
      `StandardError=append:${d}/e.log`,
    ]);
    await verifyUnit(t, 'pct', r.stdout);
  });

  it('a path no unit line can hold: exit 2, one line naming it, no unit', async () => {
    const dir = join(work, 'x\\'); // (a newline is refused sooner: not a usable path)
    mkdirSync(dir);
    const r = await h.dk(['export', 'systemd', '--name', 'nl', '--chdir', dir, '--', '/bin/true']);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.deepEqual(lines(r.stderr), [
      `daemonkit: --chdir '${work}/x\\\\' cannot be written in a systemd unit: it ends in a backslash, which would join the next line`,
    ]);
  });
});

describe('export systemd of a recorded service', () => {
  it('with no COMMAND: the service as its last start recorded it', async (t) => {
    const s = await h.dk([
      'start',
      '--name',
      'rec',
      '--grace',
      '0',
      '--chdir',
      work,
      '--umask',
      '027',
      '--env',
      'MODE=prod',
      '--restart',
      'on-failure',
      '--log-max-size',
      '1M',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal((await h.dk(['stop', '--name', 'rec'])).code, 0);
    const r = await h.dk(['export', 'systemd', '--name', 'rec', '--timeout', '20']);
    assert.equal(r.code, 0, r.stderr);
    const unit = lines(r.stdout);
    for (const l of [
      'Description=rec (daemonkit)',
      'ExecStart=/bin/sleep 1000',
      `WorkingDirectory=${work}`,
      'UMask=0027',
      'Environment=MODE=prod',
      `StandardOutput=append:${join(h.home, 'rec', 'rec.log')}`,
      'Restart=on-failure',
      'TimeoutStopSec=20s',
    ]) {
      assert.ok(unit.includes(l), `${l} in:\n${r.stdout}`);
    }
    assert.ok(!unit.some((l) => l.startsWith('StandardError=')), 'stderr goes with stdout');
    assert.deepEqual(
      lines(r.stderr).map((l) => l.split(' ')[1]),
      ['--log-max-size', '--log-keep', '--min-uptime'],
      r.stderr,
    );
    await verifyUnit(t, 'rec', r.stdout);
    // the name as a word, as for status
    const word = await h.dk(['export', 'systemd', 'rec', '--timeout', '20']);
    assert.deepEqual([word.code, word.stdout, word.stderr], [0, r.stdout, r.stderr]);
  });

  it('none recorded: exit 2 with an example that works', async () => {
    const r = await h.dk(['export', 'systemd', '--name', 'never']);
    assert.equal(r.code, 2);
    const example = /e\.g\. daemonkit (.*)$/.exec(r.stderr.trim())?.[1];
    assert.ok(example?.startsWith('export systemd '), r.stderr);
    const tried = await h.dk(example.split(' '));
    assert.equal(tried.code, 0, tried.stderr);
  });

  it('options of a start with no COMMAND: exit 2 naming them (they cannot change the record)', async () => {
    const r = await h.dk([
      'export',
      'systemd',
      '--name',
      'rec',
      '--restart',
      'always',
      '--env',
      'A=b',
    ]);
    assert.equal(r.code, 2);
    assert.deepEqual(lines(r.stderr), [
      "daemonkit: 'export systemd' without a COMMAND exports the service as recorded at its last start: --restart, --env cannot change it (give the COMMAND after -- to export other options)",
    ]);
  });
});
