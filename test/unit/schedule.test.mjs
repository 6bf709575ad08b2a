// Unit tests for src/config/schedule.ts (stop schedules in start-stop-daemon's --retry syntax).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  defaultSchedule,
  formatSchedule,
  parseSchedule,
  parseSignal,
  runSchedule,
  scheduleDurationMs,
} from '../../dist/config/schedule.js';

const sig = (signal, number) => ({ kind: 'signal', signal, number });
const wait = (ms) => ({ kind: 'wait', ms });
const goto = (index) => ({ kind: 'goto', index });
const TERM = sig('SIGTERM', 15);
const KILL = sig('SIGKILL', 9);
const INT = sig('SIGINT', 2);
const HUP = sig('SIGHUP', 1);

describe('parseSignal', () => {
  const cases = [
    ['TERM', { signal: 'SIGTERM', number: 15 }],
    ['SIGTERM', { signal: 'SIGTERM', number: 15 }],
    ['-TERM', { signal: 'SIGTERM', number: 15 }],
    ['-SIGTERM', { signal: 'SIGTERM', number: 15 }],
    ['15', { signal: 'SIGTERM', number: 15 }],
    ['-15', { signal: 'SIGTERM', number: 15 }],
    ['015', { signal: 'SIGTERM', number: 15 }],
    ['term', { signal: 'SIGTERM', number: 15 }],
    ['sigterm', { signal: 'SIGTERM', number: 15 }],
    ['Term', { signal: 'SIGTERM', number: 15 }],
    ['KILL', { signal: 'SIGKILL', number: 9 }],
    ['9', { signal: 'SIGKILL', number: 9 }],
    ['-9', { signal: 'SIGKILL', number: 9 }],
    ['HUP', { signal: 'SIGHUP', number: 1 }],
    ['1', { signal: 'SIGHUP', number: 1 }],
    ['INT', { signal: 'SIGINT', number: 2 }],
    ['usr1', { signal: 'SIGUSR1', number: 10 }],
    ['USR2', { signal: 'SIGUSR2', number: 12 }],
    ['-usr2', { signal: 'SIGUSR2', number: 12 }],
    ['CONT', { signal: 'SIGCONT', number: 18 }],
    // unknown or not a signal
    ['FOO', null],
    ['SIGFOO', null],
    ['SIG', null],
    ['', null],
    ['-', null],
    ['--TERM', null],
    ['0', null], // signal 0 has no name in os.constants.signals
    ['-0', null],
    ['65', null],
    ['99999', null],
    ['1.5', null],
    ['TERM ', null],
    [' TERM', null],
    ['forever', null],
  ];
  for (const [input, expected] of cases) {
    test(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(parseSignal(input), expected);
    });
  }
});

describe('defaultSchedule', () => {
  test('no arguments: TERM/10/KILL/5', () => {
    assert.deepEqual(defaultSchedule(), [TERM, wait(10000), KILL, wait(5000)]);
  });
  test('custom timeout', () => {
    assert.deepEqual(defaultSchedule(3), [TERM, wait(3000), KILL, wait(5000)]);
  });
  test('custom timeout and signal', () => {
    assert.deepEqual(defaultSchedule(7, 'INT'), [INT, wait(7000), KILL, wait(5000)]);
  });
  test('zero timeout', () => {
    assert.deepEqual(defaultSchedule(0), [TERM, wait(0), KILL, wait(5000)]);
  });
  test('unknown signal throws', () => {
    assert.throws(() => defaultSchedule(1, 'NOPE'), { message: "unknown signal 'NOPE'" });
  });
});

