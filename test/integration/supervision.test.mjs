// Restart policies, backoff, crash loops and stop during a backoff, on real processes.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  exits,
  groupPids,
  isAlive,
  makeHome,
  readJson,
  startedPids,
  waitFor,
} from '../helpers.mjs';
import { verifyUnit } from '../systemd-verify.mjs';

const h = makeHome();
after(() => h.cleanup());
const state = (name) => readJson(join(h.dir(name), 'state.json'));

describe('restart policy', () => {
  it('on-failure restarts a crashed COMMAND with a new pid, and counts it', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'crashy',
      '--grace',
      '0',
      '--restart',
      'on-failure',
      '--restart-delay',
      '50ms',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { pid, childPid } = startedPids(r.stdout);
    process.kill(childPid, 'SIGKILL');
    const next = await waitFor(
      () => {
        const s = state('crashy');
        return s?.state === 'running' && s.childPid !== childPid && isAlive(s.childPid) ? s : null;
      },
      5000,
      'a new COMMAND',
    );
    assert.equal(next.pid, pid, 'same supervisor');
    assert.equal(next.restarts, 1);
    assert.equal(next.lastExit.signal, 'SIGKILL');
    const j = JSON.parse((await h.dk(['status', '--name', 'crashy', '--json'])).stdout);
    assert.equal(j.code, 0);
    assert.equal(j.restarts, 1);
    assert.equal(j.childPid, next.childPid);
    assert.equal(j.exits.length, 1);
    const v = await h.dk(['status', '--name', 'crashy', '-v']);
    assert.match(v.stdout, /1 restart\n/);
    assert.match(v.stdout, /exits \(oldest first\):\n {4}killed by SIGKILL at /);
    assert.equal((await h.dk(['stop', '--name', 'crashy'])).code, 0);
    assert.equal(isAlive(next.childPid), false);
    assert.equal(state('crashy').state, 'stopped');
  });

  it('on-failure does not restart a clean exit; always does', async () => {
    const a = await h.dk([
      'start',
      '--name',
      'clean',
      '--grace',
      '0',
      '--restart',
      'on-failure',
      '--',
      'sh',
      '-c',
      'sleep 0.2',
    ]);
    const { pid } = startedPids(a.stdout);
    await waitFor(() => !isAlive(pid), 5000, 'supervisor exit');
    assert.equal(state('clean').state, 'exited');
    assert.equal(state('clean').restarts, 0);
    const b = await h.dk([
      'start',
      '--name',
      'again',
      '--grace',
      '0',
      '--restart',
      'always',
      '--restart-delay',
      '10ms',
      '--min-uptime',
      '1s',
      '--',
      'sh',
      '-c',
      'sleep 0.1',
    ]);
    assert.equal(b.code, 0, b.stderr);
    await waitFor(() => state('again')?.restarts >= 2, 5000, 'two restarts');
    assert.equal((await h.dk(['stop', '--name', 'again'])).code, 0);
  });

  it('gives up after more than --max-restarts within the window: failed (crash loop), status 1', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'loop',
      '--grace',
      '0',
      '--restart',
      'always',
      '--restart-delay',
      '10ms',
      '--restart-max-delay',
      '20ms',
      '--max-restarts',
      '3',
      '--',
      'sh',
      '-c',
      'exit 4',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { pid } = startedPids(r.stdout);
    await waitFor(() => !isAlive(pid), 10000, 'supervisor gives up');
    const s = state('loop');
    assert.equal(s.state, 'failed');
    assert.equal(s.restarts, 3);
    assert.match(s.error, /^crash loop: more than 3 restarts within 60s; last exited with code 4$/);
    const st = await h.dk(['status', '--name', 'loop']);
    assert.equal(st.code, 1);
    assert.match(
      st.stdout,
      /^loop: dead \(failed\) after 3 restarts; last exit: exited with code 4 .*; crash loop/,
    );
  });

  it('a restart that cannot exec counts as a failed run (code 127): the log says why, the policy decides', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dk-vanish-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const script = join(dir, 'vanish.sh');
    // Runs once: it removes itself, so the restart finds nothing to execute.
    writeFileSync(script, '#!/bin/sh\nrm -f "$0"\nsleep 0.2\nexit 1\n', { mode: 0o755 });
    const log = join(dir, 'vanish.log');
    const r = await h.dk([
      'start',
      '--name',
      'vanish',
      '--restart',
      'on-failure',
      '--restart-delay',
      '20ms',
      '--max-restarts',
      '2',
      '--grace',
      '100ms',
      '--stdout',
      log,
      '--',
      script,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const s = await waitFor(() => (state('vanish')?.state === 'failed' ? state('vanish') : null));
    assert.equal(s.restarts, 2);
    assert.match(
      s.error,
      /^crash loop: more than 2 restarts within 60s; last exited with code 127$/,
    );
    const lines = readFileSync(log, 'utf8').trim().split('\n').slice(1);
    assert.match(lines.shift(), /^daemonkit: exited with code 1 after .*; restarting in 20ms$/);
    assert.deepEqual(lines, [
      `daemonkit: cannot execute ${script}: no such file`,
      'daemonkit: exited with code 127 after 0ms; restarting in 40ms',
      `daemonkit: cannot execute ${script}: no such file`,
      'daemonkit: exited with code 127 after 0ms; giving up: crash loop: more than 2 restarts within 60s',
    ]);
  });
  it('a stop during a backoff wait stops at once, and no restart follows', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'waiting',
      '--grace',
      '0',
      '--restart',
      'on-failure',
      '--restart-delay',
      '1h',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    const { pid, childPid } = startedPids(r.stdout);
    process.kill(childPid, 'SIGKILL');
    await waitFor(() => state('waiting')?.state === 'backoff', 5000, 'backoff');
    const st = await h.dk(['status', '--name', 'waiting']);
    assert.equal(st.code, 0);
    assert.match(
      st.stdout,
      /^waiting: backoff, pid \d+, restarting in \d+s \(killed by SIGKILL after (\d+ms|[0-9.]+s)\), service up /,
    );
    const stop = await h.dk(['stop', '--name', 'waiting']);
    assert.equal(stop.code, 0, stop.stderr);
    await exits(pid);
    assert.equal(state('waiting').state, 'stopped');
  });

  it('restart keeps the recorded policy', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'keep',
      '--grace',
      '0',
      '--restart',
      'on-failure',
      '--restart-delay',
      '20ms',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await h.dk(['restart', '--name', 'keep'])).code, 0);
    const { childPid } = state('keep');
    process.kill(childPid, 'SIGKILL');
    await waitFor(
      () => state('keep')?.restarts === 1 && state('keep').state === 'running',
      5000,
      'restart by policy',
    );
  });

  it('invalid durations and modes are exit 2, naming the value', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'bad',
      '--restart',
      'sometimes',
      '--restart-delay',
      '5x',
      '--max-restarts',
      '-1',
      '--',
      'true',
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--restart 'sometimes'/);
    assert.match(r.stderr, /--restart-delay '5x'/);
    assert.match(r.stderr, /--max-restarts '-1'/);
  });
});

