// `top`'s pure parts, as tables: cell widths, sparklines, CPU % from samples, the layout at
// 80x24 and other sizes, keys, the selection, --interval.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { charWidth, fit, textWidth } from '../../dist/cli/top/width.js';
import { History, compactBytes, compactPercent, sparkline } from '../../dist/cli/top/history.js';
import { HELP, columns, render, scrollFor, tableHeight } from '../../dist/cli/top/layout.js';
import { decodeKeys, moveSelection } from '../../dist/cli/top/keys.js';
import { validateInterval } from '../../dist/cli/top/interval.js';
import { Problems } from '../../dist/config/options.js';

/** What a terminal shows of a line: SGR sequences take no cells. */
const visible = (line) => line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

describe('cells', () => {
  const cases = [
    ['abc', 3],
    ['', 0],
    ['é', 1],
    ['e\u0301', 1],
    ['日本', 4],
    ['한국', 4],
    ['🙂', 2],
    ['ｆｕｌｌ', 8],
    ['a\u200bb', 2],
    ['\\x1b[2J', 7],
  ];
  for (const [text, width] of cases)
    test(`${JSON.stringify(text)} takes ${width}`, () => assert.equal(textWidth(text), width));
  test('a wide character is never cut in half', () => {
    assert.equal(fit('日本語', 4), '日… ');
    assert.equal(textWidth(fit('日本語', 4)), 4);
    assert.equal(fit('日本語', 5), '日本…');
  });
  const fits = [
    ['web', 6, 'left', 'web   '],
    ['web', 6, 'right', '   web'],
    ['webserver', 6, 'left', 'webse…'],
    ['web', 3, 'left', 'web'],
    ['web', 0, 'left', ''],
    ['12345', 4, 'right', '123…'],
  ];
  for (const [text, cells, align, want] of fits)
    test(`fit(${text}, ${cells}, ${align})`, () => assert.equal(fit(text, cells, align), want));
  test('charWidth of ASCII is 1', () => assert.equal(charWidth('x'), 1));
});

describe('sparklines', () => {
  const cases = [
    // values, width, scale, drawn
    [[], 5, { window: 5, floor: 100 }, '     '],
    [[0, 50, 100], 3, { window: 3, floor: 100 }, '▁▅█'],
    [[null, 0, 100], 3, { window: 3, floor: 100 }, ' ▁█'],
    // a minute of samples in fewer cells: each cell the highest of its run, the newest at the right
    [[0, 0, 100, 0, 0, 0], 3, { window: 6, floor: 100 }, '▁█▁'],
    // early in the minute the line grows from the right at the minute's pace (2 samples a cell)
    [[100, 100], 3, { window: 6, floor: 100 }, '  █'],
    // above 100 %: scaled to the peak
    [[100, 200], 2, { window: 2, floor: 100 }, '▅█'],
    // memory: flat is the bottom; a growth by 10 % of the peak is the full height
    [[1000, 1000, 1000], 3, { window: 3, span: 0.1 }, '▁▁▁'],
    [[1000, 1050, 1100], 3, { window: 3, span: 0.1 }, '▁▄▇'],
    [[1000, 2000], 2, { window: 2, span: 0.1 }, '▁█'],
  ];
  for (const [values, width, scale, want] of cases) {
    test(`${JSON.stringify(values)} in ${width}`, () =>
      assert.equal(sparkline(values, width, scale), want));
  }
});

describe('compact figures', () => {
  const bytes = [
    [0, '0B'],
    [512, '512B'],
    [999, '999B'],
    [1000, '1.0K'],
    [9.5 * 1024, '9.5K'],
    [812 * 1024 ** 2, '812M'],
    [1.24 * 1024 ** 3, '1.2G'],
    [1023.9 * 1024 ** 2, '1.0G'],
  ];
  for (const [n, want] of bytes)
    test(`${n} bytes: ${want}`, () => assert.equal(compactBytes(n), want));
  test('at most 6 cells up to a petabyte', () => {
    for (let n = 1; n < 2 ** 50; n *= 1.7) assert.ok(compactBytes(n).length <= 6, compactBytes(n));
  });
  const pct = [
    [0, '0.0'],
    [12.34, '12.3'],
    [99.94, '99.9'],
    [99.96, '100'],
    [250.4, '250'],
  ];
  for (const [n, want] of pct) test(`${n} %: ${want}`, () => assert.equal(compactPercent(n), want));
});