describe('parseSchedule: valid', () => {
  const cases = [
    // bare number of seconds N -> TERM/N/KILL/5, in milliseconds
    ['5', [TERM, wait(5000), KILL, wait(5000)]],
    ['0', [TERM, wait(0), KILL, wait(5000)]],
    ['30', [TERM, wait(30000), KILL, wait(5000)]],
    ['1.5', [TERM, wait(1500), KILL, wait(5000)]],
    ['0.25', [TERM, wait(250), KILL, wait(5000)]],
    ['.5', [TERM, wait(500), KILL, wait(5000)]],
    // explicit schedules
    ['TERM/5/KILL/2', [TERM, wait(5000), KILL, wait(2000)]],
    ['-INT/3/KILL/1', [INT, wait(3000), KILL, wait(1000)]],
    ['SIGTERM/1/SIGKILL/1', [TERM, wait(1000), KILL, wait(1000)]],
    ['term/1/kill/1', [TERM, wait(1000), KILL, wait(1000)]],
    ['TERM/5/-9/1', [TERM, wait(5000), KILL, wait(1000)]], // -N is a signal number
    ['-15/2/-9/2', [TERM, wait(2000), KILL, wait(2000)]],
    ['HUP/0.5', [HUP, wait(500)]],
    ['TERM/2.01/KILL/5', [TERM, wait(2010), KILL, wait(5000)]], // rounded to whole ms
    ['TERM/0.0004/KILL/1', [TERM, wait(0), KILL, wait(1000)]],
    ['TERM/.25/KILL/1', [TERM, wait(250), KILL, wait(1000)]],
    // a bare number is a wait, not a signal
    ['TERM/5/9/1', [TERM, wait(5000), wait(9000), wait(1000)]],
    // forever: a goto to the index of the first step after 'forever' is appended
    ['TERM/1/forever/KILL/2', [TERM, wait(1000), KILL, wait(2000), goto(2)]],
    ['forever/TERM/1', [TERM, wait(1000), goto(0)]],
    [
      'TERM/5/KILL/1/forever/KILL/3',
      [TERM, wait(5000), KILL, wait(1000), KILL, wait(3000), goto(4)],
    ],
    ['TERM/forever/5', [TERM, wait(5000), goto(1)]],
  ];
  for (const [input, expected] of cases) {
    test(`${JSON.stringify(input)}`, () => {
      assert.deepEqual(parseSchedule(input), expected);
    });
  }

  test('every wait is a whole number of milliseconds in the bare-number form', () => {
    for (const input of ['2.01', '4.03', '8.05']) {
      const steps = parseSchedule(input);
      assert.equal(steps[1].ms, Math.round(Number(input) * 1000), input);
      assert.ok(Number.isInteger(steps[1].ms), `${input} -> ${steps[1].ms}`);
    }
  });
});

describe('parseSchedule: errors', () => {
  const cases = [
    [
      '5/5',
      "schedule '5/5' sends no signal (a number is a wait; a signal is TERM, SIGTERM, -TERM or -15)",
    ],
    [
      '99/1',
      "schedule '99/1' sends no signal (a number is a wait; a signal is TERM, SIGTERM, -TERM or -15)",
    ],
    [
      'forever/1',
      "schedule 'forever/1' sends no signal (a number is a wait; a signal is TERM, SIGTERM, -TERM or -15)",
    ],
    [
      'TERM/1/forever/KILL/forever/1',
      "'forever' appears more than once in 'TERM/1/forever/KILL/forever/1'",
    ],
    ['forever/forever/TERM/1', "'forever' appears more than once in 'forever/forever/TERM/1'"],
    ['TERM/1/forever', "'forever' is last in 'TERM/1/forever': nothing to repeat"],
    ['TERM/1/KILL/2/forever', "'forever' is last in 'TERM/1/KILL/2/forever': nothing to repeat"],
    ['TERM//5', "empty item in schedule 'TERM//5'"],
    ['/TERM/5', "empty item in schedule '/TERM/5'"],
    ['TERM/5/', "empty item in schedule 'TERM/5/'"],
    ['TERM/5/FOO/1', "unknown signal 'FOO' in schedule 'TERM/5/FOO/1'"],
    ['-0/5', "unknown signal '-0' in schedule '-0/5'"],
    ['TERM/1e3', "unknown signal '1e3' in schedule 'TERM/1e3'"],
    ['TERM', "'TERM' is neither a number of seconds nor a schedule like TERM/10/KILL/5"],
    ['', "'' is neither a number of seconds nor a schedule like TERM/10/KILL/5"],
    ['-1', "'-1' is neither a number of seconds nor a schedule like TERM/10/KILL/5"],
    ['abc', "'abc' is neither a number of seconds nor a schedule like TERM/10/KILL/5"],
    ['TERM/5/KILL', "schedule 'TERM/5/KILL' must end with a number of seconds to wait"],
    ['TERM/KILL', "schedule 'TERM/KILL' must end with a number of seconds to wait"],
    ['forever/TERM', "schedule 'forever/TERM' must end with a number of seconds to wait"],
    ['FOREVER/TERM/1', "unknown signal 'FOREVER' in schedule 'FOREVER/TERM/1'"],
  ];
  for (const [input, message] of cases) {
    test(`${JSON.stringify(input)} throws`, () => {
      assert.throws(() => parseSchedule(input), { name: 'Error', message });
    });
  }
  test("'TERM/-5' ends with a signal (SIGTRAP), not a wait", () => {
    assert.throws(() => parseSchedule('TERM/-5'), {
      message: "schedule 'TERM/-5' must end with a number of seconds to wait",
    });
  });
});

