// Foreground `run` as a container's entry point: signals passed on, exit codes, PID 1 reaping.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, NODE, REPORTER, makeHome, readJson, run, waitFor, waitReport } from '../helpers.mjs';

const h = makeHome();
const work = mkdtempSync(join(tmpdir(), 'dk-ctr-'));
after(async () => {
  await h.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('run forwards signals', () => {
  it('HUP, USR1 and USR2 reach the COMMAND; TERM reaches it too, and run exits with its code', async () => {
    const report = join(work, 'fwd.json');
    const child = spawn(NODE, [CLI, 'run', '--name', 'fwd', '--grace', '0', '--', NODE, REPORTER], {
      env: { ...process.env, ...h.env, REPORT_FILE: report, TERM_DELAY_MS: '0' },
      stdio: 'ignore',
    });
    h.track(child.pid);
    const exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => resolve(code ?? signal)),
    );
    await waitReport(report, (r) => r.ready);
    await waitFor(
      () => readJson(join(h.dir('fwd'), 'state.json'))?.handlesSignals,
      5000,
      'run ready',
    );
    for (const sig of ['SIGHUP', 'SIGUSR1', 'SIGUSR2']) {
      child.kill(sig);
      await waitReport(report, (r) => r.signals.includes(sig));
    }
    child.kill('SIGTERM');
    await waitReport(report, (r) => r.signals.includes('SIGTERM'));
    assert.equal(await exited, 0, 'the reporter exits 0 on TERM, and so does run');
  });
});

describe('PID 1 in a container', {
  skip: process.getuid() !== 0 && 'needs root for unshare --pid',
}, () => {
  it('reaps orphans re-parented to it: no zombies are left', async () => {
    const script = join(work, 'orphans.sh');
    // Three grandchildren orphaned at once; they exit while PID 1 is their parent.
    writeFileSync(
      script,
      "for i in 1 2 3; do ( sleep 0.1 & ); done\nsleep 0.6\nps -eo stat= | grep -c '^Z' || true\n",
    );
    const r = await run(
      'unshare',
      [
        '--pid',
        '--fork',
        '--mount-proc',
        NODE,
        CLI,
        'run',
        '--name',
        'pid1',
        '--grace',
        '0',
        '--',
        'sh',
        script,
      ],
      { env: h.env },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '0', 'zombies in the namespace');
    // The same without daemonkit as PID 1: a Node PID 1 leaves them (so the check above can fail).
    const bare = await run('unshare', [
      '--pid',
      '--fork',
      '--mount-proc',
      NODE,
      '-e',
      `require('child_process').spawnSync('sh', [${JSON.stringify(script)}], { stdio: 'inherit' })`,
    ]);
    assert.equal(bare.stdout.trim(), '3');
  });
});
