// `restart` keeps what `start` recorded: it changes exactly the options given (the merged whole
// validated), `-- COMMAND` replaces the COMMAND only, and the environment is the one decided at
// start unless --update-env. The library's Daemon restarts the same way.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CLI,
  NODE,
  ROOT,
  commandText,
  isAlive,
  makeHome,
  readJson,
  run,
  startedPids,
  waitFor,
} from '../helpers.mjs';

const h = makeHome();
const work = mkdtempSync(join(tmpdir(), 'dk-keep-'));
after(async () => {
  await h.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const spec = (name) => readJson(join(h.dir(name), 'spec.json'));
const lines = (text) => text.split('\n').filter(Boolean);
const state = (name) => readJson(join(h.dir(name), 'state.json'));
/** What the COMMAND wrote to its log (the supervisor's own `daemonkit: ` lines left out). */
const logText = (name) => {
  try {
    return commandText(readFileSync(join(h.dir(name), `${name}.log`), 'utf8'));
  } catch {
    return '';
  }
};
/** The CLI from an emptied environment (as from cron, or `env -i`): only PATH and our home. */
const fromEmptyEnv = (args) =>
  run('env', [
    '-i',
    `PATH=${process.env.PATH}`,
    `DAEMONKIT_HOME=${h.home}`,
    NODE,
    '--',
    CLI,
    ...args,
  ]);

describe('restart changes exactly the options given', () => {
  const dir = join(work, 'app');
  mkdirSync(dir);
  const startWeb = async (name) => {
    const r = await h.dk([
      'start',
      '--name',
      name,
      '--grace',
      '0',
      '--restart',
      'always',
      '--restart-delay',
      '20ms',
      '--log-max-size',
      '8K',
      '--log-keep',
      '3',
      '--chdir',
      dir,
      '--env',
      'A=1',
      '--',
      'sh',
      '-c',
      'echo "old A=$A in $(pwd)"; exec sleep 1000',
    ]);
    assert.equal(r.code, 0, r.stderr);
    return startedPids(r.stdout);
  };

  it('one restart option keeps the restart mode: the next crash is restarted', async () => {
    await startWeb('web1');
    const a = await h.dk(['restart', '--name', 'web1', '--restart-delay', '30ms']);
    assert.equal(a.code, 0, a.stderr);
    assert.deepEqual([spec('web1').restart.restart, spec('web1').restart.delayMs], ['always', 30]);
    const { childPid } = await waitFor(
      () => (state('web1')?.state === 'running' && state('web1').childPid ? state('web1') : null),
      5000,
      'running',
    );
    process.kill(childPid, 'SIGKILL');
    await waitFor(
      () => state('web1')?.restarts === 1 && state('web1').state === 'running',
      5000,
      'restarted by the policy after a crash',
    );
    assert.equal((await h.dk(['stop', 'web1'])).code, 0);
  });

  it('one log option keeps the rotation; --log-keep alone is judged with the recorded --log-max-size', async () => {
    await startWeb('web2');
    const b = await h.dk(['restart', '--name', 'web2', '--log-timestamps']);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(spec('web2').logs, {
      timestamps: true,
      maxSize: 8192,
      keep: 3,
      compress: false,
    });
    const c = await h.dk(['restart', '--name', 'web2', '--log-keep', '2']);
    assert.equal(c.code, 0, c.stderr);
    assert.deepEqual(spec('web2').logs, {
      timestamps: true,
      maxSize: 8192,
      keep: 2,
      compress: false,
    });
    assert.equal((await h.dk(['stop', 'web2'])).code, 0);
  });

  it('a new COMMAND replaces the COMMAND only: chdir, --env, the policy and the rotation stay', async () => {
    await startWeb('web3');
    const f = await h.dk([
      'restart',
      '--name',
      'web3',
      '--',
      'sh',
      '-c',
      'echo "new A=$A in $(pwd)"; exec sleep 1000',
    ]);
    assert.equal(f.code, 0, f.stderr);
    await waitFor(() => logText('web3').includes('new A='), 5000, "the new COMMAND's line");
    assert.match(logText('web3'), new RegExp(`^new A=1 in ${dir}$`, 'm'));
    assert.deepEqual(
      [spec('web3').restart.restart, spec('web3').logs.maxSize, spec('web3').chdir],
      ['always', 8192, dir],
    );
    assert.equal((await h.dk(['stop', 'web3'])).code, 0);
  });

  it('--no-X puts one option back to its default (its dependents with it); the merged whole is validated', async () => {
    await startWeb('web4');
    const d = await h.dk(['restart', 'web4', '--log-timestamps']);
    assert.equal(d.code, 0, d.stderr);
    const e = await h.dk(['restart', 'web4', '--no-log-timestamps', '--no-log-max-size']);
    assert.equal(e.code, 0, e.stderr);
    assert.equal(spec('web4').logs, undefined, 'plain lines, no rotation');
    const { pid } = startedPids(e.stdout);
    const g = await h.dk(['restart', '--name', 'web4', '--log-compress']);
    assert.equal(g.code, 2);
    assert.equal(
      g.stderr,
      'daemonkit: --log-compress needs --log-max-size (it compresses rotated files)\n',
    );
    assert.equal(isAlive(pid), true, 'nothing stopped');
    assert.equal((await h.dk(['stop', 'web4'])).code, 0);
  });
});

describe('the environment is decided at start', () => {
  it("a restart from an emptied environment keeps the one the service was started with; --update-env takes the caller's", async () => {
    const r = await h.dk(
      [
        'start',
        '--name',
        'envy',
        '--grace',
        '0',
        '--',
        'sh',
        '-c',
        'echo "FEATURE_X=$FEATURE_X HOME=$HOME"; exec sleep 1000',
      ],
      { env: { FEATURE_X: 'on' } },
    );
    assert.equal(r.code, 0, r.stderr);
    const a = await fromEmptyEnv(['restart', '--name', 'envy']);
    assert.equal(a.code, 0, a.stderr);
    await waitFor(
      () =>
        logText('envy')
          .split('\n')
          .filter((l) => l.startsWith('FEATURE_X=')).length === 2,
      5000,
      "second start's line",
    );
    assert.deepEqual(logText('envy').trim().split('\n'), [
      `FEATURE_X=on HOME=${process.env.HOME}`,
      `FEATURE_X=on HOME=${process.env.HOME}`,
    ]);
    const record = join(h.dir('envy'), 'env.json');
    assert.equal(statSync(record).mode & 0o777, 0o600, 'env.json is private');
    assert.equal(readJson(record).env.FEATURE_X, 'on');

    const b = await fromEmptyEnv(['restart', '--name', 'envy', '--update-env']);
    assert.equal(b.code, 0, b.stderr);
    await waitFor(
      () =>
        logText('envy')
          .split('\n')
          .filter((l) => l.startsWith('FEATURE_X=')).length === 3,
      5000,
      "third start's line",
    );
    assert.equal(logText('envy').trim().split('\n')[2], 'FEATURE_X= HOME=');
    assert.equal(readJson(record).env.FEATURE_X, undefined, 'and it is what is recorded now');
    // A damaged record is exit 6, one line naming it, the service untouched; --update-env does not
    // read it.
    writeFileSync(record, '{"env": 5}');
    const { pid } = startedPids(b.stdout);
    const c = await h.dk(['restart', '--name', 'envy']);
    assert.equal(c.code, 6);
    assert.equal(lines(c.stderr).length, 1, c.stderr);
    assert.ok(c.stderr.includes(record), c.stderr);
    assert.equal(isAlive(pid), true);
    assert.equal((await h.dk(['restart', '--name', 'envy', '--update-env'])).code, 0);
    assert.equal((await h.dk(['stop', '--name', 'envy'])).code, 0);
  });
});

describe("the library's Daemon restarts the same way", () => {
  const FIXTURE = join(ROOT, 'test', 'fixtures', 'env-daemon.mjs');
  for (const name of ['libenv', 'suplibenv']) {
    it(`${name.startsWith('sup') ? 'with a restart policy: ' : ''}restart() keeps the environment it was started with, unless --update-env`, async () => {
      const s = await run(NODE, [FIXTURE, name, 'start'], { env: { ...h.env, FEATURE_X: 'on' } });
      assert.equal(s.code, 0, s.stderr);
      const ups = () =>
        logText(name)
          .split('\n')
          .filter((l) => l.startsWith('up '));
      await waitFor(() => ups().length === 1, 5000, 'up');
      const a = await run('env', [
        '-i',
        `PATH=${process.env.PATH}`,
        `DAEMONKIT_HOME=${h.home}`,
        NODE,
        FIXTURE,
        name,
        'restart',
      ]);
      assert.equal(a.code, 0, a.stderr);
      await waitFor(() => ups().length === 2, 5000, 'up again');
      assert.match(ups()[1], new RegExp(`FEATURE_X=on HOME=${process.env.HOME}$`));
      const b = await run('env', [
        '-i',
        `PATH=${process.env.PATH}`,
        `DAEMONKIT_HOME=${h.home}`,
        NODE,
        FIXTURE,
        name,
        'restart',
        '--update-env',
      ]);
      assert.equal(b.code, 0, b.stderr);
      await waitFor(() => ups().length === 3, 5000, 'up a third time');
      assert.match(ups()[2], /FEATURE_X=\(unset\) HOME=\(unset\)$/);
      assert.equal((await run(NODE, [FIXTURE, name, 'stop'], { env: h.env })).code, 0);
    });
  }
});
