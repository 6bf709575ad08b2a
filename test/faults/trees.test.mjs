// Fault suite: COMMANDs that fork grandchildren, escape their process group, stop themselves
// or ignore SIGTERM: `stop` must leave nothing.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { exits, groupPids, procStat, readJson, startedPids, waitFor } from '../helpers.mjs';
import { assertNothingLeft, describeProcs, faultHome, guarded, waitJson } from './helpers.mjs';

const h = faultHome();
after(() => h.cleanup());

async function start(name, command, grace = '0') {
  const r = await h.dkT(['start', '--name', name, '--grace', grace, '--', ...command]);
  assert.equal(r.code, 0, r.stderr);
  return startedPids(r.stdout);
}

describe('process trees', () => {
  it(
    "a COMMAND with two grandchildren (sh -c 'sleep 1000 & sleep 1000 & wait'): stop exits 0 and leaves nothing of the group, the supervisor gone",
    guarded(h, async () => {
      const { pid, childPid } = await start('tree', ['sh', '-c', 'sleep 1000 & sleep 1000 & wait']);
      await waitFor(() => groupPids(childPid).length === 3, 5000, 'two grandchildren');
      const stop = await h.dkT(['stop', '--name', 'tree']);
      assert.equal(stop.code, 0, stop.stderr);
      assert.deepEqual(groupPids(childPid), []);
      await exits(pid);
      await assertNothingLeft(h);
    }),
  );

  it(
    'a grandchild re-parented to init but still in the group ((sleep 1000 &); the COMMAND goes on): stop leaves nothing',
    guarded(h, async () => {
      const { childPid } = await start('reparented', [
        'sh',
        '-c',
        '(sleep 1000 &); exec sleep 1000',
      ]);
      await waitFor(
        () =>
          h
            .leftovers()
            .some(
              (p) =>
                p.args === 'sleep 1000' && p.stat.ppid !== childPid && p.stat.pgrp === childPid,
            ),
        5000,
        'a re-parented grandchild',
      );
      const stop = await h.dkT(['stop', '--name', 'reparented']);
      assert.equal(stop.code, 0, stop.stderr);
      assert.deepEqual(groupPids(childPid), []);
      await assertNothingLeft(h);
    }),
  );

  it(
    'a COMMAND whose grandchild calls setsid (leaves the process group, daemonizes itself): stop leaves nothing',
    guarded(h, async () => {
      const { childPid } = await start('escape', ['sh', '-c', 'setsid sleep 1000 & wait'], '300');
      await waitFor(
        () => h.leftovers().some((p) => p.args === 'sleep 1000' && p.stat.session !== childPid),
        5000,
        'the setsid grandchild',
      );
      const stop = await h.dkT(['stop', '--name', 'escape']);
      assert.equal(stop.code, 0, stop.stderr);
      assert.deepEqual(groupPids(childPid), []);
      await assertNothingLeft(h, 'escaped the process group and survived stop');
    }),
  );

  it(
    "a double fork with setsid in the COMMAND's first moment ((setsid sleep 1003 &), while the supervisor is still booting): the escapee is the supervisor's (ppid), not init's, and stop leaves nothing",
    guarded(h, async () => {
      const { pid } = await start('early-escape', [
        'sh',
        '-c',
        '(setsid sleep 1003 &); sleep 1000',
      ]);
      await waitFor(
        () => h.leftovers().some((p) => p.args === 'sleep 1003'),
        5000,
        'the escaped grandchild',
      );
      const escapee = h.leftovers().find((p) => p.args === 'sleep 1003');
      assert.equal(
        escapee.stat.ppid,
        pid,
        `re-parented to the supervisor (${pid}), not to ${escapee.stat.ppid}`,
      );
      const stop = await h.dkT(['stop', '--name', 'early-escape']);
      assert.equal(stop.code, 0, stop.stderr);
      await assertNothingLeft(h, 'escaped the process group early and survived stop');
    }),
  );

  it(
    "a COMMAND that ignores SIGTERM (trap '' TERM): stop --retry TERM/1/KILL/5 exits 0 after about 1 s, leaves nothing, and lastExit.signal is SIGKILL (by stop)",
    guarded(h, async () => {
      const { pid, childPid } = await start('stubborn', [
        'sh',
        '-c',
        "trap '' TERM; while :; do sleep 1; done",
      ]);
      await waitJson(join(h.dir('stubborn'), 'state.json'), (st) => st.handlesSignals);
      const t0 = Date.now();
      const stop = await h.dkT(['stop', '--name', 'stubborn', '--retry', 'TERM/1/KILL/5']);
      const took = Date.now() - t0;
      assert.equal(stop.code, 0, stop.stderr);
      assert.ok(took >= 900 && took < 5000, `stop took ${took} ms (TERM, 1 s wait, KILL)`);
      assert.deepEqual(groupPids(childPid), []);
      await exits(pid);
      const st = await h.dkT(['status', '--name', 'stubborn', '--json']);
      const json = JSON.parse(st.stdout);
      assert.equal(st.code, 3, st.stdout);
      assert.equal(json.lastExit.signal, 'SIGKILL');
      assert.equal(json.lastExit.byStop, true);
      await assertNothingLeft(h);
    }),
  );

  it(
    'a stopped COMMAND (SIGSTOP): stop still ends it promptly (each signal is followed by SIGCONT), exit 0, nothing left',
    guarded(h, async () => {
      const { childPid } = await start('frozen', ['/bin/sleep', '1000']);
      await waitJson(join(h.dir('frozen'), 'state.json'), (st) => st.handlesSignals);
      process.kill(childPid, 'SIGSTOP');
      await waitFor(() => procStat(childPid)?.state === 'T', 5000, 'stopped');
      const t0 = Date.now();
      const stop = await h.dkT(['stop', '--name', 'frozen']);
      assert.equal(stop.code, 0, stop.stderr);
      assert.ok(Date.now() - t0 < 3000, `stop took ${Date.now() - t0} ms`);
      assert.equal(readJson(join(h.dir('frozen'), 'state.json')).lastExit.signal, 'SIGTERM');
      await assertNothingLeft(h);
    }),
  );

  it(
    'a COMMAND that exits on TERM but leaves a TERM-ignoring grandchild: stop --retry TERM/0.5/KILL/5 exits 0 and its KILL reaches the grandchild: nothing left',
    guarded(h, async () => {
      const { childPid } = await start('straggler', [
        'sh',
        '-c',
        "(trap '' TERM; while :; do sleep 1; done) & exec sleep 1000",
      ]);
      await waitFor(() => groupPids(childPid).length >= 2, 5000, 'the grandchild');
      await waitJson(join(h.dir('straggler'), 'state.json'), (st) => st.handlesSignals);
      const stop = await h.dkT(['stop', '--name', 'straggler', '--retry', 'TERM/0.5/KILL/5']);
      assert.equal(stop.code, 0, stop.stderr);
      assert.deepEqual(groupPids(childPid), [], describeProcs(h.leftovers()));
      await assertNothingLeft(h);
    }),
  );
});
