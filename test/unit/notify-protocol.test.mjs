// Unit tests for the sd_notify protocol (src/notify/protocol.ts) and the notify environment
// (src/notify/client.ts): pure tables.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatNotify, parseNotify } from '../../dist/notify/protocol.js';
import { readNotifyEnv, takeNotifyEnv } from '../../dist/notify/client.js';

// [datagram, expected fields of the parsed message (others: absent / false / empty)]
const PARSE = [
  ['READY=1', { ready: true }],
  ['READY=1\n', { ready: true }],
  ['READY=0', {}],
  ['READY=1 ', {}],
  ['READY=0\nREADY=1', { ready: true }], // any line READY=1 counts, as in systemd
  ['STOPPING=1', { stopping: true }],
  ['RELOADING=1\nMONOTONIC_USEC=123456789', { reloading: true, monotonicUsec: 123456789 }],
  ['READY=1\nSTATUS=hi', { ready: true, status: 'hi' }],
  ['STATUS=', { status: '' }], // an empty status clears it
  ['STATUS=a=b c', { status: 'a=b c' }], // only the first '=' splits
  ['STATUS=first\nSTATUS=second', { status: 'first' }], // first occurrence wins
  ['STATUS=Zürich ✓', { status: 'Zürich ✓' }],
  ['ERRNO=2', { errno: 2 }],
  ['ERRNO=0', { errno: 0 }],
  ['ERRNO=-1', { invalid: ['ERRNO'] }],
  ['ERRNO=abc', { invalid: ['ERRNO'] }],
  ['ERRNO=99999999999', { invalid: ['ERRNO'] }],
  ['MAINPID=4242', { mainPid: 4242 }],
  ['MAINPID=0', { invalid: ['MAINPID'] }],
  ['MAINPID=12x', { invalid: ['MAINPID'] }],
  ['EXTEND_TIMEOUT_USEC=5000000', { extendTimeoutUsec: 5000000 }],
  ['EXTEND_TIMEOUT_USEC=18446744073709551615', { extendTimeoutUsec: Infinity }], // USEC_INFINITY
  ['EXTEND_TIMEOUT_USEC=1.5', { invalid: ['EXTEND_TIMEOUT_USEC'] }],
  ['MONOTONIC_USEC=18446744073709551615', { invalid: ['MONOTONIC_USEC'] }],
  ['WATCHDOG=1', { watchdog: 'ping' }],
  ['WATCHDOG=trigger', { watchdog: 'trigger' }],
  ['WATCHDOG=2', { invalid: ['WATCHDOG'] }],
  ['WATCHDOG_USEC=30000000', { watchdogUsec: 30000000 }],
  ['WATCHDOG_USEC=0', { invalid: ['WATCHDOG_USEC'] }],
  ['', {}],
  ['\n\n', {}],
  ['garbage without equals', {}],
  ['=1', {}],
  ['ready=1', {}], // keys are upper case
  [
    'READY=1\nSTOPPING=1\nSTATUS=bye\nERRNO=0\nMAINPID=7\nX_CUSTOM=yes',
    { ready: true, stopping: true, status: 'bye', errno: 0, mainPid: 7 },
  ],
];

describe('parseNotify', () => {
  for (const [text, expected] of PARSE) {
    test(JSON.stringify(text), () => {
      const m = parseNotify(text);
      const { fields, invalid, ...rest } = m;
      const want = { ready: false, stopping: false, reloading: false, ...expected };
      const wantInvalid = want.invalid ?? [];
      delete want.invalid;
      assert.deepEqual(rest, want);
      assert.deepEqual(invalid, wantInvalid);
      assert.ok(fields instanceof Map);
    });
  }

  test('fields keeps every well-formed line, first occurrence of each key', () => {
    const m = parseNotify('READY=1\nX_CUSTOM=a\nX_CUSTOM=b\nbad line\nlower=1\nSTATUS=s');
    assert.deepEqual(
      [...m.fields],
      [
        ['READY', '1'],
        ['X_CUSTOM', 'a'],
        ['STATUS', 's'],
      ],
    );
  });

  test('bytes as received are decoded as UTF-8', () => {
    assert.equal(parseNotify(Buffer.from('STATUS=Zürich')).status, 'Zürich');
    assert.equal(parseNotify(new Uint8Array(Buffer.from('READY=1'))).ready, true);
  });
});