describe('when the supervisor itself dies', () => {
  it('kill -9 of the supervisor: status reports the orphan, start leaves exactly one COMMAND, stop leaves none', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'orphan',
      '--grace',
      '0',
      '--',
      'sh',
      '-c',
      'sleep 1000 & exec sleep 1001',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { pid, childPid } = startedPids(r.stdout);
    await waitFor(() => groupPids(childPid).length === 2, 5000, 'COMMAND and its child');
    // Killed once up: killed while node still boots, it would take its COMMAND with it (the guard).
    await waitFor(
      () => readJson(join(h.dir('orphan'), 'state.json'))?.handlesSignals,
      5000,
      'the supervisor up',
    );
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid), 5000, 'supervisor gone');
    const st = await h.dk(['status', '--name', 'orphan']);
    assert.equal(st.code, 1);
    assert.match(
      st.stdout,
      new RegExp(`still runs unsupervised \\(process group ${childPid}: pid `),
    );
    const again = await h.dk([
      'start',
      '--name',
      'orphan',
      '--grace',
      '0',
      '--',
      'sh',
      '-c',
      'sleep 1000 & exec sleep 1001',
    ]);
    assert.equal(again.code, 0, again.stderr);
    const second = startedPids(again.stdout);
    assert.deepEqual(groupPids(childPid), [], 'the orphaned group was stopped');
    await waitFor(() => groupPids(second.childPid).length === 2, 5000, 'the new COMMAND');
    // Exactly one COMMAND for this service: the new group only.
    const sleepers = readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .filter((p) => {
        try {
          return (
            /^sleep\x00100[01]\x00$/.test(readFileSync(`/proc/${p}/cmdline`, 'latin1')) &&
            readFileSync(`/proc/${p}/environ`, 'latin1').includes(`DAEMONKIT_HOME=${h.home}\0`)
          );
        } catch {
          return false;
        }
      });
    assert.equal(sleepers.length, 2, `one COMMAND and its child: ${sleepers}`);
    // Now orphan the new one too, and let stop find it.
    await waitFor(
      () => readJson(join(h.dir('orphan'), 'state.json'))?.handlesSignals,
      5000,
      'the second supervisor up',
    );
    process.kill(second.pid, 'SIGKILL');
    await waitFor(() => !isAlive(second.pid), 5000, 'second supervisor gone');
    const stop = await h.dk(['stop', '--name', 'orphan']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stderr, /still runs unsupervised.*; stopping it/);
    assert.deepEqual(groupPids(second.childPid), []);
    const after = await h.dk(['status', '--name', 'orphan']);
    assert.equal(after.code, 3, after.stdout);
  });
});

