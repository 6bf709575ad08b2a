// Unit tests for follow(): what `logs -f` prints when files are rotated, compressed, deleted or
// moved between two of its looks. The moves are made synchronously, in one turn of the event
// loop, so the follower (in this process) cannot look in between: as if it had fallen behind.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appendFileSync,
  existsSync,
  readFileSync,
  renameSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { constants as zlib, gzipSync } from 'node:zlib';
import { follow, printLast } from '../../dist/logs/read/follow.js';
import { shiftRotated } from '../../dist/logs/write/rotate.js';
import { logPaths, waitFor } from '../helpers.mjs';

const fresh = logPaths('dk-follow-unit-');

/** Follow `path` from its end, as `logs -n 0 -f` does. */
async function follower(path) {
  const out = [];
  const warnings = [];
  const f = follow(
    path,
    await printLast(path, 0, () => undefined),
    (chunk) => void out.push(Buffer.from(chunk)),
    { warn: (m) => warnings.push(m) },
  );
  const text = () => Buffer.concat(out).toString();
  return {
    text,
    warnings,
    close: () => f.close(),
    until: (s) => waitFor(() => text().endsWith(s), 5000, JSON.stringify(s)),
  };
}
let next = 0;
/** The next `count` numbered lines. */
const lines = (count) => Array.from({ length: count }, () => `${next++}\n`).join('');
const sequence = (from, to) =>
  Array.from({ length: to - from }, (_, i) => `${from + i}\n`).join('');
/** Gzip NAME.log.K in place, as the supervisor's compressor does. */
function gzip(path, k) {
  writeFileSync(`${path}.${k}.gz`, gzipSync(readFileSync(`${path}.${k}`)));
  unlinkSync(`${path}.${k}`);
}

