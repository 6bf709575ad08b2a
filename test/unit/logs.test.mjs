// Unit tests for src/logs: sizes, timestamps, size rotation between lines, last lines.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appendFileSync,
  existsSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { constants as zlib, gunzipSync, gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { formatSize, parseSize } from '../../dist/config/size.js';
import { stampLines } from '../../dist/sys/native.js';
import { LogFile } from '../../dist/logs/write/file.js';
import { printLast } from '../../dist/logs/read/follow.js';
import { closeAll } from '../../dist/logs/read/chain.js';
import { rotatedPath, shiftRotated } from '../../dist/logs/write/rotate.js';
import { Problems, validateLogs } from '../../dist/config/options.js';
import { logPaths } from '../helpers.mjs';

const fresh = logPaths('dk-logs-unit-');

describe('parseSize', () => {
  const table = [
    ['10M', 10 * 1024 ** 2],
    ['256K', 256 * 1024],
    ['1G', 1024 ** 3],
    ['512', 512],
    ['4096B', 4096],
    ['1.5M', 1.5 * 1024 ** 2],
    ['2 MiB', 2 * 1024 ** 2],
    ['10mb', 10 * 1024 ** 2],
    ['0', 0],
    ['', null],
    ['M', null],
    ['-1M', null],
    ['1.5', null],
    ['10X', null],
    ['1e6', null],
    ['10 M B', null],
  ];
  for (const [text, bytes] of table)
    test(`${JSON.stringify(text)} → ${bytes}`, () => assert.equal(parseSize(text), bytes));
  test('formatSize', () => {
    assert.equal(formatSize(10 * 1024 ** 2), '10M');
    assert.equal(formatSize(1536), '1.5K');
    assert.equal(formatSize(100), '100B');
  });
});

describe('validateLogs', () => {
  const check = (opts) => {
    const problems = new Problems();
    const logs = validateLogs(opts, problems);
    return { logs, list: problems.list };
  };
  test('defaults: no timestamps, no rotation, keep 5', () => {
    assert.deepEqual(check({}), {
      logs: { timestamps: false, maxSize: null, keep: 5, compress: false },
      list: [],
    });
  });
  test('all set', () => {
    assert.deepEqual(
      check({ logTimestamps: true, logMaxSize: '256K', logKeep: '3', logCompress: true }).logs,
      { timestamps: true, maxSize: 262144, keep: 3, compress: true },
    );
  });
  test('every problem at once, each naming its value', () => {
    assert.deepEqual(check({ logMaxSize: 'big', logKeep: '-1' }).list, [
      "invalid --log-max-size 'big': a size such as 10M, 256K or 1G (a bare number is bytes)",
      "invalid --log-keep '-1': a whole number of rotated files, 0 to 9999",
      '--log-keep needs --log-max-size (rotation by size)',
    ]);
  });
  test('--log-keep above 9999 says where the limit is', () => {
    assert.deepEqual(check({ logMaxSize: '1M', logKeep: '10000' }).list, [
      "invalid --log-keep '10000': a whole number of rotated files, 0 to 9999",
    ]);
  });
  test('too small a size, and compression without rotation', () => {
    assert.deepEqual(check({ logMaxSize: '100', logCompress: true }).list, [
      "invalid --log-max-size '100': at least 4K",
      '--log-compress needs --log-max-size (it compresses rotated files)',
    ]);
  });
});

describe('stampLines (native, the --log-timestamps loop)', () => {
  test('prefixes every line, keeps the bytes', () => {
    const out = Buffer.alloc(64);
    const [consumed, written] = stampLines(Buffer.from('a\n\nb c\n'), Buffer.from('T '), out);
    assert.equal(consumed, 7);
    assert.equal(out.subarray(0, written).toString(), 'T a\nT \nT b c\n');
  });
  test('whole lines only: an unfinished one and what does not fit are left', () => {
    const out = Buffer.alloc(9);
    assert.deepEqual(stampLines(Buffer.from('abc\ndefgh\nij'), Buffer.from('T '), out), [4, 6]);
    assert.equal(out.subarray(0, 6).toString(), 'T abc\n');
  });
});

describe('LogFile rotation', () => {
  const policy = (maxSize, keep = 5, compress = false) => ({
    timestamps: false,
    maxSize,
    keep,
    compress,
  });
  const lines = (from, to) =>
    Buffer.from(
      Array.from(
        { length: to - from },
        (_, i) => `line ${String(from + i).padStart(6, '0')}\n`,
      ).join(''),
    );

  test('rotates between lines, never above the size, keeping every line once in order', () => {
    const path = fresh();
    const file = new LogFile(path, policy(4096, 100));
    for (let i = 0; i < 3000; i += 37)
      assert.equal(
        file.write(lines(i, Math.min(i + 37, 3000))),
        lines(i, Math.min(i + 37, 3000)).length,
      );
    file.close();
    const rotated = readdirSync(join(path, '..'))
      .filter((f) => /^app\.log\.\d+$/.test(f))
      .map((f) => Number(f.split('.').pop()))
      .sort((a, b) => b - a);
    assert.ok(rotated.length >= 3, `rotated: ${rotated}`);
    let all = '';
    for (const i of rotated) {
      const text = readFileSync(rotatedPath(path, i), 'utf8');
      assert.ok(text.length <= 4096 && text.length > 4096 - 13, `.${i} is ${text.length} bytes`);
      assert.ok(text.endsWith('\n'));
      all += text;
    }
    all += readFileSync(path, 'utf8');
    assert.equal(all, lines(0, 3000).toString());
  });

  test('keeps only --log-keep rotated files, the newest', () => {
    const path = fresh();
    const file = new LogFile(path, policy(4096, 2));
    for (let i = 0; i < 2000; i += 100) file.write(lines(i, i + 100));
    file.close();
    const names = readdirSync(join(path, '..')).sort();
    assert.deepEqual(names, ['app.log', 'app.log.1', 'app.log.2']);
    const tail =
      readFileSync(rotatedPath(path, 2), 'utf8') +
      readFileSync(rotatedPath(path, 1), 'utf8') +
      readFileSync(path, 'utf8');
    assert.ok(lines(0, 2000).toString().endsWith(tail), 'the newest lines, contiguous');
  });

  test('keep 0: the full file is simply started afresh', () => {
    const path = fresh();
    const file = new LogFile(path, policy(4096, 0));
    file.write(lines(0, 400));
    file.close();
    assert.deepEqual(readdirSync(join(path, '..')), ['app.log']);
  });

  test('a line longer than the limit is kept whole, in a file of its own', () => {
    const path = fresh();
    const file = new LogFile(path, policy(4096, 5));
    const long = Buffer.from(`${'x'.repeat(10000)}\n`);
    file.write(Buffer.from('short\n'));
    file.write(long);
    file.write(Buffer.from('after\n'));
    file.close();
    assert.equal(readFileSync(rotatedPath(path, 2), 'utf8'), 'short\n');
    assert.equal(readFileSync(rotatedPath(path, 1), 'utf8'), long.toString());
    assert.equal(readFileSync(path, 'utf8'), 'after\n');
  });

  test('after copytruncate the size counts from zero again', () => {
    const path = fresh();
    const file = new LogFile(path, policy(8192, 5));
    file.write(lines(0, 300)); // 3900 bytes
    truncateSync(path, 0);
    file.write(lines(300, 600));
    file.close();
    assert.equal(existsSync(rotatedPath(path, 1)), false, 'no rotation: the file never reached 8K');
    assert.equal(
      readFileSync(path, 'utf8'),
      lines(300, 600).toString(),
      'O_APPEND: written from offset 0, no hole',
    );
  });

  test('--log-compress gzips rotated files in the background, same content', async () => {
    const path = fresh();
    const file = new LogFile(path, policy(4096, 10, true));
    for (let i = 0; i < 1500; i += 50) file.write(lines(i, i + 50));
    await file.whenCompressed();
    file.close();
    const names = readdirSync(join(path, '..'));
    assert.ok(
      names.every((f) => f === 'app.log' || /^app\.log\.\d+\.gz$/.test(f)),
      names.join(' '),
    );
    const gz = names
      .filter((f) => f.endsWith('.gz'))
      .map((f) => Number(f.split('.')[2]))
      .sort((a, b) => b - a);
    const all =
      gz.map((i) => gunzipSync(readFileSync(rotatedPath(path, i, true))).toString()).join('') +
      readFileSync(path, 'utf8');
    assert.equal(all, lines(0, 1500).toString());
  });

  test('a compression whose file is rotated past --log-keep while it runs is called off: no error, no .gz.tmp, no fd held on the deleted file', async () => {
    const path = fresh();
    const errors = [];
    const file = new LogFile(path, policy(8 * 1024 * 1024, 1, true), (message) => {
      if (message) errors.push(message);
    });
    // 8 MiB of random hex lines (8192 × 1 KiB): gzip works on them for a while (~300 ms here).
    const block = () =>
      Buffer.from(
        Array.from(
          { length: 8192 },
          () => `${randomBytes(512).toString('hex').slice(0, 1023)}\n`,
        ).join(''),
      );
    const [first, second] = [block(), block()];
    const tmp = join(path, '..', '.app.log.gz.tmp');
    const tmpSize = () => {
      try {
        return statSync(tmp).size;
      } catch {
        return -1;
      }
    };
    const tick = () => new Promise((resolve) => setTimeout(resolve, 1));
    file.write(first); // fills app.log to the limit: rotated to .1, queued for compression
    for (const deadline = Date.now() + 10_000; tmpSize() <= 0 && Date.now() < deadline; )
      await tick();
    assert.ok(tmpSize() > 0, 'the job is writing its .gz');
    file.write(second); // .1 is deleted (--log-keep 1), the new .1 queued
    file.write(Buffer.from('last\n'));
    // Called off, the first job stops at once and removes its .gz.tmp; one that went on would write
    // it whole (about half of 8 MiB) before finding its file gone. Its size until it goes (or the
    // next job's, a new file, starts smaller).
    let most = 0;
    for (let now = tmpSize(); now >= most; now = tmpSize()) {
      most = now;
      await tick();
    }
    assert.ok(most < 2 * 1024 * 1024, `the called-off job wrote ${most} bytes of .gz`);
    await file.whenCompressed();
    file.close();
    assert.deepEqual(errors, []);
    assert.equal(
      readdirSync('/proc/self/fd').some((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).includes('(deleted)');
        } catch {
          return false;
        }
      }),
      false,
      'no deleted file held open',
    );
    const names = readdirSync(join(path, '..')).sort();
    assert.deepEqual(names, ['app.log', 'app.log.1.gz'], names.join(' '));
    assert.equal(
      gunzipSync(readFileSync(rotatedPath(path, 1, true))).toString(),
      second.toString(),
      'the file kept is compressed whole',
    );
  });

  test('shiftRotated moves plain and .gz names alike, dropping the oldest', () => {
    const path = fresh();
    writeFileSync(path, 'now');
    appendFileSync(join(path, '..', 'app.log.1'), 'one');
    appendFileSync(join(path, '..', 'app.log.2.gz'), 'two');
    appendFileSync(join(path, '..', 'app.log.3'), 'three');
    shiftRotated(path, 3);
    assert.deepEqual(readdirSync(join(path, '..')).sort(), [
      'app.log.1',
      'app.log.2',
      'app.log.3.gz',
    ]);
    assert.equal(readFileSync(rotatedPath(path, 1), 'utf8'), 'now');
  });

  test('a file that cannot be opened is an error, not an exception', () => {
    const path = fresh();
    writeFileSync(join(path, '..', 'blocker'), '');
    const file = new LogFile(join(path, '..', 'blocker', 'x.log'), policy(null));
    assert.match(file.error, /cannot open .*blocker\/x\.log/);
    assert.equal(file.write(Buffer.from('a\n')), 0);
  });
});

