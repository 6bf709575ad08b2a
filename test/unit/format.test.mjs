// Unit tests for src/service/format.ts (durations, sizes, exits, status lines).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatBytes,
  formatDuration,
  formatExit,
  listTable,
  statusLine,
  terminalJson,
  terminalSafe,
} from '../../dist/service/format.js';

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('formatDuration', () => {
  const cases = [
    // Short runs to a tenth of a second, the shortest in ms (a crash after 885 ms is not "0s").
    [0, '0ms'],
    [45, '45ms'],
    [99, '99ms'],
    [100, '0.1s'],
    [885, '0.9s'],
    [999, '1.0s'],
    [1000, '1.0s'],
    [9940, '9.9s'],
    [9999, '10.0s'],
    [10_000, '10s'],
    [59 * SEC + 999, '59s'],
    [MIN, '1m00s'],
    [MIN + 5 * SEC, '1m05s'],
    [65 * SEC, '1m05s'],
    [59 * MIN + 59 * SEC + 999, '59m59s'],
    [HOUR, '1h00m'],
    [HOUR + 59 * SEC, '1h00m'],
    [2 * HOUR + 3 * MIN + 4 * SEC, '2h03m'],
    [23 * HOUR + 59 * MIN + 59 * SEC, '23h59m'],
    [DAY, '1d00h'],
    [DAY + HOUR + MIN + SEC, '1d01h'],
    [10 * DAY + 23 * HOUR, '10d23h'],
    [400 * DAY, '400d00h'],
  ];
  for (const [ms, expected] of cases) {
    test(`${ms} -> ${expected}`, () => assert.equal(formatDuration(ms), expected));
  }
});