describe('list', () => {
  it('one row per service, as a table and as JSON', async () => {
    assert.equal(
      (await h.dk(['start', '--name', 'listed', '--grace', '0', '--', '/bin/sleep', '1000'])).code,
      0,
    );
    const table = await h.dk(['ls']);
    assert.equal(table.code, 0);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^NAME +STATE +PID +CMD PID +UPTIME +RESTARTS +MEMORY +CPU$/);
    assert.match(
      table.stdout,
      /\nlisted +running +\d+ +\d+ +(\d+ms|[0-9.]+s) +0 +[0-9.]+ (KiB|MiB) +[0-9.]+s\n/,
    );
    const rows = JSON.parse((await h.dk(['list', '--json'])).stdout);
    const row = rows.find((r) => r.name === 'listed');
    assert.equal(row.state, 'running');
    assert.equal(row.restarts, 0);
    assert.ok(rows.some((r) => r.name === 'loop' && r.state === 'failed'));
    assert.equal((await h.dk(['list', '--name', 'x'])).code, 2);
  });
});

describe('export systemd', () => {
  it('prints a unit that systemd-analyze verify accepts', async (t) => {
    const r = await h.dk([
      'export',
      'systemd',
      '--name',
      'web',
      '--restart',
      'on-failure',
      '--env',
      'MODE=prod',
      '--limit',
      'nofile=4096',
      '--user',
      'daemonkit-test',
      '--group',
      'daemonkit-test-extra',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ExecStart=\/bin\/sleep 1000$/m);
    assert.match(r.stdout, /^User=daemonkit-test\nGroup=daemonkit-test-extra$/m);
    assert.match(r.stdout, /^Restart=on-failure$/m);
    await verifyUnit(t, 'web', r.stdout); // RestartSteps= is systemd ≥ 254's: an older one warns
  });
  it('names the unit after the COMMAND, and needs a format', async () => {
    const r = await h.dk(['export', 'systemd', '--user', '--', '/bin/sleep', '1000']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Description=sleep \(daemonkit\)$/m);
    assert.match(r.stdout, /^WantedBy=default\.target$/m);
    assert.equal((await h.dk(['export', 'upstart', '--', 'true'])).code, 2);
  });
});
