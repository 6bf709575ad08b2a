// keepFdHints: while kept, lockHeld looks first where a process had the file open at its last
// walk. A hint is only where to look: an fd closed and reopened on another (locked) file since,
// or a lock released since, must not pass for a lock held on the first file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lockHeld } from '../../dist/sys/proc-fdinfo.js';
import { keepFdHints } from '../../dist/sys/proc-fds.js';
import { pythonHolder } from '../helpers.mjs';

// A process that holds a flock on a file through fd 9, and on a command moves fd 9 elsewhere.
const HOLDER = `
import fcntl, os, sys
def hold(path):
    fd = os.open(path, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.dup2(fd, 9)   # the lock goes with the open file description
    os.close(fd)
hold(sys.argv[1]); print('ok', flush=True)
for line in sys.stdin:
    cmd, path = line.split()
    if cmd == 'swap': os.close(9); hold(path)
    elif cmd == 'unlock': fcntl.flock(9, fcntl.LOCK_UN)
    print('ok', flush=True)
`;

/** Files a and b, and the holder locking a through fd 9. */
async function holding(t, prefix) {
  const { files, child, ack, id } = await pythonHolder(t, {
    prefix,
    script: HOLDER,
    names: ['a', 'b'],
    argc: 1,
  });
  return { ...files, child, ack, id };
}

test('a stale hint is never believed: the fd is looked at afresh', async (t) => {
  const { a, b, child, ack, id } = await holding(t, 'dk-hints-');
  t.after(keepFdHints());
  assert.equal(lockHeld(child.pid, ...id(a)), 'WRITE'); // its walk leaves a hint: fd 9 is a
  child.stdin.write(`swap ${b}\n`); // fd 9 is now b, locked
  await ack();
  assert.equal(lockHeld(child.pid, ...id(a)), null, 'fd 9 is b now: a is not locked');
  assert.equal(lockHeld(child.pid, ...id(b)), 'WRITE');
  child.stdin.write(`unlock ${b}\n`); // fd 9 still b, no lock
  await ack();
  assert.equal(lockHeld(child.pid, ...id(b)), null, 'a lock released since the hint');
});

test("the state's lock fd (hintFd) is a hint too: a wrong or stale one is never believed", async (t) => {
  const { a, b, child, ack, id } = await holding(t, 'dk-hintfd-');
  assert.equal(lockHeld(child.pid, ...id(a), 9), 'WRITE', 'the right fd');
  assert.equal(lockHeld(child.pid, ...id(a), 0), 'WRITE', 'a wrong fd: the walk finds it');
  assert.equal(lockHeld(child.pid, ...id(a), 77), 'WRITE', 'no such fd: the walk finds it');
  child.stdin.write(`swap ${b}\n`); // fd 9 is now b, locked
  await ack();
  assert.equal(lockHeld(child.pid, ...id(a), 9), null, 'fd 9 is b now: a is not locked');
  child.stdin.write(`unlock ${b}\n`); // fd 9 still b, open, no lock
  await ack();
  assert.equal(lockHeld(child.pid, ...id(b), 9), null, 'open but not locked: not the holder');
});