describe('follow', () => {
  test('many rotations between two looks: every line once, in order', async () => {
    const path = fresh();
    next = 0;
    writeFileSync(path, lines(5));
    const f = await follower(path);
    for (let i = 0; i < 20; i++) {
      appendFileSync(path, lines(100));
      shiftRotated(path, 50);
      writeFileSync(path, lines(3));
    }
    await f.until(`${next - 1}\n`);
    f.close();
    assert.equal(f.text(), sequence(5, next));
    assert.deepEqual(f.warnings, []);
  });

  test('the file it read last compressed meanwhile (a new inode): found by its content, nothing twice', async () => {
    const path = fresh();
    next = 0;
    writeFileSync(path, lines(5));
    const f = await follower(path);
    // it has looked: app.log is the file it knows
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (let i = 0; i < 6; i++) {
      appendFileSync(path, lines(50));
      shiftRotated(path, 50);
      writeFileSync(path, '');
    }
    for (const k of [1, 2, 3, 4, 5, 6]) gzip(path, k);
    appendFileSync(path, lines(10));
    await f.until(`${next - 1}\n`);
    f.close();
    assert.equal(f.text(), sequence(5, next));
  });

  test('rotated past --log-keep before it was read: no line twice nor out of order, and one warning', async () => {
    const path = fresh();
    next = 0;
    writeFileSync(path, lines(5));
    const f = await follower(path);
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 10; i++) {
        appendFileSync(path, lines(20));
        shiftRotated(path, 3);
        writeFileSync(path, '');
      }
      appendFileSync(path, lines(1));
      await f.until(`${next - 1}\n`);
    }
    f.close();
    const got = f.text().split('\n').filter(Boolean).map(Number);
    assert.deepEqual(
      got,
      [...got].sort((a, b) => a - b),
      'in order',
    );
    assert.equal(new Set(got).size, got.length, 'nothing twice');
    assert.ok(got.length < next - 5, 'lines deleted unread are missing');
    assert.equal(f.warnings.length, 1, f.warnings.join('\n'));
    assert.match(
      f.warnings[0],
      /fell behind: files of .*app\.log were rotated past --log-keep while it read; lines may be missing here/,
    );
  });

  test('logrotate deletes the oldest file after renaming the others: the files it kept are read, nothing missing', async () => {
    const path = fresh();
    next = 0;
    writeFileSync(path, lines(5));
    const f = await follower(path);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The clock moves on while the follower (this thread) cannot look: as if it were stopped.
    const pause = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 15);
    appendFileSync(path, lines(10));
    for (let round = 0; round < 4; round++) {
      // `rotate 3` + `create`: .3 → .4, .2 → .3, .1 → .2, the log → .1, a new log; the postrotate
      // reopen; then the one past 3 is removed — after the others were renamed.
      pause();
      for (let k = 3; k >= 1; k--)
        if (existsSync(`${path}.${k}`)) renameSync(`${path}.${k}`, `${path}.${k + 1}`);
      renameSync(path, `${path}.1`);
      writeFileSync(path, '');
      pause();
      appendFileSync(path, lines(10));
      if (existsSync(`${path}.4`)) unlinkSync(`${path}.4`);
    }
    await f.until(`${next - 1}\n`);
    f.close();
    assert.equal(f.text(), sequence(5, next));
  });

  test('logrotate create before its reopen: the renamed file is followed until the new one has data', async () => {
    const path = fresh();
    next = 0;
    writeFileSync(path, lines(5));
    const f = await follower(path);
    renameSync(path, `${path}.1`);
    writeFileSync(path, ''); // create
    await new Promise((resolve) => setTimeout(resolve, 50)); // it has seen the new file, empty
    appendFileSync(`${path}.1`, lines(5)); // the writer, not reopened yet
    await f.until(`${next - 1}\n`);
    appendFileSync(path, lines(5)); // reopened
    await f.until(`${next - 1}\n`);
    f.close();
    assert.equal(f.text(), sequence(5, next));
  });

  test('copytruncate: from the start of the emptied file', async () => {
    const path = fresh();
    writeFileSync(path, 'a\nb\n');
    const f = await follower(path);
    appendFileSync(path, 'c\n');
    await f.until('c\n');
    truncateSync(path, 0);
    appendFileSync(path, 'd\n');
    await f.until('d\n');
    f.close();
    assert.equal(f.text(), 'c\nd\n');
  });

  test('moved out of the numbering (dateext) or removed by hand: the new file, not the old rotated ones', async () => {
    const path = fresh();
    writeFileSync(`${path}.2`, 'old 2\n');
    writeFileSync(`${path}.1`, 'old 1\n');
    writeFileSync(path, 'a\n');
    const f = await follower(path);
    renameSync(path, `${path}-20250101`);
    writeFileSync(path, 'b\n');
    await f.until('b\n');
    unlinkSync(path);
    writeFileSync(path, 'c\n');
    await f.until('c\n');
    f.close();
    assert.equal(f.text(), 'b\nc\n');
    assert.deepEqual(f.warnings, []);
  });

  test('a damaged .gz among the files to read: said once, and the follower goes on to the next', async () => {
    const path = fresh();
    writeFileSync(path, 'a\n');
    const f = await follower(path);
    await new Promise((resolve) => setTimeout(resolve, 50));
    appendFileSync(path, 'b\n');
    shiftRotated(path, 50);
    writeFileSync(path, 'lost\n');
    shiftRotated(path, 50);
    writeFileSync(
      `${path}.1.gz`,
      Buffer.from('not gzip at all, and long enough to be looked at\n'),
    ); // damaged
    unlinkSync(`${path}.1`);
    writeFileSync(path, 'c\n');
    await f.until('c\n');
    f.close();
    assert.equal(f.text(), 'b\nc\n');
    assert.equal(f.warnings.length, 1);
    assert.match(f.warnings[0], /app\.log\.1\.gz: not in gzip format$/);
  });

  test("a .gz cut short inside a line: what it holds, that line ended with a newline (not glued to the next file's first), said once", async () => {
    const path = fresh();
    writeFileSync(path, 'a\n');
    const f = await follower(path);
    await new Promise((resolve) => setTimeout(resolve, 50));
    appendFileSync(path, 'b\n');
    shiftRotated(path, 50);
    writeFileSync(path, 'part of a li');
    shiftRotated(path, 50);
    // Cut: the deflate data flushed, never finished, no trailer.
    writeFileSync(
      `${path}.1.gz`,
      gzipSync(readFileSync(`${path}.1`), { finishFlush: zlib.Z_SYNC_FLUSH }),
    );
    unlinkSync(`${path}.1`);
    writeFileSync(path, 'c\n');
    await f.until('c\n');
    f.close();
    assert.equal(f.text(), 'b\npart of a li\nc\n');
    assert.deepEqual(
      f.warnings.map((w) => w.replace(/^.*app\.log/, 'app.log')),
      ['app.log.1.gz: unexpected end of file (it is cut short)'],
    );
  });

  test('no file when it starts: everything that appears, rotated ones first', async () => {
    const path = fresh();
    const f = await follower(path);
    writeFileSync(`${path}.1`, 'one\n');
    writeFileSync(path, 'two\n');
    await f.until('two\n');
    f.close();
    assert.equal(f.text(), 'one\ntwo\n');
  });

  test('a line far longer than a read block: copied byte for byte, not cut', async () => {
    const path = fresh();
    writeFileSync(path, '');
    const f = await follower(path);
    const long = `${'x'.repeat(200 * 1024)}\n`;
    appendFileSync(path, long.slice(0, 70000));
    appendFileSync(path, long.slice(70000));
    appendFileSync(path, 'end\n');
    await f.until('end\n');
    f.close();
    assert.equal(f.text(), `${long}end\n`);
  });
});