describe('formatBytes', () => {
  const cases = [
    [0, '0 B'],
    [1, '1 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [10 * 1024 + 1, '10.0 KiB'],
    [1024 ** 2, '1.0 MiB'],
    [5.25 * 1024 ** 2, '5.3 MiB'], // toFixed(1): 5.25 -> 5.3
    [1024 ** 3, '1.0 GiB'],
    [1.5 * 1024 ** 3, '1.5 GiB'],
    [1024 ** 4, '1.0 TiB'],
    [2048 * 1024 ** 4, '2048.0 TiB'], // TiB is the largest unit
  ];
  for (const [bytes, expected] of cases) {
    test(`${bytes} -> ${expected}`, () => assert.equal(formatBytes(bytes), expected));
  }
  test('just below a unit boundary does not print 1024.0 of the smaller unit', () => {
    assert.equal(formatBytes(1024 ** 2 - 1), '1.0 MiB');
  });
});

const AT = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
const AT_TEXT = '2024-01-02 03:04:05Z';

describe('formatExit', () => {
  const cases = [
    [
      { code: 0, signal: null, at: AT, uptimeMs: 65 * SEC, byStop: false },
      `exited with code 0 at ${AT_TEXT} after 1m05s`,
    ],
    [
      { code: 3, signal: null, at: AT, uptimeMs: 500, byStop: false },
      `exited with code 3 at ${AT_TEXT} after 0.5s`,
    ],
    [
      { code: 1, signal: null, at: AT, uptimeMs: 885, byStop: false },
      `exited with code 1 at ${AT_TEXT} after 0.9s`,
    ],
    [
      { code: null, signal: 'SIGKILL', at: AT, uptimeMs: 2 * HOUR, byStop: false },
      `killed by SIGKILL at ${AT_TEXT} after 2h00m`,
    ],
    [
      { code: null, signal: 'SIGTERM', at: AT, uptimeMs: DAY, byStop: true },
      `killed by SIGTERM (stopped) at ${AT_TEXT} after 1d00h`,
    ],
    [
      { code: 0, signal: null, at: AT, uptimeMs: 0, byStop: true },
      `exited with code 0 (stopped) at ${AT_TEXT} after 0ms`,
    ],
    [
      { code: 0, signal: null, at: Date.UTC(2024, 0, 2, 3, 4, 5, 0), uptimeMs: 0, byStop: false },
      `exited with code 0 at ${AT_TEXT} after 0ms`,
    ],
  ];
  for (const [exit, expected] of cases) {
    test(expected, () => assert.equal(formatExit(exit), expected));
  }
});

function status(overrides) {
  return {
    name: 'web',
    code: 3,
    state: 'stopped',
    running: false,
    pid: null,
    childPid: null,
    uptimeMs: null,
    rssBytes: null,
    lastExit: null,
    pidfile: '/run/daemonkit/web/pid',
    reason: null,
    ...overrides,
  };
}

describe('statusLine', () => {
  const lastExit = { code: null, signal: 'SIGTERM', at: AT, uptimeMs: 90 * SEC, byStop: true };
  const cases = [
    [
      'running, everything known',
      status({
        code: 0,
        state: 'running',
        running: true,
        pid: 123,
        childPid: 456,
        uptimeMs: 65 * SEC,
        rssBytes: 1536 * 1024,
      }),
      'web: running, pid 123, command pid 456, up 1m05s, memory 1.5 MiB',
    ],
    [
      'running, library daemon (no child)',
      status({
        code: 0,
        state: 'running',
        running: true,
        pid: 123,
        uptimeMs: 5 * SEC,
        rssBytes: 2048,
      }),
      'web: running, pid 123, up 5.0s, memory 2.0 KiB',
    ],
    [
      "running: the COMMAND's uptime, memory and CPU of its process group; the service's uptime once it was restarted",
      status({
        code: 0,
        state: 'running',
        running: true,
        pid: 123,
        childPid: 456,
        uptimeMs: 6200,
        serviceUptimeMs: 22 * SEC,
        rssBytes: 90 * 1024 ** 2,
        processes: 3,
        cpuMs: 1520,
        restarts: 1,
      }),
      'web: running, pid 123, command pid 456, up 6.2s, service up 22s, memory 90.0 MiB in 3 processes, cpu 1.52s, 1 restart',
    ],
    [
      "running, never restarted: one uptime (the service's would say the same)",
      status({
        code: 0,
        state: 'running',
        running: true,
        pid: 123,
        childPid: 456,
        uptimeMs: 65 * SEC,
        serviceUptimeMs: 65 * SEC,
        rssBytes: 2048,
        processes: 1,
        cpuMs: 0,
      }),
      'web: running, pid 123, command pid 456, up 1m05s, memory 2.0 KiB, cpu 0.00s',
    ],
    [
      "backoff: when the next restart is due, and how the last run ended; the service's uptime (no COMMAND runs)",
      status({
        code: 0,
        state: 'backoff',
        running: true,
        pid: 123,
        serviceUptimeMs: 22 * SEC,
        restarts: 3,
        nextRestartAt: AT + 1200,
        lastExit: { code: 2, signal: null, at: AT, uptimeMs: 885, byStop: false },
      }),
      'web: backoff, pid 123, restarting in 1.2s (exited with code 2 after 0.9s), service up 22s, 3 restarts',
      AT,
    ],
    [
      'running, nothing known',
      status({ code: 0, state: 'running', running: true }),
      'web: running',
    ],
    [
      'a start still launching: no pid yet',
      status({ code: 0, state: 'starting', running: true }),
      'web: starting',
    ],
    [
      'locked but the pidfile unreadable: unknown, with the reason',
      status({
        code: 4,
        state: 'unknown',
        running: true,
        reason: 'cannot read pidfile /run/x.pid: permission denied',
      }),
      'web: status unknown; cannot read pidfile /run/x.pid: permission denied',
    ],
    [
      'running, zero uptime shown',
      status({ code: 0, state: 'running', running: true, pid: 7, uptimeMs: 0 }),
      'web: running, pid 7, up 0ms',
    ],
    [
      'starting',
      status({ code: 0, state: 'starting', running: true, pid: 9 }),
      'web: starting, pid 9',
    ],
    [
      'running with a notify status',
      status({ code: 0, state: 'running', running: true, pid: 9, statusText: 'serving 3 clients' }),
      'web: running, pid 9, status: serving 3 clients',
    ],
    [
      'running with a log error',
      status({
        code: 0,
        state: 'running',
        running: true,
        pid: 9,
        logError: 'cannot write /l: ENOSPC',
      }),
      'web: running, pid 9; log error: cannot write /l: ENOSPC',
    ],
    [
      'stopping',
      status({ code: 0, state: 'stopping', running: true, pid: 9 }),
      'web: stopping, pid 9',
    ],
    ['stopped', status({}), 'web: not running (stopped)'],
    [
      'stopped with last exit',
      status({ lastExit }),
      `web: not running (stopped); last exit: killed by SIGTERM (stopped) at ${AT_TEXT} after 1m30s`,
    ],
    [
      'exited',
      status({ state: 'exited', lastExit: { ...lastExit, signal: null, code: 0, byStop: false } }),
      `web: not running (exited); last exit: exited with code 0 at ${AT_TEXT} after 1m30s`,
    ],
    [
      'stopped with output it could not write',
      status({
        lastExit,
        logLost:
          "7000 bytes of the COMMAND's last output could not be written (cannot write /l: ENOSPC)",
      }),
      `web: not running (stopped); last exit: killed by SIGTERM (stopped) at ${AT_TEXT} after 1m30s; log: 7000 bytes of the COMMAND's last output could not be written (cannot write /l: ENOSPC)`,
    ],
    ['never started', status({ state: 'never-started' }), 'web: not running (never started)'],
    [
      'failed with reason',
      status({ code: 1, state: 'failed', reason: 'sleep: not found' }),
      'web: dead (failed); sleep: not found',
    ],
    [
      'failed with exit and reason',
      status({
        code: 1,
        state: 'failed',
        reason: 'boom',
        lastExit: { ...lastExit, signal: null, code: 2, byStop: false },
      }),
      `web: dead (failed); last exit: exited with code 2 at ${AT_TEXT} after 1m30s; boom`,
    ],
    ['failed, no reason', status({ code: 1, state: 'failed' }), 'web: dead (failed)'],
    [
      'failed: a reason that only repeats the last exit is not said twice',
      status({
        code: 1,
        state: 'failed',
        reason: 'exited with code 4',
        lastExit: { ...lastExit, signal: null, code: 4, byStop: false },
      }),
      `web: dead (failed); last exit: exited with code 4 at ${AT_TEXT} after 1m30s`,
    ],
    [
      'a crash loop: its reason without the last exit again',
      status({
        code: 1,
        state: 'failed',
        reason: 'crash loop: more than 1 restarts within 60s; last exited with code 3',
        lastExit: { ...lastExit, signal: null, code: 3, byStop: false },
      }),
      `web: dead (failed); last exit: exited with code 3 at ${AT_TEXT} after 1m30s; crash loop: more than 1 restarts within 60s`,
    ],
    [
      'dead',
      status({
        code: 1,
        state: 'dead',
        reason: 'stale pidfile /run/x.pid: pid 42 is not the daemon',
      }),
      'web: dead; stale pidfile /run/x.pid: pid 42 is not the daemon',
    ],
    [
      'unknown',
      status({
        code: 4,
        state: 'unknown',
        reason: 'pidfile /run/x.pid is a directory, not a file',
      }),
      'web: status unknown; pidfile /run/x.pid is a directory, not a file',
    ],
    [
      'pidfile-identified service',
      status({ name: '/run/app.pid', state: 'never-started' }),
      '/run/app.pid: not running (never started)',
    ],
  ];
  for (const [title, s, expected, now] of cases) {
    test(title, () => assert.equal(statusLine(s, now), expected));
  }
});

describe("terminalSafe: a service's text made printable", () => {
  const cases = [
    ['plain text stays', 'serving 42 requests/s', 'serving 42 requests/s'],
    ['non-ASCII letters stay', 'prêt — 準備完了 🚀', 'prêt — 準備完了 🚀'],
    [
      'ESC, BEL and CR of a clear-screen, colour and title attack',
      'ok \x1b[2J\x1b[31mPWNED\x1b]0;title\x07\r',
      'ok \\x1b[2J\\x1b[31mPWNED\\x1b]0;title\\x07\\r',
    ],
    ['newline and tab by name', 'a\nb\tc', 'a\\nb\\tc'],
    ['NUL and DEL', '\0x\x7f', '\\x00x\\x7f'],
    ['C1 controls (0x9b: an 8-bit CSI)', '\u0080\u009b2J\u009f', '\\u0080\\u009b2J\\u009f'],
    ['the line and paragraph separators', 'a\u2028b\u2029c', 'a\\u2028b\\u2029c'],
    [
      'bidirectional overrides and isolates',
      '\u202egnp.exe\u2066x\u2069\u200f',
      '\\u202egnp.exe\\u2066x\\u2069\\u200f',
    ],
    ['a lone surrogate (not UTF-8)', 'a\ud800b\udc00', 'a\\ud800b\\udc00'],
    ['U+FFFD (how invalid UTF-8 was decoded) stays', 'bad \ufffd byte', 'bad \ufffd byte'],
    ['a backslash stays as it is', 'C:\\x1b', 'C:\\x1b'],
  ];
  for (const [what, input, expected] of cases) {
    test(what, () => {
      assert.equal(terminalSafe(input), expected);
      assert.doesNotMatch(
        terminalSafe(input),
        /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/,
      );
      assert.equal(terminalSafe(terminalSafe(input)), terminalSafe(input), 'twice is once');
    });
  }
});

describe('terminalJson: JSON with nothing raw a terminal acts on', () => {
  const value = { statusText: 'ok \x1b[2J\x07\r\u009b\u2028\u202e\x7f\ud800 fin', n: 1 };
  test('the same value back', () => assert.deepEqual(JSON.parse(terminalJson(value)), value));
  test('no control, separator or override character in the text', () => {
    assert.doesNotMatch(
      terminalJson(value),
      /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\ud800-\udfff]/,
    );
    assert.match(terminalJson(value), /\\u009b\\u2028\\u202e\\u007f\\ud800/);
  });
});

describe('listTable escapes its cells', () => {
  test('a name from a state file cannot forge a row', () => {
    const row = {
      name: '/tmp/x\n\x1b[2Jevil.pid',
      state: 'running',
      pid: 1,
      uptimeMs: 0,
      restarts: 0,
      rssBytes: null,
      cpuMs: null,
    };
    const table = listTable([row]);
    assert.equal(table.split('\n').length, 2);
    assert.match(table, /\/tmp\/x\\n\\x1b\[2Jevil\.pid/);
  });
});
