// A report's files read ahead in one native call (sys/prefetch.ts, native/batch.c): what the
// batch tells later questions must be what each one would have found asking on its own.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chownSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBatch } from '../../dist/sys/native.js';
import { prefetch, prefetched, readSmall } from '../../dist/sys/prefetch.js';
import { withOneProcScan } from '../../dist/sys/proc.js';
import { prefetchedOwnedFile, readOwnedFile } from '../../dist/files/owner.js';

const dir = mkdtempSync(join(tmpdir(), 'dk-prefetch-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const at = (name) => join(dir, name);
writeFileSync(at('small'), 'héllo\n');
writeFileSync(at('empty'), '');
writeFileSync(at('big'), 'x'.repeat(64 * 1024 + 1));
writeFileSync(at('edge'), 'y'.repeat(64 * 1024));
symlinkSync(at('small'), at('link'));
execFileSync('mkfifo', [at('fifo')]);
const root = process.getuid() === 0;
if (root) {
  writeFileSync(at('foreign'), 'theirs');
  chownSync(at('foreign'), 999, 999);
}

test('each path read or lstat’ed as fs would: text, errno, type, owner, device and inode', () => {
  const reads = ['small', 'empty', 'big', 'edge', 'link', 'missing', 'fifo'].map(at);
  const lstats = ['small', 'link', 'missing'].map(at);
  const [texts, meta] = readBatch([...reads, ...lstats, 'a\0b'], reads.length);
  const m = (i) => Array.from(meta.subarray(i * 5, i * 5 + 5));
  const { ENOENT, ELOOP, EFBIG, EINVAL } = constants.errno;
  assert.equal(texts[0], 'héllo\n');
  assert.equal(texts[1], '');
  assert.equal(m(2)[0], EFBIG, 'over 64 KiB: left to a read of its own');
  assert.equal(texts[3], 'y'.repeat(64 * 1024));
  assert.equal(m(4)[0], ELOOP, 'a link is not followed');
  assert.equal(m(5)[0], ENOENT);
  assert.equal(texts[6], '', 'a FIFO without a writer: opened without waiting, nothing read');
  const st = lstatSync(at('small'));
  assert.deepEqual(m(0), [0, st.mode, st.uid, st.dev, st.ino]);
  assert.deepEqual(m(7), [0, st.mode, st.uid, st.dev, st.ino]);
  const ln = lstatSync(at('link'));
  assert.deepEqual(m(8), [0, ln.mode, ln.uid, ln.dev, ln.ino], 'the link itself');
  assert.equal(texts[8], null);
  assert.equal(m(9)[0], ENOENT);
  assert.equal(m(10)[0], EINVAL, 'a NUL byte in a path: refused, not cut short');
});

test('many paths (two threads): every answer in its place', () => {
  const pids = [process.pid, process.ppid];
  const paths = Array.from({ length: 300 }, (_, i) =>
    i % 3 === 0 ? at('small') : i % 3 === 1 ? `/proc/${pids[i % 2]}/statm` : at(`none-${i}`),
  );
  const [texts, meta] = readBatch(paths, paths.length);
  for (let i = 0; i < paths.length; i++) {
    if (i % 3 === 0) assert.equal(texts[i], 'héllo\n', `entry ${i}`);
    else if (i % 3 === 1) assert.match(texts[i], /^\d+ \d+ /, `entry ${i}`);
    else assert.equal(meta[i * 5], constants.errno.ENOENT, `entry ${i}`);
  }
});

test("the calling thread's signal mask is left as it was (only the second thread blocks them)", () => {
  const blocked = () =>
    /^SigBlk:\s*(\S+)$/m.exec(readFileSync('/proc/thread-self/status', 'utf8'))[1];
  const before = blocked();
  readBatch(
    Array.from({ length: 100 }, () => '/proc/self/stat'),
    100,
  ); // two threads
  readBatch(['/proc/self/stat'], 1); // one
  assert.equal(blocked(), before);
});

test("a file read ahead, under readOwnedFile's rules, is what readOwnedFile finds on its own", () => {
  const names = ['small', 'empty', 'big', 'link', 'missing', 'fifo', ...(root ? ['foreign'] : [])];
  const alone = names.map((n) => outcome(() => readOwnedFile(at(n), 'state file')));
  const ahead = withOneProcScan(() => {
    prefetch(names.map(at));
    assert.ok(prefetched(at('small')), 'read ahead');
    return names.map((n) =>
      outcome(() => prefetchedOwnedFile(at(n), 'state file') ?? readOwnedFile(at(n), 'state file')),
    );
  });
  assert.deepEqual(ahead, alone);
  if (root) assert.match(alone.at(-1), /owned by uid 999/);
  // The one over 64 KiB is not the batch's to give: read on its own.
  withOneProcScan(() => {
    prefetch([at('big')]);
    assert.equal(prefetchedOwnedFile(at('big')), undefined);
  });
});

test('readOwnedFile itself never answers from a read-ahead (a full inspection reads afresh)', () => {
  writeFileSync(at('changing'), 'before');
  withOneProcScan(() => {
    prefetch([at('changing')]);
    writeFileSync(at('changing'), 'after');
    assert.equal(prefetchedOwnedFile(at('changing')), 'before');
    assert.equal(readOwnedFile(at('changing')), 'after');
  });
});

test('outside a scan nothing is kept: every read is made when asked', () => {
  prefetch([at('small')]);
  assert.equal(prefetched(at('small')), undefined);
  assert.equal(readSmall(at('small')), 'héllo\n');
});

function outcome(fn) {
  try {
    return fn();
  } catch (error) {
    return `throws: ${error.message}`;
  }
}