describe('scheduleDurationMs', () => {
  const cases = [
    [[], 0],
    [defaultSchedule(), 15000],
    [parseSchedule('TERM/5/KILL/2'), 7000],
    [parseSchedule('3'), 8000],
    [parseSchedule('HUP/0.5'), 500],
    [parseSchedule('TERM/1/forever/KILL/2'), Infinity],
    [parseSchedule('forever/TERM/0'), Infinity],
  ];
  for (const [schedule, expected] of cases) {
    test(`${formatSchedule(schedule) || '(empty)'} -> ${expected}`, () => {
      assert.equal(scheduleDurationMs(schedule), expected);
    });
  }
});

describe('formatSchedule', () => {
  const cases = [
    [defaultSchedule(), 'TERM/10/KILL/5'],
    [parseSchedule('7'), 'TERM/7/KILL/5'],
    [parseSchedule('-INT/3/KILL/1'), 'INT/3/KILL/1'],
    [parseSchedule('SIGHUP/0.5/-9/1.25'), 'HUP/0.5/KILL/1.25'],
    [[], ''],
  ];
  for (const [schedule, expected] of cases) {
    test(`-> ${JSON.stringify(expected)}`, () => {
      assert.equal(formatSchedule(schedule), expected);
    });
  }

  // parse(format(parse(x))) must equal parse(x)
  const roundTrips = [
    '5',
    '0.5',
    '1.5',
    'TERM/5/KILL/2',
    '-INT/3/KILL/1',
    'usr1/1/TERM/2/KILL/3',
    'HUP/0',
  ];
  for (const text of roundTrips) {
    test(`round trip ${JSON.stringify(text)}`, () => {
      const parsed = parseSchedule(text);
      assert.deepEqual(parseSchedule(formatSchedule(parsed)), parsed);
    });
  }

  const foreverRoundTrips = [
    'TERM/1/forever/KILL/2',
    'forever/TERM/1',
    'TERM/5/KILL/1/forever/KILL/3',
  ];
  for (const text of foreverRoundTrips) {
    test(`round trip with forever ${JSON.stringify(text)}`, () => {
      const parsed = parseSchedule(text);
      assert.equal(formatSchedule(parsed), text);
      assert.deepEqual(parseSchedule(formatSchedule(parsed)), parsed);
    });
  }
});

/** Fake ops recording every call; waitGone answers true from its `goneAtWait`-th call on. */
function recorder(goneAtWait = Infinity, limit = 1000) {
  const calls = [];
  let waits = 0;
  return {
    calls,
    ops: {
      send(signal) {
        calls.push(['send', signal]);
      },
      async waitGone(ms) {
        calls.push(['wait', ms]);
        waits++;
        if (waits > limit) throw new Error('runaway schedule');
        return waits >= goneAtWait;
      },
    },
  };
}

