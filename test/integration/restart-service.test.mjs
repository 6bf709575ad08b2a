// The library restarts as `daemonkit restart` does (src/restart.ts): restartService changes
// exactly the options given, keeps the recorded COMMAND and environment, and refuses bad options
// before anything stops.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { NODE, ROOT, isAlive, makeHome, readJson, run, startedPids } from '../helpers.mjs';

const h = makeHome();
after(() => h.cleanup());

const spec = (name) => readJson(join(h.dir(name), 'spec.json'));
const LIB = join(ROOT, 'dist', 'index.js');

/** restartService(name, options) in a program of its own: its result, or its error's code and
 *  problems, as JSON on stdout. */
async function restartService(name, options) {
  const program = `
    const { restartService, servicePaths } = await import(${JSON.stringify(LIB)});
    try {
      const r = await restartService(servicePaths({ name: ${JSON.stringify(name)} }), ${JSON.stringify(options)});
      process.stdout.write(JSON.stringify(r));
    } catch (e) {
      process.stdout.write(JSON.stringify({ code: e.code, problems: e.details?.problems ?? null }));
    }`;
  const r = await run(NODE, ['--input-type=module', '-e', program], {
    env: { ...h.env, FROM_CALLER: 'yes' },
  });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe('restartService', () => {
  it('lays the given options over the recorded ones and starts again', async () => {
    const s = await h.dk(
      [
        'start',
        '--name',
        'lib1',
        '--grace',
        '0',
        '--restart',
        'always',
        '--env',
        'A=1',
        '--',
        'sleep',
        '1000',
      ],
      { env: { FROM_START: 'yes' } },
    );
    assert.equal(s.code, 0, s.stderr);
    const before = startedPids(s.stdout).pid;
    const r = await restartService('lib1', { options: { env: ['B=2'], restartDelay: '30ms' } });
    assert.equal(r.started, true, JSON.stringify(r));
    assert.notEqual(r.pid, before);
    assert.equal(isAlive(before), false, 'the old supervisor stopped');
    assert.deepEqual(r.notes, []);
    const rec = spec('lib1');
    assert.deepEqual(rec.envOverrides, ['A=1', 'B=2']);
    assert.deepEqual([rec.restart.restart, rec.restart.delayMs], ['always', 30]);
    assert.equal(rec.command.at(-1), '1000', 'the recorded COMMAND');
    // the environment recorded at start, not the caller's
    assert.equal(readJson(join(h.dir('lib1'), 'env.json')).env.FROM_START, 'yes');
    assert.equal(readJson(join(h.dir('lib1'), 'env.json')).env.FROM_CALLER, undefined);
  });

  it("cleared options go back to their defaults; updateEnv takes the caller's environment", async () => {
    const r = await restartService('lib1', { cleared: ['env'], updateEnv: true });
    assert.equal(r.started, true, JSON.stringify(r));
    assert.deepEqual(spec('lib1').envOverrides, []);
    assert.equal(readJson(join(h.dir('lib1'), 'env.json')).env.FROM_CALLER, 'yes');
  });

  it('a bad option is BAD_OPTION with every problem, and nothing stops', async () => {
    const { pid } = readJson(join(h.dir('lib1'), 'state.json'));
    const r = await restartService('lib1', { options: { logKeep: '2', restartDelay: 'soon' } });
    assert.equal(r.code, 'BAD_OPTION');
    assert.equal(r.problems.length, 2, r.problems.join('\n'));
    assert.equal(isAlive(pid), true, 'nothing stopped');
  });

  it('a name never started, without a COMMAND, is NO_SUCH_SERVICE', async () => {
    assert.equal((await restartService('never', {})).code, 'NO_SUCH_SERVICE');
  });
});
