// The log relay (native/relay.c on its own thread) under floods: stdout and stderr sharing a file,
// both written in pieces that cut lines anywhere, rotated many times — every line whole, none
// mixed with the other stream's, none lost or repeated, in order; long lines written in many
// pieces kept whole; the last unfinished line ended when the COMMAND exits.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { NODE, commandText, makeHome, readJson, readText, waitFor } from '../helpers.mjs';

const h = makeHome();
after(() => h.cleanup());

/** NAME.log.K … NAME.log.1, NAME.log in `dir`: their content, oldest first. */
function concatenated(dir, name) {
  const rotated = readdirSync(dir)
    .map((f) => new RegExp(`^${name}\\.log\\.(\\d+)$`).exec(f))
    .filter(Boolean)
    .sort((a, b) => b[1] - a[1]);
  return [...rotated.map((m) => m[0]), `${name}.log`]
    .map((f) => readFileSync(join(dir, f), 'latin1'))
    .join('');
}

// Writes `n` numbered 100-byte lines to each of stdout (o…x) and stderr (e…y), alternating between
// them in pieces of sizes that are not multiples of a line (so most pieces end inside a line),
// then a last line without its newline on each, and exits.
const FLOOD = `
const { writeSync } = require('fs');
const n = Number(process.argv[1]);
const lines = (tag, fill) => Buffer.from(Array.from({ length: n }, (_, i) => tag + String(i).padStart(7, '0') + ' ' + fill.repeat(91) + '\\n').join(''));
const out = [lines('o', 'x'), lines('e', 'y')];
const piece = [65537, 40009];
const at = [0, 0];
while (at[0] < out[0].length || at[1] < out[1].length) {
  for (const k of [0, 1]) {
    if (at[k] >= out[k].length) continue;
    const end = Math.min(out[k].length, at[k] + piece[k]);
    for (let p = at[k]; p < end;) p += writeSync(k + 1, out[k], p, end - p);
    at[k] = end;
  }
}
writeSync(1, 'o-last'); writeSync(2, 'e-last');
`;

function checkStreams(text, n) {
  const lines = commandText(text).split('\n');
  assert.equal(lines.pop(), '', 'the file ends with a newline');
  const next = { o: 0, e: 0 };
  const last = { o: false, e: false };
  for (const [i, l] of lines.entries()) {
    if (l === 'o-last' || l === 'e-last') {
      last[l[0]] = true;
      continue;
    }
    const m = /^([oe])(\d{7}) (x{91}|y{91})$/.exec(l);
    if (!m || (m[1] === 'o') !== (m[3][0] === 'x'))
      assert.fail(`line ${i} is not one stream's whole line: ${JSON.stringify(l.slice(0, 120))}`);
    if (Number(m[2]) !== next[m[1]])
      assert.fail(`line ${i}: ${m[1]}${m[2]}, expected ${m[1]} line ${next[m[1]]}`);
    next[m[1]]++;
  }
  assert.deepEqual(next, { o: n, e: n }, 'every line of both streams, once each');
  assert.deepEqual(last, { o: true, e: true }, 'the last unfinished lines, ended at exit');
}

describe('log relay', () => {
  it('stdout and stderr flooding one file in pieces, rotated every 1 MiB: every line whole, of one stream, once, in order; nothing lost across 60 rotations', async () => {
    const n = 300_000; // 2 × 30 MB
    const dir = join(h.home, 'flood');
    const r = await h.dk([
      'run',
      '--name',
      'flood',
      '--stdout',
      join(dir, 'flood.log'),
      '--stderr',
      join(dir, 'flood.log'),
      '--log-max-size',
      '1M',
      '--log-keep',
      '100',
      '--',
      NODE,
      '-e',
      FLOOD,
      String(n),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const rotated = readdirSync(dir).filter((f) => /^flood\.log\.\d+$/.test(f)).length;
    assert.ok(rotated >= 55, `rotated ${rotated} times`);
    checkStreams(concatenated(dir, 'flood'), n);
  });

  it('the same with --log-timestamps: each line stamped once, whole', async () => {
    const n = 50_000;
    const dir = join(h.home, 'stamped');
    const r = await h.dk([
      'run',
      '--name',
      'stamped',
      '--stdout',
      join(dir, 's.log'),
      '--stderr',
      join(dir, 's.log'),
      '--log-timestamps',
      '--log-max-size',
      '1M',
      '--log-keep',
      '100',
      '--',
      NODE,
      '-e',
      FLOOD,
      String(n),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const text = concatenated(dir, 's');
    for (const l of text.split('\n').slice(0, -1)) {
      if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (?!\d{4}-)/.test(l))
        assert.fail(`not stamped once: ${JSON.stringify(l.slice(0, 80))}`);
    }
    checkStreams(text.replace(/^\S+ /gm, ''), n);
  });

  it('lines of 60 KiB written 1,000 bytes at a time while stderr floods: each kept whole', async () => {
    const script = `const { writeSync } = require('fs');
      for (let i = 0; i < 20; i++) {
        const line = Buffer.from(String(i).padStart(4, '0') + 'L'.repeat(61436) + '\\n');
        for (let p = 0; p < line.length; p += 1000) { writeSync(1, line.subarray(p, p + 1000)); writeSync(2, 'e'.repeat(99) + '\\n'); }
      }`;
    const dir = join(h.home, 'long');
    const r = await h.dk([
      'run',
      '--name',
      'long',
      '--stdout',
      join(dir, 'long.log'),
      '--stderr',
      join(dir, 'long.log'),
      '--',
      NODE,
      '-e',
      script,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lines = commandText(readFileSync(join(dir, 'long.log'), 'latin1'))
      .split('\n')
      .slice(0, -1);
    const long = lines.filter((l) => !/^e{99}$/.test(l));
    assert.equal(lines.length - long.length, 20 * 62, 'every stderr line, whole');
    assert.deepEqual(
      long,
      Array.from({ length: 20 }, (_, i) => String(i).padStart(4, '0') + 'L'.repeat(61436)),
    );
  });

  it('rotating with --log-keep 1, 40 times: the files removed are let go (no deleted file held by the supervisor), 2 files left', async () => {
    const script = `const { writeSync } = require('fs'); const b = Buffer.from(('z'.repeat(99) + '\\n').repeat(10486));
      for (let i = 0; i < 40; i++) writeSync(1, b); writeSync(1, 'done\\n'); setInterval(() => {}, 1e9);`;
    const r = await h.dk([
      'start',
      '--name',
      'keep1',
      '--grace',
      '0',
      '--log-max-size',
      '1M',
      '--log-keep',
      '1',
      '--',
      NODE,
      '-e',
      script,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const dir = join(h.home, 'keep1');
    await waitFor(
      () => /^done$/m.test(readText(join(dir, 'keep1.log'))),
      20000,
      'the flood written',
    );
    const sup = readJson(join(dir, 'state.json')).pid;
    const held = readdirSync(`/proc/${sup}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${sup}/fd/${fd}`);
      } catch {
        return '';
      }
    });
    assert.deepEqual(
      held.filter((l) => l.includes('(deleted)')),
      [],
      'no removed log held open',
    );
    assert.deepEqual(
      readdirSync(dir)
        .filter((f) => f.startsWith('keep1.log'))
        .sort(),
      ['keep1.log', 'keep1.log.1'],
    );
    assert.equal((await h.dk(['stop', '--name', 'keep1'])).code, 0);
  });
});
