// The supervisor's restart policy and state machine, as tables.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_POLICY } from '../../dist/config/restart-policy.js';
import { countRestart, nextDelay, wantsRestart } from '../../dist/supervisor/policy.js';
import { parseDuration } from '../../dist/config/durations.js';
import { initialState, isTerminal, transition } from '../../dist/supervisor/machine.js';
import { servicePhase } from '../../dist/supervisor/state-record.js';

const exit = (code, signal = null, uptimeMs = 1000, byStop = false) => ({
  code,
  signal,
  uptimeMs,
  byStop,
});
const P = { ...DEFAULT_POLICY, restart: 'on-failure' };

describe('parseDuration', () => {
  for (const [text, ms] of [
    ['100ms', 100],
    ['2s', 2000],
    ['1m', 60000],
    ['1h', 3600000],
    ['5', 5000],
    ['0.5', 500],
    ['1.5s', 1500],
    ['0', 0],
    [' 3s ', 3000],
  ]) {
    test(`${JSON.stringify(text)} -> ${ms}`, () => assert.equal(parseDuration(text), ms));
  }
  for (const bad of ['', 's', '-1s', '1d', '1 s', 'abc', '1e3', '10000000h', '.5s']) {
    test(`${JSON.stringify(bad)} is invalid`, () => assert.equal(parseDuration(bad), null));
  }
});

describe('wantsRestart', () => {
  const table = [
    ['no', exit(1), false],
    ['no', exit(0), false],
    ['on-failure', exit(0), false],
    ['on-failure', exit(1), true],
    ['on-failure', exit(null, 'SIGKILL'), true],
    ['always', exit(0), true],
    ['always', exit(2), true],
    ['always', exit(0, null, 1000, true), false],
    ['on-failure', exit(null, 'SIGTERM', 1000, true), false],
  ];
  for (const [mode, e, want] of table) {
    test(`${mode} ${JSON.stringify(e)} -> ${want}`, () =>
      assert.equal(wantsRestart(mode, e), want));
  }
});

describe('nextDelay: doubling from --restart-delay up to --restart-max-delay, reset after --min-uptime', () => {
  const policy = { ...P, delayMs: 100, maxDelayMs: 1000, minUptimeMs: 10000 };
  test('first restart', () => assert.equal(nextDelay(null, exit(1, null, 5), policy), 100));
  test('doubles', () =>
    assert.deepEqual(
      [100, 200, 400].map((d) => nextDelay(d, exit(1, null, 5), policy)),
      [200, 400, 800],
    ));
  test('capped', () =>
    assert.deepEqual(
      [800, 1000].map((d) => nextDelay(d, exit(1, null, 5), policy)),
      [1000, 1000],
    ));
  test('resets after a long enough run', () =>
    assert.equal(nextDelay(800, exit(1, null, 10000), policy), 100));
  test('not reset just short of it', () =>
    assert.equal(nextDelay(800, exit(1, null, 9999), policy), 1000));
});

describe('countRestart: more than --max-restarts within --restart-window gives up', () => {
  const policy = { ...P, maxRestarts: 3, windowMs: 1000 };
  test('under the limit', () =>
    assert.deepEqual(countRestart([10, 20], 30, policy), { times: [10, 20, 30], giveUp: false }));
  test('at the limit is fine', () =>
    assert.equal(countRestart([10, 20], 30, policy).times.length, 3));
  test('one more gives up', () =>
    assert.equal(countRestart([10, 20, 30], 40, policy).giveUp, true));
  test('old restarts leave the window', () =>
    assert.deepEqual(countRestart([10, 20, 30], 1015, policy), {
      times: [20, 30, 1015],
      giveUp: false,
    }));
  test('max 0: the first restart already gives up', () =>
    assert.equal(countRestart([], 5, { ...policy, maxRestarts: 0 }).giveUp, true));
  test('max 1000000 (the most): the 1000001st restart in the window gives up, the list stays at 1000001', () => {
    const big = { ...policy, maxRestarts: 1_000_000, windowMs: 60_000_000 };
    const times = Array.from({ length: 1_000_000 }, (_, i) => i);
    const r = countRestart(times, 1_000_000, big);
    assert.equal(r.giveUp, true);
    assert.equal(r.times.length, 1_000_001);
    assert.equal(countRestart(times.slice(1), 1_000_000, big).giveUp, false);
  });
  test('never (null, --max-restarts infinity): never gives up, and keeps no times', () => {
    const never = { ...policy, maxRestarts: null };
    let times = [];
    for (let now = 0; now < 10_000; now++) {
      const r = countRestart(times, now, never);
      assert.equal(r.giveUp, false);
      times = r.times;
    }
    assert.deepEqual(times, []);
  });
});

