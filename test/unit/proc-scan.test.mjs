// withOneProcScan: list and top read every service's process group from one scan of /proc; what
// a group's members are must not change by it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { withOneProcScan } from '../../dist/sys/proc.js';
import { groupMembers } from '../../dist/sys/proc-groups.js';

/** A group of three: a shell (the leader) and two sleeps, all there; killed after the test. */
async function groupOfThree(t) {
  const sh = spawn('sh', ['-c', 'sleep 1000 & sleep 1000 & wait'], {
    detached: true,
    stdio: 'ignore',
  });
  t.after(() => process.kill(-sh.pid, 'SIGKILL'));
  for (let i = 0; i < 200 && groupMembers(sh.pid).length < 3; i++)
    await new Promise((r) => setTimeout(r, 10));
  return sh;
}

test("a group's members are the same from one shared scan as from a scan of their own", async (t) => {
  const sh = await groupOfThree(t);
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

/** A sleep, asleep (its exec done), then stopped by SIGSTOP when `stop`. */
async function sleeper(t, stop) {
  const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  const state = () => {
    try {
      return readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1][0];
    } catch {
      return null;
    }
  };
  const until = async (want) => {
    for (let i = 0; i < 500 && state() !== want; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(state(), want);
  };
  await until('S');
  if (stop) {
    process.kill(child.pid, 'SIGSTOP');
    await until('T');
  }
  return { pid: child.pid, state, until };
}

test("within one scan a process's stat and status are read once (a snapshot); outside, afresh", async (t) => {
  const { readProcStat } = await import('../../dist/sys/proc.js');
  const { readProcStatus } = await import('../../dist/sys/proc-status.js');
  const child = await sleeper(t, false);
  const inScan = withOneProcScan(() => {
    const before = [readProcStat(child.pid).state, readProcStatus(child.pid).State[0]];
    process.kill(child.pid, 'SIGSTOP');
    for (let i = 0; i < 500 && child.state() !== 'T'; i++)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    return [before, [readProcStat(child.pid).state, readProcStatus(child.pid).State[0]]];
  });
  assert.deepEqual(
    inScan,
    [
      ['S', 'S'],
      ['S', 'S'],
    ],
    'the same answers within the scan',
  );
  assert.equal(readProcStat(child.pid).state, 'T', 'outside it, read afresh: stopped');
  assert.equal(readProcStatus(child.pid).State[0], 'T');
});

test("a process's memory is its VmRSS (the kernel's exact sum; /proc/PID/stat's pages are not)", async (t) => {
  const { usageOf } = await import('../../dist/service/usage.js');
  const child = await sleeper(t, true); // stopped: its memory stays as it is
  const vmRss = Number(
    /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1],
  );
  assert.ok(vmRss > 0);
  assert.equal(usageOf([child.pid]).rssBytes, vmRss * 1024);
});

test('one field of /proc/PID/status is the field readProcStatus gives; an absent one is null', async (t) => {
  const { procStatusField, readProcStatus, processUids } = await import(
    '../../dist/sys/proc-status.js'
  );
  const child = await sleeper(t, true); // stopped: its counters stay as they are
  const all = readProcStatus(child.pid);
  assert.ok(Object.keys(all).length > 20);
  for (const [field, value] of Object.entries(all))
    assert.equal(procStatusField(child.pid, field), value, field);
  assert.equal(procStatusField(child.pid, 'Nope'), null);
  assert.equal(procStatusField(child.pid, 'Uid:'), null);
  assert.equal(procStatusField(0x7ffffff, 'Uid'), null, 'no such process');
  assert.deepEqual(processUids(child.pid), {
    real: process.getuid(),
    effective: process.geteuid(),
  });
});

test('procScan: every process’s stat line taken apart in C as readProcStat takes it (a comm with spaces and parentheses too)', async (t) => {
  const { procScan } = await import('../../dist/sys/native.js');
  const { readProcStat } = await import('../../dist/sys/proc.js');
  const { mkdtempSync, rmSync, symlinkSync, readdirSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'dk-scan-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const odd = join(dir, 'a) (b c');
  symlinkSync('/bin/sleep', odd); // its comm is the link's name
  const child = spawn(odd, ['1000'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  const comm = () => {
    try {
      return readFileSync(`/proc/${child.pid}/comm`, 'utf8');
    } catch {
      return null;
    }
  };
  for (let i = 0; i < 500 && comm() !== 'a) (b c\n'; i++)
    await new Promise((r) => setTimeout(r, 5));
  process.kill(child.pid, 'SIGSTOP'); // its figures stay as they are
  for (let i = 0; i < 500 && readProcStat(child.pid).state !== 'T'; i++)
    await new Promise((r) => setTimeout(r, 5));
  const rows = procScan();
  const ROW = 11;
  const pids = [];
  for (let at = 0; at < rows.length; at += ROW) pids.push(rows[at]);
  assert.deepEqual(
    pids,
    [...pids].sort((a, b) => a - b),
    'by increasing pid',
  );
  const listed = readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number);
  assert.ok(listed.includes(child.pid) && pids.includes(child.pid) && pids.includes(process.pid));
  const at = pids.indexOf(child.pid) * ROW;
  const st = readProcStat(child.pid);
  assert.equal(st.state, 'T');
  assert.deepEqual(Array.from(rows.subarray(at, at + ROW)), [
    st.pid,
    st.state.charCodeAt(0),
    st.ppid,
    st.pgrp,
    st.session,
    st.ttyNr,
    st.startTime,
    st.rssPages,
    st.cpuTicks,
    st.childCpuTicks,
    st.flags,
  ]);
  assert.equal(st.ppid, process.pid);
});

test('procScan(groups): only the members of those groups are read (getpgid first); the other rows say -2', async (t) => {
  const { procScan } = await import('../../dist/sys/native.js');
  const sh = await groupOfThree(t);
  const rows = procScan(Float64Array.from([sh.pid, 0x7ffffff0]));
  const read = [];
  let notRead = 0;
  for (let at = 0; at < rows.length; at += 11) {
    if (rows[at + 1] === -2) notRead++;
    else if (rows[at + 1] > 0) {
      assert.equal(rows[at + 3], sh.pid, `pid ${rows[at]} read: it is in the group`);
      read.push(rows[at]);
    }
  }
  assert.deepEqual(read.sort(), groupMembers(sh.pid).sort());
  assert.ok(notRead > 0, 'our own process, among others, not read');
  assert.throws(() => procScan([sh.pid]), TypeError, 'groups are a Float64Array');
});

test('within a scan, the expected groups come from their members’ lines alone; another group, and any process, as a scan of everything says', async (t) => {
  const { readProcStat } = await import('../../dist/sys/proc.js');
  const { expectGroups } = await import('../../dist/sys/proc-groups.js');
  const sh = spawn('sh', ['-c', 'sleep 1000 & wait'], { detached: true, stdio: 'ignore' });
  t.after(() => process.kill(-sh.pid, 'SIGKILL'));
  for (let i = 0; i < 200 && groupMembers(sh.pid).length < 2; i++)
    await new Promise((r) => setTimeout(r, 10));
  const ours = readProcStat(process.pid).pgrp;
  const outside = [groupMembers(sh.pid).sort(), groupMembers(ours).sort()];
  const inside = withOneProcScan(() => {
    expectGroups([sh.pid]);
    const expected = groupMembers(sh.pid).sort();
    const parent = readProcStat(process.ppid); // not read by the scan: read on its own
    return [expected, groupMembers(ours).sort(), parent?.pid, groupMembers(sh.pid).sort()];
  });
  assert.deepEqual(inside, [outside[0], outside[1], process.ppid, outside[0]]);
});
