// Several services' logs interleaved line by line (logs/read/lines.ts): a line reaches the output
// whole however its bytes were cut into blocks, and a line without end is held only up to a bound.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineSplitter, MAX_HELD } from '../../dist/logs/read/lines.js';

const text = (lines) => lines.map(String);

describe('LineSplitter', () => {
  it('whole lines, each with its newline; a line begun in one chunk ends in a later one', () => {
    const s = new LineSplitter();
    assert.deepEqual(text(s.push(Buffer.from('a\nb'))), ['a\n']);
    assert.deepEqual(text(s.push(Buffer.from('c'))), []);
    assert.deepEqual(text(s.push(Buffer.from('d\n\ne\n'))), ['bcd\n', '\n', 'e\n']);
    assert.equal(s.end(), null);
  });
  it('end(): the line the log ended inside of, ended by a newline', () => {
    const s = new LineSplitter();
    s.push(Buffer.from('x\nhalf'));
    assert.equal(String(s.end()), 'half\n');
    assert.equal(s.end(), null);
  });
  it('bytes as they are, a multi-byte character cut between chunks too', () => {
    const s = new LineSplitter();
    const e = Buffer.from('é\n');
    assert.deepEqual(s.push(e.subarray(0, 1)), []);
    assert.deepEqual(s.push(e.subarray(1)), [e]);
  });
  it('a line longer than MAX_HELD comes out in pieces of MAX_HELD, each ended', () => {
    const s = new LineSplitter();
    const out = s.push(Buffer.alloc(MAX_HELD + 10, 'x'));
    assert.equal(out.length, 1);
    assert.equal(out[0].length, MAX_HELD + 1);
    assert.equal(out[0].at(-1), 0x0a);
    assert.equal(String(s.push(Buffer.from('y\n'))[0]), `${'x'.repeat(10)}y\n`);
  });
});
