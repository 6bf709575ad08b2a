// lockHeld with a hint (the fd a shared supervisor says it holds a service's lock through, from
// its state.json): proven from that fd's fdinfo, whose lock lines name the device and inode they
// are on; a hint on another file's lock, a read lock, or a lock let go proves nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lockHeld } from '../../dist/sys/proc-fdinfo.js';
import { pythonHolder } from '../helpers.mjs';

// OFD locks: a write lock on a through fd 9, on b through fd 10, a read lock on r through fd 11;
// "unlock" lets a's go (fd 9 stays open).
const HOLDER = `
import fcntl, os, struct, sys
def lock(path, fd, kind, mode):
    os.dup2(os.open(path, mode), fd)
    fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack('hhqqi', kind, 0, 0, 0, 0))
lock(sys.argv[1], 9, fcntl.F_WRLCK, os.O_RDWR)
lock(sys.argv[2], 10, fcntl.F_WRLCK, os.O_RDWR)
lock(sys.argv[3], 11, fcntl.F_RDLCK, os.O_RDONLY)
print('ok', flush=True)
for line in sys.stdin:
    fcntl.fcntl(9, fcntl.F_OFD_SETLK, struct.pack('hhqqi', fcntl.F_UNLCK, 0, 0, 0, 0))
    print('ok', flush=True)
`;

test('a hint is proven by its own fdinfo, never believed', async (t) => {
  const { files, child, ack, id } = await pythonHolder(t, {
    prefix: 'dk-lock-hint-',
    script: HOLDER,
    names: ['a', 'b', 'r', 'c'],
    argc: 3,
  });
  const { a, b, r, c } = files;
  assert.equal(lockHeld(child.pid, ...id(a), 9), 'WRITE', 'the right fd');
  assert.equal(lockHeld(child.pid, ...id(a), 10), 'WRITE', "b's fd: a is found by the walk");
  assert.equal(lockHeld(child.pid, ...id(a), 42), 'WRITE', 'no such fd: found by the walk');
  assert.equal(lockHeld(child.pid, ...id(c), 9), null, "a's locked fd proves nothing of c");
  assert.equal(lockHeld(child.pid, ...id(r), 11), 'READ', 'a read lock is a read lock');
  assert.equal(lockHeld(child.pid, ...id(r), 9), 'READ');
  child.stdin.write('unlock\n');
  await ack();
  assert.equal(lockHeld(child.pid, ...id(a), 9), null, 'let go: held no more');
  assert.equal(lockHeld(child.pid, ...id(b), 9), 'WRITE');
});
