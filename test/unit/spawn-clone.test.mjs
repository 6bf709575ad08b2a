// A supervisor's COMMAND is made by clone(CLONE_VM) (native/spawn.c fork_exec), not fork: the
// child runs in our memory until it execs, so no page table is copied and no page we write
// afterwards faults. And its steps before exec are over before forked(pid) runs: a step that
// fails (here chdir) is thrown without forked being called.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { pidfdOpen, pidfdWaitSync, spawnProcess, waitChild } from '../../dist/sys/native.js';

const vsize = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[20]);
};

function spec(extra = {}) {
  const devNull = openSync('/dev/null', 'r+');
  return {
    devNull,
    spec: {
      file: '/bin/true',
      argv: ['/bin/true'],
      envp: [],
      fds: [devNull, devNull, devNull],
      cwd: '/',
      setsid: true,
      ...extra,
    },
  };
}

/** Reap a child of ours that has exec'd /bin/true. */
function reap(pid) {
  const fd = pidfdOpen(pid);
  try {
    pidfdWaitSync([fd], 10_000);
  } finally {
    closeSync(fd);
  }
  assert.deepEqual(waitChild(pid), { code: 0, signal: null });
}

describe('spawnProcess', () => {
  test('the held child shares our memory: what we map meanwhile is in its address space too', () => {
    const { devNull, spec: s } = spec();
    const MIB = 1024 * 1024;
    let big;
    let theirs;
    let ours;
    const pid = spawnProcess(s, (child) => {
      big = Buffer.alloc(64 * MIB, 1); // a mapping of its own, made after the clone
      theirs = vsize(child);
      ours = vsize(process.pid);
    });
    closeSync(devNull);
    reap(pid);
    assert.equal(big.length, 64 * MIB);
    // A forked copy would lack those 64 MiB; ours may have moved a little meanwhile (threads).
    assert.ok(Math.abs(ours - theirs) < 16 * MIB, `ours ${ours}, the child's ${theirs}`);
  });

  test('a step before exec that fails is thrown, and forked is never called (nothing ran)', () => {
    const { devNull, spec: s } = spec({ cwd: '/nonexistent-dir-of-daemonkit-test' });
    let called = false;
    assert.throws(
      () =>
        spawnProcess(s, () => {
          called = true;
        }),
      (e) => e.code === 'ENOENT' && e.step === 'chdir',
    );
    closeSync(devNull);
    assert.equal(called, false);
  });
});