/** Run events through the machine; returns the phases and effect types seen. */
function drive(events, policy = P, state = initialState()) {
  const trace = [];
  for (const [event, now] of events) {
    const r = transition(state, event, policy, now);
    state = r.state;
    trace.push([
      state.phase,
      r.effects.map((e) => (e.type === 'set-timer' ? `timer:${e.ms}` : e.type)),
    ]);
  }
  return { state, trace };
}

describe('transition', () => {
  const started = [{ type: 'started' }, 0];
  test('start announced after the grace period', () => {
    assert.deepEqual(drive([started]).trace, [['running', ['announce-started']]]);
  });
  test('a clean exit 0 within the grace period: the start is failed (the launcher is told), the state says exited, not failed', () => {
    const { state, trace } = drive([[{ type: 'exited', exit: exit(0, null, 5) }, 5]], {
      ...P,
      restart: 'always',
    });
    assert.deepEqual(trace, [['exited', ['announce-failed', 'finish']]]);
    assert.equal(state.failure, null);
  });
  test('death within the grace period fails the start, no restart even with always', () => {
    const { state, trace } = drive([[{ type: 'exited', exit: exit(3, null, 10) }, 0]], {
      ...P,
      restart: 'always',
    });
    assert.deepEqual(trace, [['failed', ['announce-failed', 'finish']]]);
    assert.equal(state.failure, 'exited with code 3 within the grace period');
  });
  test('no restart policy: a crash ends in failed, a clean exit in exited', () => {
    assert.deepEqual(
      drive([started, [{ type: 'exited', exit: exit(1) }, 5]], { ...P, restart: 'no' }).trace.at(
        -1,
      ),
      ['failed', ['finish']],
    );
    assert.deepEqual(
      drive([started, [{ type: 'exited', exit: exit(0) }, 5]], { ...P, restart: 'no' }).trace.at(
        -1,
      ),
      ['exited', ['finish']],
    );
  });
  test('on-failure: backoff, timer, respawn, running again', () => {
    const { state, trace } = drive([
      started,
      [{ type: 'exited', exit: exit(1) }, 5],
      [{ type: 'timer' }, 105],
      [{ type: 'started' }, 700],
    ]);
    assert.deepEqual(trace.slice(1), [
      ['backoff', ['timer:100']],
      ['starting', ['spawn']],
      ['running', []],
    ]);
    assert.equal(state.restarts, 1);
  });
  test('delays double while it keeps crashing quickly', () => {
    const events = [started];
    let now = 0;
    for (let i = 0; i < 4; i++)
      events.push(
        [{ type: 'exited', exit: exit(1, null, 50) }, (now += 50)],
        [{ type: 'timer' }, (now += 10)],
      );
    const timers = drive(events).trace.flatMap(([, effects]) =>
      effects.filter((e) => e.startsWith('timer:')),
    );
    assert.deepEqual(timers, ['timer:100', 'timer:200', 'timer:400', 'timer:800']);
  });
  test('crash loop: the restart beyond --max-restarts within the window gives up', () => {
    const policy = { ...P, maxRestarts: 2 };
    const { state, trace } = drive(
      [
        started,
        [{ type: 'exited', exit: exit(1, null, 5) }, 10],
        [{ type: 'timer' }, 20],
        [{ type: 'exited', exit: exit(1, null, 5) }, 30],
        [{ type: 'timer' }, 40],
        [{ type: 'exited', exit: exit(9, null, 5) }, 50],
      ],
      policy,
    );
    assert.deepEqual(trace.at(-1), ['failed', ['finish']]);
    assert.equal(state.restarts, 2);
    assert.match(
      state.failure,
      /^crash loop: more than 2 restarts within 60s; last exited with code 9$/,
    );
  });
  test('--max-restarts infinity (null): a crash loop goes on restarting, however many and however fast', () => {
    const events = [started];
    let now = 0;
    for (let i = 0; i < 1000; i++)
      events.push(
        [{ type: 'exited', exit: exit(1, null, 1) }, (now += 1)],
        [{ type: 'timer' }, (now += 1)],
      );
    const { state, trace } = drive(events, {
      ...P,
      restart: 'always',
      maxRestarts: null,
      delayMs: 1,
      maxDelayMs: 1,
    });
    assert.equal(state.phase, 'starting');
    assert.equal(state.restarts, 1000);
    assert.deepEqual(state.restartTimes, []);
    assert.ok(trace.every(([phase]) => phase !== 'failed'));
  });
  test('stop while running: stopping, then stopped on exit, no restart', () => {
    assert.deepEqual(
      drive(
        [started, [{ type: 'stop' }, 5], [{ type: 'exited', exit: exit(null, 'SIGTERM') }, 6]],
        { ...P, restart: 'always' },
      ).trace.slice(1),
      [
        ['stopping', ['stop-group']],
        ['stopped', ['finish']],
      ],
    );
  });
  test('stop during a backoff wait stops at once and cancels the restart', () => {
    const { trace } = drive([
      started,
      [{ type: 'exited', exit: exit(1) }, 5],
      [{ type: 'stop' }, 6],
      [{ type: 'timer' }, 105],
    ]);
    assert.deepEqual(trace.slice(2), [
      ['stopped', ['cancel-timer', 'finish']],
      ['stopped', []],
    ]);
  });
  test('a stop whose schedule runs out: back to running, still supervised; its later exit is a stop, not a restart', () => {
    const { trace } = drive(
      [
        started,
        [{ type: 'stop' }, 5],
        [{ type: 'stop-ran-out' }, 205],
        [{ type: 'exited', exit: exit(null, 'SIGKILL', 300, true) }, 300],
      ],
      { ...P, restart: 'always' },
    );
    assert.deepEqual(trace.slice(1), [
      ['stopping', ['stop-group']],
      ['running', []],
      ['stopped', ['finish']],
    ]);
  });
  test('a stop that runs out during the first grace period: back to starting, the launcher still waits', () => {
    assert.deepEqual(
      drive([
        [{ type: 'stop' }, 1],
        [{ type: 'stop-ran-out' }, 2],
      ]).trace,
      [
        ['stopping', ['stop-group']],
        ['starting', []],
      ],
    );
  });
  test('stop-ran-out outside a stop, or while a not-ready COMMAND is being ended, changes nothing', () => {
    assert.deepEqual(drive([started, [{ type: 'stop-ran-out' }, 5]]).trace.at(-1), ['running', []]);
    assert.deepEqual(
      drive([
        [{ type: 'not-ready', reason: 'x' }, 5],
        [{ type: 'stop-ran-out' }, 6],
      ]).trace.at(-1),
      ['stopping', []],
    );
  });
  test('a second stop while stopping does nothing more', () => {
    assert.deepEqual(drive([started, [{ type: 'stop' }, 5], [{ type: 'stop' }, 6]]).trace.at(-1), [
      'stopping',
      [],
    ]);
  });
  test('stop during the first grace period: the waiting launcher is told it was stopped', () => {
    assert.deepEqual(
      drive([
        [{ type: 'stop' }, 1],
        [{ type: 'exited', exit: exit(null, 'SIGTERM', 1) }, 2],
      ]).trace,
      [
        ['stopping', ['stop-group']],
        ['stopped', ['announce-stopped', 'finish']],
      ],
    );
  });
  test('terminal states ignore everything', () => {
    for (const phase of ['stopped', 'exited', 'failed']) {
      assert.equal(isTerminal(phase), true);
      for (const event of [
        { type: 'started' },
        { type: 'timer' },
        { type: 'stop' },
        { type: 'exited', exit: exit(1) },
      ]) {
        assert.deepEqual(transition({ ...initialState(), phase }, event, P, 0).effects, []);
      }
    }
    for (const phase of ['starting', 'running', 'backoff', 'stopping'])
      assert.equal(isTerminal(phase), false);
  });
  test('not ready on the first start: the COMMAND is stopped, then the start fails with the reason', () => {
    const { state, trace } = drive(
      [
        [{ type: 'not-ready', reason: 'not ready within 60s' }, 60000],
        [{ type: 'exited', exit: exit(null, 'SIGTERM', 60000, true) }, 60010],
      ],
      { ...P, restart: 'always' },
    );
    assert.deepEqual(trace, [
      ['stopping', ['stop-group']],
      ['failed', ['announce-failed', 'finish']],
    ]);
    assert.equal(state.failure, 'not ready within 60s');
  });
  test('not ready after a restart: the COMMAND is killed and the restart policy decides', () => {
    const { state, trace } = drive([
      started,
      [{ type: 'exited', exit: exit(1) }, 5],
      [{ type: 'timer' }, 105],
      [{ type: 'not-ready', reason: 'not ready within 1s' }, 1105],
      [{ type: 'exited', exit: exit(null, 'SIGTERM', 1000) }, 1110],
    ]);
    assert.deepEqual(trace.slice(3), [
      ['starting', ['kill-command']],
      ['backoff', ['timer:200']],
    ]);
    assert.equal(state.restarts, 2);
  });
  test('not-ready once running, stopping or in backoff is ignored; ready after not-ready too', () => {
    assert.deepEqual(drive([started, [{ type: 'not-ready', reason: 'x' }, 5]]).trace.at(-1), [
      'running',
      [],
    ]);
    assert.deepEqual(drive([[{ type: 'not-ready', reason: 'x' }, 5], started]).trace.at(-1), [
      'stopping',
      [],
    ]);
  });
  test('a stop while a not-ready COMMAND is being stopped: still a failed start', () => {
    const { trace } = drive([
      [{ type: 'not-ready', reason: 'x' }, 5],
      [{ type: 'stop' }, 6],
      [{ type: 'exited', exit: exit(null, 'SIGTERM', 6, true) }, 7],
    ]);
    assert.deepEqual(trace.at(-1), ['failed', ['announce-failed', 'finish']]);
  });
  test('a timer out of turn (not in backoff) is ignored', () => {
    assert.deepEqual(drive([started, [{ type: 'timer' }, 5]]).trace.at(-1), ['running', []]);
  });
  // What the runner once kept in flags (stopsRunning, stoppedForRestart) is the machine's now.
  const request = (extra = {}) => ({ type: 'stop', request: true, ...extra });
  const TERM2 = [
    { kind: 'signal', signal: 'SIGTERM', number: 15 },
    { kind: 'wait', ms: 2000 },
  ];
  const KILL1 = [
    { kind: 'signal', signal: 'SIGKILL', number: 9 },
    { kind: 'wait', ms: 1000 },
  ];
  test("a stop's schedule goes with its effect; who asked is kept for the log", () => {
    const r = transition(
      { ...initialState(), phase: 'running', announced: true },
      request({ schedule: TERM2, by: 'daemonkit stop' }),
      P,
      0,
    );
    assert.deepEqual(r.effects, [{ type: 'stop-group', schedule: TERM2 }]);
    assert.equal(r.state.stopBy, 'daemonkit stop');
    assert.equal(r.state.stopsRunning, 1);
  });
  test('a new stop request while stopping runs its own schedule; a bare signal adds nothing; who asked stays the first', () => {
    const { state, trace } = drive([
      started,
      [request({ schedule: TERM2, by: 'daemonkit stop' }), 5],
      [{ type: 'stop', by: 'SIGTERM' }, 6],
      [request({ schedule: KILL1, by: 'daemonkit restart', forRestart: true }), 7],
    ]);
    assert.deepEqual(trace.slice(1), [
      ['stopping', ['stop-group']],
      ['stopping', []],
      ['stopping', ['stop-group']],
    ]);
    assert.equal(state.stopsRunning, 2);
    assert.equal(state.stopBy, 'daemonkit stop');
  });
  test('while two schedules are at work, the first running out changes nothing; the last one running out goes back to running', () => {
    const { state, trace } = drive([
      started,
      [request({ schedule: TERM2 }), 5],
      [request({ schedule: KILL1 }), 6],
      [{ type: 'stop-ran-out' }, 2005],
      [{ type: 'stop-ran-out' }, 2006],
    ]);
    assert.deepEqual(trace.slice(3), [
      ['stopping', []],
      ['running', []],
    ]);
    assert.equal(state.stopsRunning, 0);
  });
  test('a schedule running out once the leader has exited (members of its group left): still stopping, its exit comes', () => {
    const { trace } = drive(
      [
        started,
        [{ type: 'stop' }, 5],
        [{ type: 'stop-ran-out', leaderExited: true }, 205],
        [{ type: 'exited', exit: exit(null, 'SIGTERM', 300, true) }, 300],
      ],
      { ...P, restart: 'always' },
    );
    assert.deepEqual(trace.slice(2), [
      ['stopping', []],
      ['stopped', ['finish']],
    ]);
  });
  test("an exit ends the COMMAND's schedules with it", () => {
    const { state } = drive([
      started,
      [{ type: 'stop' }, 5],
      [{ type: 'stop-ran-out' }, 205],
      [{ type: 'exited', exit: exit(1) }, 300],
    ]);
    assert.equal(state.phase, 'backoff');
    assert.equal(state.stopsRunning, 0);
  });
  for (const [title, events, by] of [
    ['a stop during the first start: the launcher hears "by a stop"', [request()], 'stop'],
    [
      'a restart during the first start: the launcher hears "by a restart"',
      [request({ forRestart: true, by: 'daemonkit restart' })],
      'restart',
    ],
    [
      'a restart request while a stop is under way: "by a restart"',
      [request(), request({ forRestart: true })],
      'restart',
    ],
    [
      'a stop request while a restart is under way: still "by a restart"',
      [request({ forRestart: true }), request()],
      'restart',
    ],
  ]) {
    test(title, () => {
      let state = initialState();
      for (const event of events) state = transition(state, event, P, 1).state;
      const r = transition(state, { type: 'exited', exit: exit(null, 'SIGTERM', 2, true) }, P, 2);
      assert.equal(r.state.phase, 'stopped');
      assert.deepEqual(r.effects, [{ type: 'announce-stopped', by }, { type: 'finish' }]);
    });
  }
  test('a first COMMAND that cannot be started: the start fails with the reason, nothing is left to supervise', () => {
    const { state, trace } = drive([[{ type: 'spawn-failed', reason: 'cannot execute /x' }, 0]], {
      ...P,
      restart: 'always',
    });
    assert.deepEqual(trace, [['failed', ['announce-spawn-failed', 'finish']]]);
    assert.equal(state.failure, 'cannot execute /x');
  });
  test('a restart that cannot be started counts as a failed run (code 127): the policy decides', () => {
    const crash = [{ type: 'exited', exit: exit(1) }, 5];
    const cannot = [{ type: 'spawn-failed', reason: 'cannot execute /x' }, 105];
    assert.deepEqual(drive([started, crash, [{ type: 'timer' }, 105], cannot]).trace.at(-1), [
      'backoff',
      ['timer:200'],
    ]);
    const { state, trace } = drive([started, crash, [{ type: 'timer' }, 105], cannot], {
      ...P,
      maxRestarts: 1,
    });
    assert.deepEqual(trace.at(-1), ['failed', ['finish']]);
    assert.match(state.failure, /^crash loop: .*; last exited with code 127$/);
  });
  test('spawn-failed out of turn (not starting) is ignored', () => {
    assert.deepEqual(drive([started, [{ type: 'spawn-failed', reason: 'x' }, 5]]).trace.at(-1), [
      'running',
      [],
    ]);
  });
  test('announced (the launcher already said it started: --grace 0, adopted): running, nothing to announce; a stop then tells nobody', () => {
    const { trace } = drive([
      [{ type: 'announced' }, 0],
      started,
      [{ type: 'stop' }, 5],
      [{ type: 'exited', exit: exit(null, 'SIGTERM', 5, true) }, 6],
    ]);
    assert.deepEqual(trace, [
      ['running', []],
      ['running', []],
      ['stopping', ['stop-group']],
      ['stopped', ['finish']],
    ]);
  });
});

