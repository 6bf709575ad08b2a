// Colour (src/cli/color.ts): when, and where in a line; the timestamp painter over every cut of its
// input.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  StampPainter,
  colorWanted,
  paintListRow,
  paintState,
  paintStatusLine,
} from '../../dist/cli/color.js';

describe('colour or not', () => {
  const cases = [
    // isTTY, --no-color, env, wanted
    [true, false, {}, true],
    [false, false, {}, false],
    [true, true, {}, false],
    [true, false, { NO_COLOR: '1' }, false],
    [true, false, { NO_COLOR: 'false' }, false], // any value, as no-color.org says
    [true, false, { NO_COLOR: '' }, true], // ... but the empty one
    [true, false, { TERM: 'dumb' }, false],
    [true, false, { TERM: 'xterm-256color' }, true],
  ];
  for (const [isTTY, noColorFlag, env, want] of cases) {
    test(`tty ${isTTY}, --no-color ${noColorFlag}, ${JSON.stringify(env)}: ${want}`, () =>
      assert.equal(colorWanted({ isTTY, noColorFlag, env }), want));
  }
});

describe('where the colour goes', () => {
  test('a state in its colour; off, or a state without one: as it is', () => {
    assert.equal(paintState('running', 'running', true), '\x1b[32mrunning\x1b[0m');
    assert.equal(paintState('failed', 'x', true), '\x1b[31mx\x1b[0m');
    assert.equal(paintState('running', 'running', false), 'running');
    assert.equal(paintState('weird', 'weird', true), 'weird');
  });
  const lines = [
    ['web: running, pid 1, up 3s', 'web', 'running', 'web: \x1b[32mrunning\x1b[0m, pid 1, up 3s'],
    [
      'web: not running (stopped); last exit: …',
      'web',
      'stopped',
      'web: \x1b[2mnot running (stopped)\x1b[0m; last exit: …',
    ],
    ['web: dead (failed)', 'web', 'failed', 'web: \x1b[31mdead (failed)\x1b[0m'],
    [
      '/a: b.pid: running, pid 1',
      '/a: b.pid',
      'running',
      '/a: b.pid: \x1b[32mrunning\x1b[0m, pid 1',
    ],
  ];
  for (const [line, name, state, want] of lines)
    test(`status: ${line}`, () => assert.equal(paintStatusLine(line, name, state, true), want));
  test('status without colour: unchanged', () =>
    assert.equal(paintStatusLine('web: running', 'web', 'running', false), 'web: running'));
  test('list: the state cell, not a name that looks like one', () => {
    assert.equal(
      paintListRow('running  running  12', 'running', 'running', true),
      'running  \x1b[32mrunning\x1b[0m  12',
    );
    assert.equal(paintListRow('web  failed  -', 'web', 'failed', false), 'web  failed  -');
  });
});

describe('StampPainter: --log-timestamps prefixes dimmed, the bytes kept', () => {
  const D = '\x1b[2m';
  const U = '\x1b[22m';
  const S = '2026-05-01T12:00:00.123Z ';
  const cases = [
    [`${S}hello\n${S}world\n`, `${D}${S}${U}hello\n${D}${S}${U}world\n`],
    // a line without a stamp (written before --log-timestamps) stays as it is
    ['plain\n', 'plain\n'],
    ['2026-05-01 no\n', `${D}2026-05-01${U} no\n`],
    [`2026\n${S}x`, `${D}2026${U}\n${D}${S}${U}x`],
    // the text after a stamp may look like one: only the line's start is painted
    [`${S}${S}\n`, `${D}${S}${U}${S}\n`],
    ['\n\n', '\n\n'],
  ];
  for (const [input, want] of cases) {
    test(JSON.stringify(input), () => {
      assert.equal(new StampPainter().paint(Buffer.from(input)).toString(), want);
      // cut anywhere, the same output; the bytes without the SGR sequences: the input
      for (let cut = 0; cut <= input.length; cut++) {
        const p = new StampPainter();
        const out = Buffer.concat([
          p.paint(Buffer.from(input.slice(0, cut))),
          p.paint(Buffer.from(input.slice(cut))),
        ]).toString();
        assert.equal(out.replaceAll(D, '').replaceAll(U, ''), input, `cut at ${cut}`);
        assert.equal(
          out.replace(/\x1b\[22m\x1b\[2m/g, ''),
          want.replace(/\x1b\[22m\x1b\[2m/g, ''),
          `cut at ${cut}`,
        );
      }
    });
  }
});
