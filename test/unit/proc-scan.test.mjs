// withOneProcScan: list and top read every service's process group from one scan of /proc; what
// a group's members are must not change by it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { groupMembers, withOneProcScan } from '../../dist/sys/proc.js';

test("a group's members are the same from one shared scan as from a scan of their own", async (t) => {
  // A group of three: a shell (the leader) and two sleeps.
  const sh = spawn('sh', ['-c', 'sleep 1000 & sleep 1000 & wait'], {
    detached: true,
    stdio: 'ignore',
  });
  t.after(() => process.kill(-sh.pid, 'SIGKILL'));
  for (let i = 0; i < 200 && groupMembers(sh.pid).length < 3; i++)
    await new Promise((r) => setTimeout(r, 10));
  const own = groupMembers(sh.pid).sort();
  assert.equal(own.length, 3);
  const shared = withOneProcScan(() => {
    const first = groupMembers(sh.pid);
    first.push(1); // a copy: the scan itself is not changed by a caller
    return [
      groupMembers(sh.pid).sort(),
      groupMembers(process.pid),
      withOneProcScan(() => groupMembers(sh.pid).sort()),
    ];
  });
  assert.deepEqual(shared, [own, groupMembers(process.pid), own]);
  assert.deepEqual(groupMembers(-1), []);
});