describe('transition: a rolling restart (machine-roll.ts)', () => {
  const started = [{ type: 'started' }, 0];
  const roll = [{ type: 'roll' }, 10];
  const types = (effects) => effects.map((e) => e.type);
  const table = [
    ['running: the next COMMAND starts beside it', [started, roll], ['rolling', ['spawn-next']]],
    [
      'the next is ready: the old retired, the next current, the roll done',
      [started, roll, [{ type: 'next-started' }, 20]],
      ['running', ['retire', 'promote', 'roll-done']],
    ],
    [
      'the next fails: it is ended, the old one kept, the roll failed',
      [started, roll, [{ type: 'next-failed', reason: 'x' }, 20]],
      ['running', ['end-next', 'roll-failed']],
    ],
    [
      'the old one dies meanwhile: the next is current, starting; no restart counted',
      [started, roll, [{ type: 'exited', exit: exit(1) }, 20]],
      ['starting', ['promote']],
    ],
    [
      '… and its start completes the roll',
      [started, roll, [{ type: 'exited', exit: exit(1) }, 20], [{ type: 'started' }, 30]],
      ['running', ['roll-done']],
    ],
    [
      '… or fails it, and the policy decides',
      [
        started,
        roll,
        [{ type: 'exited', exit: exit(1) }, 20],
        [{ type: 'exited', exit: exit(2) }, 30],
      ],
      ['backoff', ['set-timer', 'roll-failed']],
    ],
    [
      'a stop during the overlap stops both, the roll failed',
      [started, roll, [{ type: 'stop' }, 20]],
      ['stopping', ['stop-group', 'end-next', 'roll-failed']],
    ],
    [
      'a roll while starting waits for it to be ready, then overlaps',
      [roll, started],
      ['rolling', ['announce-started', 'spawn-next']],
    ],
    [
      'a roll in a backoff wait: nothing serves, the new COMMAND starts now',
      [started, [{ type: 'exited', exit: exit(1) }, 5], roll],
      ['starting', ['cancel-timer', 'spawn']],
    ],
    ['a second roll during one does nothing', [started, roll, roll], ['rolling', []]],
    [
      'a next-started or next-failed out of a roll is ignored',
      [started, [{ type: 'next-started' }, 5], [{ type: 'next-failed', reason: 'x' }, 6]],
      ['running', []],
    ],
    [
      'a roll while stopping fails at once',
      [started, [{ type: 'stop' }, 5], roll],
      ['stopping', ['roll-failed']],
    ],
  ];
  for (const [what, events, want] of table) {
    test(what, () => {
      let state = initialState();
      let last;
      for (const [event, now] of events) {
        last = transition(state, event, P, now);
        state = last.state;
      }
      assert.deepEqual([state.phase, types(last.effects)], want);
    });
  }
  test('a terminal service says the roll failed (nothing waits forever)', () => {
    const r = transition({ ...initialState(), phase: 'exited' }, { type: 'roll' }, P, 0);
    assert.deepEqual(r.effects, [{ type: 'roll-failed', reason: 'it has exited' }]);
  });
  test('the stop schedule goes to both COMMANDs', () => {
    const KILL = [{ kind: 'signal', signal: 'SIGKILL', number: 9 }];
    let s = transition(initialState(), { type: 'started' }, P, 0).state;
    s = transition(s, { type: 'roll' }, P, 1).state;
    const r = transition(s, { type: 'stop', schedule: KILL }, P, 2);
    assert.deepEqual(r.effects.slice(0, 2), [
      { type: 'stop-group', schedule: KILL },
      { type: 'end-next', schedule: KILL },
    ]);
    assert.equal(r.state.roll, null);
  });
});

describe("servicePhase: a service's state from its instances'", () => {
  for (const [phases, want] of [
    [['rolling'], 'running'],
    [['backoff'], 'backoff'],
    [['running', 'backoff'], 'running'],
    [['starting', 'running'], 'running'],
    [['starting', 'backoff'], 'starting'],
    [['running', 'stopping'], 'stopping'],
    [['stopped', 'failed'], 'failed'],
    [['stopped', 'exited'], 'exited'],
    [['stopped', 'stopped'], 'stopped'],
  ])
    test(`${phases.join(', ')} -> ${want}`, () => assert.equal(servicePhase(phases), want));
});