describe('History: CPU % of a process group between refreshes', () => {
  test('1,000 ms of CPU in 1 s is one core: 100 %; the first sample has none', () => {
    const h = new History(1000);
    assert.equal(h.add('web', { commandPid: 10, cpuMs: 5000, rssBytes: 1 }, 0), null);
    assert.equal(h.add('web', { commandPid: 10, cpuMs: 6000, rssBytes: 2 }, 1000), 100);
    assert.equal(h.add('web', { commandPid: 10, cpuMs: 6250, rssBytes: 2 }, 2000), 25);
    assert.deepEqual(h.cpu('web'), [null, 100, 25]);
    assert.deepEqual(h.mem('web'), [1, 2, 2]);
  });
  test('a new COMMAND (restarted) starts again; a member leaving never makes it negative; not running is a gap', () => {
    const h = new History(1000);
    h.add('web', { commandPid: 10, cpuMs: 5000, rssBytes: 1 }, 0);
    assert.equal(h.add('web', { commandPid: 20, cpuMs: 50, rssBytes: 1 }, 1000), null);
    assert.equal(h.add('web', { commandPid: 20, cpuMs: 10, rssBytes: 1 }, 2000), 0);
    assert.equal(h.add('web', null, 3000), null);
    assert.deepEqual(h.mem('web'), [1, 1, 1, null]);
  });
  test('a minute of samples is kept, at any interval; services gone are forgotten', () => {
    const h = new History(500);
    assert.equal(h.size, 120);
    for (let i = 0; i < 300; i++)
      h.add('web', { commandPid: 1, cpuMs: i * 10, rssBytes: i }, i * 500);
    assert.equal(h.mem('web').length, 120);
    assert.equal(h.mem('web').at(-1), 299);
    h.keepOnly(new Set(['other']));
    assert.deepEqual(h.mem('web'), []);
    assert.equal(new History(3_600_000).size, 1);
  });
});

const row = (name, state, extra = {}) => ({
  name,
  state,
  pid: 1234,
  uptimeMs: 61_000,
  restarts: 2,
  cpuPct: 12.5,
  memBytes: 42 * 1024 ** 2,
  cpuHistory: [0, 50, 100],
  memHistory: [1, 2, 3],
  ...extra,
});
const view = (extra = {}) => ({
  cols: 80,
  lines: 24,
  color: true,
  selected: 0,
  scroll: 0,
  home: '/run/daemonkit',
  clock: 'every 1s  12:00:00',
  rows: [
    row('web', 'running'),
    row('worker', 'failed', { pid: null, cpuPct: null, memBytes: null }),
    row('never', 'never-started'),
  ],
  detail: 'web: running, pid 1234',
  log: ['last line'],
  pane: false,
  message: null,
  window: 3,
  ...extra,
});

