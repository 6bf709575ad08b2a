// Fault suite: kill -9 of the COMMAND, of the supervisor, of both.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exits, groupPids, isAlive, readJson, startedPids, waitFor } from '../helpers.mjs';
import {
  assertNothingLeft,
  assertUntouched,
  bystander,
  describeProcs,
  faultHome,
  guarded,
} from './helpers.mjs';

const h = faultHome();
after(() => h.cleanup());

async function startSleep(name, extra = []) {
  const r = await h.dkT([
    'start',
    '--name',
    name,
    '--grace',
    '0',
    ...extra,
    '--',
    '/bin/sleep',
    '1000',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const pids = startedPids(r.stdout);
  assert.ok(pids?.childPid, r.stdout);
  return pids;
}

async function statusJson(name) {
  const r = await h.dkT(['status', '--name', name, '--json']);
  return { code: r.code, json: JSON.parse(r.stdout) };
}

/** The service's COMMANDs: this home's live `/bin/sleep 1000` processes. */
const commands = () => h.leftovers().filter((p) => p.args === '/bin/sleep 1000');

describe('kill -9 of the COMMAND', () => {
  for (const [label, delayMs] of [
    ['at once', 0],
    ['after 500 ms', 500],
  ]) {
    it(
      `${label}: the supervisor records it (status 1, lastExit.signal SIGKILL, not by stop) and exits; start works again`,
      guarded(h, async () => {
        const name = `kc${delayMs}`;
        const { pid, childPid } = await startSleep(name);
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
        process.kill(childPid, 'SIGKILL');
        await waitFor(() => !isAlive(pid), 5000, 'supervisor exit');
        const { code, json } = await statusJson(name);
        assert.equal(code, 1, JSON.stringify(json));
        assert.equal(json.running, false);
        assert.equal(json.lastExit?.signal, 'SIGKILL', JSON.stringify(json));
        assert.equal(json.lastExit?.code, null);
        assert.equal(json.lastExit?.byStop, false);
        await assertNothingLeft(h);

        const again = await startSleep(name);
        assert.notEqual(again.pid, pid);
        assert.equal((await statusJson(name)).code, 0);
        const stop = await h.dkT(['stop', '--name', name]);
        assert.equal(stop.code, 0, stop.stderr);
        await exits(again.pid);
        assert.deepEqual(groupPids(again.childPid), []);
        await assertNothingLeft(h);
      }),
    );
  }
});

describe('kill -9 of the supervisor', () => {
  it(
    'status says dead (exit 1, stale pidfile); stop exits 0 and signals no unrelated process (nor one whose pid the pidfile names)',
    guarded(h, async () => {
      const name = 'ks';
      const { pid, childPid } = await startSleep(name);
      await waitFor(
        () => readJson(join(h.dir(name), 'state.json'))?.handlesSignals,
        5000,
        'supervisor booted',
      );
      const unrelated = await bystander(h);
      process.kill(pid, 'SIGKILL');
      await waitFor(() => !isAlive(pid), 5000, 'supervisor killed');

      const s = await h.dkT(['status', '--name', name]);
      assert.equal(s.code, 1, s.stdout);
      assert.match(s.stdout, /dead/);
      const { code, json } = await statusJson(name);
      assert.equal(code, 1);
      assert.equal(json.running, false);

      const stop = await h.dkT(['stop', '--name', name]);
      assert.equal(stop.code, 0, stop.stderr);
      assertUntouched(unrelated, 'unrelated process');

      // The supervisor's pid is recycled by an unrelated process: stop must not signal it either.
      const recycled = await bystander(h);
      writeFileSync(join(h.dir(name), 'pid'), `${recycled}\n`);
      const stop2 = await h.dkT(['stop', '--name', name]);
      assert.equal(stop2.code, 0, stop2.stderr);
      assert.match(stop2.stderr, new RegExp(`pid ${recycled}\\b.*not signalled`));
      assertUntouched(recycled, 'process with the recycled pid');
      assertUntouched(unrelated, 'unrelated process');
      assert.equal(
        readFileSync(join(h.dir(name), 'pid'), 'utf8'),
        `${recycled}\n`,
        'a pidfile it does not own is left alone',
      );
      // The orphaned COMMAND (issue 3's business) is ours: clear it by pid (the guard reaps it
      // too).
      try {
        process.kill(childPid, 'SIGKILL');
      } catch {
        // already stopped by an orphan-aware stop
      }
    }),
  );

  it(
    'start after the supervisor was killed does not create a second COMMAND while the orphan runs; stop then leaves none',
    guarded(h, async () => {
      const name = 'korphan';
      const { pid, childPid } = await startSleep(name);
      await waitFor(
        () => readJson(join(h.dir(name), 'state.json'))?.handlesSignals,
        5000,
        'supervisor booted',
      );
      process.kill(pid, 'SIGKILL');
      await waitFor(() => !isAlive(pid), 5000, 'supervisor killed');
      assert.ok(isAlive(childPid), 'the orphaned COMMAND runs on');
      const again = await h.dkT([
        'start',
        '--name',
        name,
        '--grace',
        '0',
        '--',
        '/bin/sleep',
        '1000',
      ]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(commands().length, 1, `exactly one COMMAND:\n${describeProcs(h.leftovers())}`);
      const stop = await h.dkT(['stop', '--name', name]);
      assert.equal(stop.code, 0, stop.stderr);
      await assertNothingLeft(h);
    }),
  );

  it(
    'stop after the supervisor was killed stops the orphaned COMMAND too (found by its recorded group and identity)',
    guarded(h, async () => {
      const name = 'korphan2';
      const { pid, childPid } = await startSleep(name);
      await waitFor(
        () => readJson(join(h.dir(name), 'state.json'))?.handlesSignals,
        5000,
        'supervisor booted',
      );
      process.kill(pid, 'SIGKILL');
      await waitFor(() => !isAlive(pid), 5000, 'supervisor killed');
      const stop = await h.dkT(['stop', '--name', name]);
      assert.equal(stop.code, 0, stop.stderr);
      assert.equal(isAlive(childPid), false, 'orphaned COMMAND still runs');
      await assertNothingLeft(h);
    }),
  );
});

describe('kill -9 of both', () => {
  it(
    'supervisor and COMMAND killed: status exits 1, start works (one COMMAND), stop leaves nothing',
    guarded(h, async () => {
      const name = 'kb';
      const { pid, childPid } = await startSleep(name);
      process.kill(pid, 'SIGKILL');
      process.kill(-childPid, 'SIGKILL');
      await waitFor(() => !isAlive(pid) && groupPids(childPid).length === 0, 5000, 'both gone');
      await assertNothingLeft(h);
      const s = await h.dkT(['status', '--name', name]);
      assert.equal(s.code, 1, s.stdout);
      assert.match(s.stdout, /dead/);
      const again = await startSleep(name);
      assert.notEqual(again.pid, pid);
      assert.equal(readFileSync(join(h.dir(name), 'pid'), 'utf8'), `${again.pid}\n`);
      assert.deepEqual(
        commands().map((p) => p.pid),
        [again.childPid],
      );
      assert.equal((await h.dkT(['status', '--name', name])).code, 0);
      const stop = await h.dkT(['stop', '--name', name]);
      assert.equal(stop.code, 0, stop.stderr);
      await assertNothingLeft(h);
      assert.equal((await h.dkT(['status', '--name', name])).code, 3);
    }),
  );
});