describe('runSchedule', () => {
  const cases = [
    {
      title: 'default schedule, never gone: runs out and returns false',
      schedule: defaultSchedule(),
      goneAtWait: Infinity,
      result: false,
      calls: [
        ['send', 'SIGTERM'],
        ['wait', 10000],
        ['send', 'SIGKILL'],
        ['wait', 5000],
      ],
    },
    {
      title: 'gone at the first wait: stops early, KILL never sent',
      schedule: defaultSchedule(),
      goneAtWait: 1,
      result: true,
      calls: [
        ['send', 'SIGTERM'],
        ['wait', 10000],
      ],
    },
    {
      title: 'gone at the second wait',
      schedule: parseSchedule('TERM/5/KILL/2'),
      goneAtWait: 2,
      result: true,
      calls: [
        ['send', 'SIGTERM'],
        ['wait', 5000],
        ['send', 'SIGKILL'],
        ['wait', 2000],
      ],
    },
    {
      title: 'consecutive signals are all sent before the wait',
      schedule: parseSchedule('HUP/INT/1'),
      goneAtWait: Infinity,
      result: false,
      calls: [
        ['send', 'SIGHUP'],
        ['send', 'SIGINT'],
        ['wait', 1000],
      ],
    },
    {
      title: 'empty schedule: nothing done, false',
      schedule: [],
      goneAtWait: 1,
      result: false,
      calls: [],
    },
    {
      title: 'forever: repeats only the items after forever (gone at the 4th wait)',
      schedule: parseSchedule('TERM/1/forever/KILL/2'),
      goneAtWait: 4,
      result: true,
      calls: [
        ['send', 'SIGTERM'],
        ['wait', 1000],
        ['send', 'SIGKILL'],
        ['wait', 2000],
        ['send', 'SIGKILL'],
        ['wait', 2000],
        ['send', 'SIGKILL'],
        ['wait', 2000],
      ],
    },
    {
      title: 'forever at the start repeats everything (gone at the 3rd wait)',
      schedule: parseSchedule('forever/TERM/1/KILL/2'),
      goneAtWait: 3,
      result: true,
      calls: [
        ['send', 'SIGTERM'],
        ['wait', 1000],
        ['send', 'SIGKILL'],
        ['wait', 2000],
        ['send', 'SIGTERM'],
        ['wait', 1000],
      ],
    },
    {
      title: 'forever in the middle of several items (gone at the 5th wait)',
      schedule: parseSchedule('TERM/5/forever/HUP/1/KILL/2'),
      goneAtWait: 5,
      result: true,
      calls: [
        ['send', 'SIGTERM'],
        ['wait', 5000],
        ['send', 'SIGHUP'],
        ['wait', 1000],
        ['send', 'SIGKILL'],
        ['wait', 2000],
        ['send', 'SIGHUP'],
        ['wait', 1000],
        ['send', 'SIGKILL'],
        ['wait', 2000],
      ],
    },
  ];
  for (const c of cases) {
    test(c.title, async () => {
      const { calls, ops } = recorder(c.goneAtWait);
      const result = await runSchedule(c.schedule, ops);
      assert.equal(result, c.result);
      assert.deepEqual(calls, c.calls);
    });
  }

  test('forever keeps looping while the process stays (100 waits)', async () => {
    const { calls, ops } = recorder(100);
    assert.equal(await runSchedule(parseSchedule('TERM/1/forever/KILL/2'), ops), true);
    assert.equal(calls.filter(([k]) => k === 'wait').length, 100);
    assert.equal(calls.filter(([k, v]) => k === 'send' && v === 'SIGTERM').length, 1);
    assert.equal(calls.filter(([k, v]) => k === 'send' && v === 'SIGKILL').length, 99);
  });

  test('a rejecting waitGone propagates', async () => {
    const ops = {
      send() {},
      waitGone: async () => {
        throw new Error('pidfd failed');
      },
    };
    await assert.rejects(runSchedule(defaultSchedule(), ops), { message: 'pidfd failed' });
  });
});
