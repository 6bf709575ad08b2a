// The rotated files of a log as rotation lists them (src/files/log-dir.ts rotated(), native/at.c
// rotatedAt): filtered in C to NAME.K and NAME.K.gz, and bounded, whatever else the directory
// holds.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, linkSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogDir, MAX_ROTATED } from '../../dist/files/log-dir.js';

const made = [];
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
function dirWith(names) {
  const dir = mkdtempSync(join(tmpdir(), 'dk-logdir-list-'));
  made.push(dir);
  // Hard links (fast: no inode each), a seed per 50,000 (ext4 allows 65,000 links to one).
  names.forEach((n, i) => {
    const seed = join(dir, `.seed${Math.floor(i / 50000)}`);
    if (i % 50000 === 0) writeFileSync(seed, '');
    linkSync(seed, join(dir, n));
  });
  return dir;
}
const listed = (dir, name = 'app.log') => {
  const d = LogDir.open(dir);
  try {
    const found = d.rotated(name);
    return typeof found === 'string'
      ? found
      : found.sort((a, b) => a[0] - b[0] || Number(a[1]) - Number(b[1]));
  } finally {
    d.release();
  }
};

describe('LogDir.rotated', () => {
  test("only NAME.K and NAME.K.gz (K from 1, no leading zero, at most 9 digits); other names, and other logs' files, are not listed", () => {
    const dir = dirWith([
      'app.log',
      'app.log.1',
      'app.log.2.gz',
      'app.log.10',
      'app.log.999999999',
      'app.log.1000000000',
      'app.log.0',
      'app.log.01',
      'app.log.3.gz.tmp',
      '.app.log.gz.tmp',
      'app.log.4x',
      'app.log.',
      'app.log.5.GZ',
      'app.logs.1',
      'other.log.1',
      'app.log-20240101',
    ]);
    assert.deepEqual(listed(dir), [
      [1, false],
      [2, true],
      [10, false],
      [999999999, false],
    ]);
  });

  test(`more than ${MAX_ROTATED} of them: not listed, said (rotation then moves nothing)`, () => {
    const names = Array.from({ length: MAX_ROTATED + 1 }, (_, i) => `app.log.${i + 1}`);
    const dir = dirWith(names);
    assert.match(
      listed(dir),
      new RegExp(
        `^there are more than ${MAX_ROTATED} files named app\\.log\\.N or app\\.log\\.N\\.gz$`,
      ),
    );
    assert.equal(listed(dir, 'b.log').length, 0, 'another log there is not affected');
  });

  test('a directory everyone can write: its entries are read up to 100,000, then it says so', () => {
    const dir = dirWith(Array.from({ length: 100_000 }, (_, i) => `junk${i}`));
    chmodSync(dir, 0o777);
    assert.match(
      listed(dir),
      /^its directory holds more than 100000 names, in a directory writable by everyone$/,
    );
    chmodSync(dir, 0o755);
    assert.deepEqual(listed(dir), [], 'one only we can write is read whole');
  });
});