describe('printLast', () => {
  /** What printLast writes for `n`, with the files it leaves open for following closed. */
  const last = async (path, n) => {
    const chunks = [];
    const kept = await printLast(path, n, (chunk) => void chunks.push(Buffer.from(chunk)));
    closeAll(kept);
    return Buffer.concat(chunks).toString();
  };
  test('missing file: nothing', async () => assert.equal(await last(fresh(), 5), ''));
  test('the last N lines, across read blocks', async () => {
    const path = fresh();
    const body = `${Array.from({ length: 20000 }, (_, i) => `${i}`).join('\n')}\n`;
    writeFileSync(path, body);
    assert.equal(await last(path, 3), '19997\n19998\n19999\n');
    assert.equal(await last(path, 15000), body.split('\n').slice(5000).join('\n'));
    assert.equal(await last(path, 50000), body);
    assert.equal(await last(path, 0), '');
  });
  test('an unfinished last line counts as a line', async () => {
    const path = fresh();
    writeFileSync(path, 'a\nb\nc');
    assert.equal(await last(path, 2), 'b\nc');
  });
  test('a line longer than a read block comes out whole, byte for byte', async () => {
    const path = fresh();
    const long = randomBytes(150 * 1024).toString('base64'); // 200 KiB
    writeFileSync(path, `first\n${long}\nlast\n`);
    assert.equal(await last(path, 2), `${long}\nlast\n`);
    assert.equal(await last(path, 3), `first\n${long}\nlast\n`);
  });
  test('reaches into rotated files, gzipped or not, oldest first: what tail -n prints of them concatenated', async () => {
    const path = fresh();
    const lines = (from, to) =>
      Array.from({ length: to - from }, (_, i) => `line ${from + i}\n`).join('');
    writeFileSync(`${path}.4.gz`, gzipSync(lines(0, 3000)));
    writeFileSync(`${path}.3`, lines(3000, 3010));
    writeFileSync(`${path}.2.gz`, gzipSync(`${lines(3010, 3020)}no newline at the end of .2`));
    writeFileSync(`${path}.1`, lines(3020, 3025));
    writeFileSync(path, lines(3025, 3028));
    execFileSync('sh', [
      '-c',
      `{ zcat ${path}.4.gz; cat ${path}.3; zcat ${path}.2.gz; cat ${path}.1 ${path}; } > ${path}.all`,
    ]);
    for (const n of [0, 1, 3, 4, 8, 9, 10, 19, 20, 25, 2999, 3029, 3030, 5000]) {
      const tail = execFileSync('tail', ['-n', String(n), `${path}.all`]).toString();
      assert.equal(await last(path, n), tail, `-n ${n}`);
    }
  });
  /** `content` gzipped, then damaged as `how` says (a cut file: all it holds decompresses). */
  const damaged = (content, how) => {
    const gz = gzipSync(content);
    // no end, no trailer
    if (how === 'cut') return gzipSync(content, { finishFlush: zlib.Z_SYNC_FLUSH });
    if (how === 'trailing garbage')
      return Buffer.concat([gz, Buffer.from('garbage after the end\n')]);
    const crc = Buffer.from(gz);
    crc.writeUInt32LE((crc.readUInt32LE(crc.length - 8) ^ 1) >>> 0, crc.length - 8);
    return crc;
  };
  const numbered = (count) => Array.from({ length: count }, (_, i) => `line ${i}\n`).join('');
  for (const [how, said] of [
    ['cut', /unexpected end of file \(it is cut short\)/],
    ['trailing garbage', /trailing garbage ignored/],
    ['bad CRC', /CRC error \(its content is damaged\)/],
  ]) {
    for (const [size, content] of [
      ['small (read at once)', numbered(100)],
      ['large (streamed)', numbered(200000)],
    ]) {
      test(`a damaged .gz (${how}, ${size}): all it holds, as zcat gives it, named once`, async () => {
        const path = fresh();
        writeFileSync(`${path}.1.gz`, damaged(content, how));
        writeFileSync(path, 'newest\n');
        const zcat = execFileSync('sh', ['-c', `zcat ${path}.1.gz 2>/dev/null; true`], {
          maxBuffer: 1 << 26,
        }).toString();
        assert.equal(zcat, content, 'zcat reads it whole');
        const chunks = [];
        const warnings = [];
        closeAll(
          await printLast(path, 1e9, (chunk) => void chunks.push(Buffer.from(chunk)), {
            warn: (m) => warnings.push(m),
          }),
        );
        assert.equal(Buffer.concat(chunks).toString(), `${content}newest\n`);
        assert.equal(warnings.length, 1, warnings.join('; '));
        assert.match(warnings[0], new RegExp(`app\\.log\\.1\\.gz: ${said.source}$`));
      });
    }
  }
  test("a .gz cut inside a line: that line ends there (a newline added), not glued to the next file's first; -n counts it as a line", async () => {
    const path = fresh();
    writeFileSync(`${path}.2`, 'old\n');
    writeFileSync(`${path}.1.gz`, damaged('a\nb\npart of a li', 'cut'));
    writeFileSync(path, 'z\n');
    for (const [n, out] of [
      [1, 'z\n'],
      [2, 'part of a li\nz\n'],
      [3, 'b\npart of a li\nz\n'],
      [5, 'old\na\nb\npart of a li\nz\n'],
      [50, 'old\na\nb\npart of a li\nz\n'],
    ]) {
      assert.equal(await last(path, n), out, `-n ${n}`);
    }
  });
  test('rotated files with gaps between them (removed by hand), one far up: all of them, oldest first', async () => {
    const path = fresh();
    writeFileSync(`${path}.100.gz`, gzipSync('a\n'));
    writeFileSync(`${path}.3`, 'b\n');
    writeFileSync(`${path}.1`, 'c\n');
    writeFileSync(path, 'd\n');
    assert.equal(await last(path, 10), 'a\nb\nc\nd\n');
    assert.equal(await last(path, 3), 'b\nc\nd\n');
  });
  test('an empty NAME.log (just rotated): the lines come from .1', async () => {
    const path = fresh();
    writeFileSync(`${path}.1`, 'a\nb\n');
    writeFileSync(path, '');
    assert.equal(await last(path, 1), 'b\n');
  });
});