describe('formatNotify', () => {
  const OK = [
    [{ READY: 1 }, 'READY=1'],
    [{ READY: 1, STATUS: 'listening on :80' }, 'READY=1\nSTATUS=listening on :80'],
    [{ RELOADING: 1, MONOTONIC_USEC: 123n }, 'RELOADING=1\nMONOTONIC_USEC=123'],
    [{ STATUS: '' }, 'STATUS='],
    [{ WATCHDOG: 'trigger' }, 'WATCHDOG=trigger'],
  ];
  for (const [fields, text] of OK) {
    test(`${JSON.stringify(fields, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))} → ${JSON.stringify(text)}`, () => {
      assert.equal(formatNotify(fields), text);
      assert.equal(parseNotify(text).fields.size, Object.keys(fields).length, 'parses back');
    });
  }
  const BAD = [
    [{}, /at least one field/],
    [{ ready: 1 }, /field name 'ready'/],
    [{ 'A=B': 1 }, /field name 'A=B'/],
    [{ STATUS: 'two\nlines' }, /no newlines/],
    [{ STATUS: 'nul\0' }, /no newlines or NUL/],
    [{ ERRNO: -1 }, /whole number/],
    [{ ERRNO: 1.5 }, /whole number/],
    [{ MONOTONIC_USEC: -1n }, /whole number/],
  ];
  for (const [fields, why] of BAD) {
    test(`refuses ${JSON.stringify(fields, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`, () => {
      assert.throws(
        () => formatNotify(fields),
        (e) => e.code === 'BAD_OPTION' && why.test(e.message),
      );
    });
  }
  test('every problem at once', () => {
    assert.throws(
      () => formatNotify({ bad: 1, STATUS: 'a\nb' }),
      (e) => e.details.problems.length === 2,
    );
  });
});

describe('readNotifyEnv / takeNotifyEnv', () => {
  const ME = 4242;
  const TABLE = [
    [{}, { socket: null, watchdogUsec: null }],
    [{ NOTIFY_SOCKET: '' }, { socket: null, watchdogUsec: null }],
    [
      { NOTIFY_SOCKET: '/run/systemd/notify' },
      { socket: '/run/systemd/notify', watchdogUsec: null },
    ],
    [
      { NOTIFY_SOCKET: '@abstract', WATCHDOG_USEC: '30000000' },
      { socket: '@abstract', watchdogUsec: 30000000 },
    ],
    [
      { NOTIFY_SOCKET: '/s', WATCHDOG_USEC: '1000', WATCHDOG_PID: String(ME) },
      { socket: '/s', watchdogUsec: 1000 },
    ],
    [
      { NOTIFY_SOCKET: '/s', WATCHDOG_USEC: '1000', WATCHDOG_PID: '1' },
      { socket: '/s', watchdogUsec: null },
    ], // not ours
    [
      { NOTIFY_SOCKET: '/s', WATCHDOG_USEC: '0' },
      { socket: '/s', watchdogUsec: null },
    ],
    [
      { NOTIFY_SOCKET: '/s', WATCHDOG_USEC: 'soon' },
      { socket: '/s', watchdogUsec: null },
    ],
    [
      { NOTIFY_SOCKET: '/s', WATCHDOG_USEC: '1000', WATCHDOG_PID: 'x' },
      { socket: '/s', watchdogUsec: null },
    ],
  ];
  for (const [env, expected] of TABLE) {
    test(JSON.stringify(env), () => {
      assert.deepEqual(readNotifyEnv({ ...env }, ME), expected);
    });
  }
  test('take removes the three variables and nothing else', () => {
    const env = {
      NOTIFY_SOCKET: '/s',
      WATCHDOG_USEC: '1000',
      WATCHDOG_PID: String(ME),
      INVOCATION_ID: 'abc',
      PATH: '/bin',
    };
    assert.deepEqual(takeNotifyEnv(env, ME), { socket: '/s', watchdogUsec: 1000 });
    assert.deepEqual(env, { INVOCATION_ID: 'abc', PATH: '/bin' });
  });
});