describe('layout', () => {
  test('columns: 80 cells make a 14-cell name and 10-cell sparklines; wider terminals widen them; narrow ones drop the sparklines', () => {
    assert.deepEqual(columns(80), { name: 14, spark: 10 });
    assert.deepEqual(columns(120), { name: 14, spark: 30 });
    assert.deepEqual(columns(200), { name: 94, spark: 30 });
    assert.deepEqual(columns(60), { name: 16, spark: 0 });
  });
  for (const [cols, lines] of [
    [80, 24],
    [50, 10],
    [132, 43],
    [200, 60],
    [81, 25],
  ]) {
    for (const pane of [false, true]) {
      test(`${cols}x${lines}${pane ? ', log pane open' : ''}: exactly ${lines} lines of exactly ${cols} cells`, () => {
        const out = render(view({ cols, lines, pane, log: ['a'.repeat(300), '日本'.repeat(100)] }));
        assert.equal(out.length, lines);
        for (const line of out)
          assert.equal(textWidth(visible(line)), cols, JSON.stringify(visible(line)));
      });
    }
  }
  test('80x24: the rows, the selected one marked, the detail and log lines, the key help last', () => {
    const out = render(view()).map(visible);
    // the home is cut to leave room for the clock
    assert.match(
      out[0],
      /^daemonkit top: 3 services, 1 running, 1 failed {2}\/run\/daemonk… every 1s {2}12:00:00$/,
    );
    assert.match(out[1], /^ {2}NAME +STATE +PID UPTIME +RST +CPU% +MEM CPU 1m +MEM 1m +$/);
    assert.match(out[2], /^> web +running +1234 +1m01s +2 +12\.5 +42M +▁▅█ +▁▅█$/);
    assert.match(out[3], /^ {2}worker +failed +- +1m01s +2 +- +-/);
    assert.match(out[4], /^ {2}never +never +1234/);
    assert.equal(out[20], 'web: running, pid 1234'.padEnd(80));
    assert.equal(out[21], 'log: last line'.padEnd(80));
    assert.equal(out[23], ` ${HELP}`.padEnd(80));
  });
  test("colour: the state cells only (not the selected row's, which is reversed); none with colour off", () => {
    const out = render(view({ selected: 2 }));
    assert.ok(out[2].includes('\x1b[32mrunning '), out[2]);
    assert.ok(out[3].includes('\x1b[31mfailed  '), out[3]);
    assert.ok(out[4].startsWith('\x1b[7m>'), out[4]);
    assert.ok(!/\x1b\[3\dm/.test(out[4]));
    const plain = render(view({ color: false, message: { text: 'boom', error: true } }));
    assert.ok(!plain.some((l) => /\x1b\[(3\d|2)m/.test(l)), 'no colour');
  });
  test('text from services is made printable before it is drawn', () => {
    const out = render(
      view({
        cols: 200,
        rows: [row('/run/x\x1b[2J.pid', 'running')],
        detail: 'x: status: \x1b]0;pwned\x07',
        log: ['\x1b[31mred\r'],
        message: { text: 'a\nb', error: false },
      }),
    );
    for (const line of out) assert.ok(!/\x1b(?!\[(?:[0-9;]*m))/.test(line), JSON.stringify(line));
    assert.ok(out[2].includes('/run/x\\x1b[2J.pid'));
    assert.ok(out[21].includes('\\x1b[31mred\\r'));
  });
  test('the log pane: the name in its title, the lines from the top, the table shorter', () => {
    const log = Array.from({ length: 40 }, (_, i) => `line ${i}`);
    const out = render(view({ pane: true, log })).map(visible);
    const title = out.findIndex((l) => l.startsWith(' log of web'));
    assert.ok(title > 2, out.join('\n'));
    assert.equal(out[title + 1].trim(), `line ${40 - (24 - title - 3)}`);
    assert.equal(out[21].trim(), 'line 39');
  });
  test('too small: says so on its first line', () => {
    const out = render(view({ cols: 49, lines: 24 }));
    assert.match(out[0], /^terminal 49x24: top needs 50x10/);
    assert.equal(out.length, 24);
  });
  test('no services: says so', () => {
    assert.match(render(view({ rows: [] }))[2], /^ {2}no services under \/run\/daemonkit/);
  });
  const scrolls = [
    // selected, scroll, height, count -> first row shown
    [0, 0, 18, 5, 0],
    [17, 0, 18, 200, 0],
    [18, 0, 18, 200, 1],
    [5, 10, 18, 200, 5],
    [199, 0, 18, 200, 182],
    [3, 50, 18, 20, 2],
    [0, 5, 18, 3, 0],
  ];
  for (const [selected, scroll, height, count, want] of scrolls) {
    test(`scrollFor(${selected}, ${scroll}, ${height}, ${count}) = ${want}`, () =>
      assert.equal(scrollFor(selected, scroll, height, count), want));
  }
  test('the table takes the rest of 24 lines, under half with the pane', () => {
    assert.equal(tableHeight({ lines: 24, pane: false, rows: [] }), 18);
    assert.equal(tableHeight({ lines: 24, pane: true, rows: Array(50) }), 7);
    assert.equal(tableHeight({ lines: 24, pane: true, rows: Array(2) }), 3);
  });
});

describe('keys', () => {
  const cases = [
    ['j', ['down']],
    ['k', ['up']],
    ['\x1b[A', ['up']],
    ['\x1b[B', ['down']],
    ['\x1bOA', ['up']],
    ['\x1bOB', ['down']],
    ['r', ['restart']],
    ['s', ['toggle']],
    ['l', ['log']],
    ['q', ['quit']],
    ['\x03', ['quit']],
    ['\x1a', ['suspend']],
    ['\x0c', ['redraw']],
    ['\x1b[5~\x1b[6~', ['pageUp', 'pageDown']],
    ['gG', ['first', 'last']],
    ['jjk', ['down', 'down', 'up']],
    // unknown sequences are skipped whole: the letters in them are not keys
    ['\x1b[1;5C', []],
    ['\x1b[200~', []],
    ['\x1bOP', []],
    ['\x1b', []],
    ['\x1bq', []],
    ['x', []],
  ];
  for (const [input, keys] of cases)
    test(JSON.stringify(input), () => assert.deepEqual(decodeKeys(input), keys));
  const moves = [
    ['down', 0, 3, 10, 1],
    ['down', 2, 3, 10, 2],
    ['up', 0, 3, 10, 0],
    ['pageDown', 0, 100, 17, 17],
    ['pageUp', 5, 100, 17, 0],
    ['last', 0, 100, 17, 99],
    ['first', 50, 100, 17, 0],
    ['down', 0, 0, 17, 0],
  ];
  for (const [key, from, count, page, want] of moves)
    test(`${key} from ${from} of ${count}: ${want}`, () =>
      assert.equal(moveSelection(key, from, count, page), want));
});

describe('--interval', () => {
  const ok = [
    [undefined, 1000],
    ['1s', 1000],
    ['250ms', 250],
    ['2', 2000],
    ['100ms', 100],
    ['1h', 3_600_000],
  ];
  for (const [text, ms] of ok) {
    test(`${text}: ${ms} ms`, () => {
      const p = new Problems();
      assert.equal(validateInterval(text, p), ms);
      assert.deepEqual(p.list, []);
    });
  }
  for (const text of ['0', '99ms', '2h', 'fast', '-1s', '']) {
    test(`${JSON.stringify(text)}: refused`, () => {
      const p = new Problems();
      validateInterval(text, p);
      assert.deepEqual(p.list, [
        `invalid --interval '${text}': a duration from 100ms to 1h, such as 500ms or 2s (a bare number is seconds)`,
      ]);
    });
  }
});
