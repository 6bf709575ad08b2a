// Unit tests for classify() in src/service/status.ts (LSB status code and words from an inspection).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classify } from '../../dist/service/status.js';
import { DaemonError } from '../../dist/errors/errors.js';
import { servicePaths } from '../../dist/config/paths.js';

const paths = servicePaths({ name: 'web' }, '/run/daemonkit', '/');
const PIDFILE = '/run/daemonkit/web/pid';

function state(s, extra = {}) {
  return {
    version: 1,
    kind: 'supervisor',
    state: s,
    pid: 4242,
    startedAt: 1,
    updatedAt: 2,
    ...extra,
  };
}

/** An Inspection as inspectService() builds it; defaults: nothing running, no pidfile, no state. */
function insp(overrides = {}) {
  return {
    paths,
    probe: { held: false },
    running: false,
    pid: null,
    stalePid: null,
    pidfileProblem: null,
    state: null,
    ...overrides,
  };
}

const running = (o = {}) =>
  insp({ probe: { held: true, dev: 1n, ino: 2n }, running: true, pid: 4242, ...o });
const bad = (message) => new DaemonError('BAD_PIDFILE', message, { path: PIDFILE });

describe('classify', () => {
  const cases = [
    // 0: running (whatever else is odd)
    ['running, no state', running(), { code: 0, state: 'running', reason: null }],
    [
      'running, state running',
      running({ state: state('running') }),
      { code: 0, state: 'running', reason: null },
    ],
    [
      'running, state starting',
      running({ state: state('starting') }),
      { code: 0, state: 'starting', reason: null },
    ],
    [
      'running, state stopping',
      running({ state: state('stopping') }),
      { code: 0, state: 'stopping', reason: null },
    ],
    [
      'running, state failed (stale record)',
      running({ state: state('failed', { error: 'x' }) }),
      { code: 0, state: 'running', reason: null },
    ],
    [
      'running, state stopped (stale record)',
      running({ state: state('stopped') }),
      { code: 0, state: 'running', reason: null },
    ],
    [
      'running, holder unknown',
      running({ pid: null }),
      { code: 0, state: 'running', reason: null },
    ],
    [
      'a start launching (its own process holds the lock, no daemon named): starting, whatever the old state says',
      running({ pid: null, holder: 77, launching: true, state: state('stopped') }),
      { code: 0, state: 'starting', reason: null },
    ],
    [
      'running with a stale pid in the pidfile',
      running({ stalePid: 99 }),
      { code: 0, state: 'running', reason: null },
    ],
    [
      'running with a garbage pidfile',
      running({ pidfileProblem: bad(`pidfile ${PIDFILE} holds "abc", not a pid`) }),
      { code: 0, state: 'running', reason: null },
    ],

    // 4: unknown (pidfile cannot be read or is not a regular file)
    [
      'unreadable pidfile while the lock is held: unknown, not "running, pid ?"',
      running({
        pid: null,
        pidfileProblem: new DaemonError(
          'PIDFILE_UNREADABLE',
          `cannot read pidfile ${PIDFILE}: permission denied`,
        ),
      }),
      { code: 4, state: 'unknown', reason: `cannot read pidfile ${PIDFILE}: permission denied` },
    ],
    [
      'unreadable pidfile',
      insp({
        pidfileProblem: new DaemonError(
          'PIDFILE_UNREADABLE',
          `cannot read pidfile ${PIDFILE}: permission denied`,
        ),
      }),
      { code: 4, state: 'unknown', reason: `cannot read pidfile ${PIDFILE}: permission denied` },
    ],
    [
      'pidfile is a symlink',
      insp({ pidfileProblem: bad(`pidfile ${PIDFILE} is a symbolic link; refusing to use it`) }),
      {
        code: 4,
        state: 'unknown',
        reason: `pidfile ${PIDFILE} is a symbolic link; refusing to use it`,
      },
    ],
    [
      'pidfile is a directory',
      insp({ pidfileProblem: bad(`pidfile ${PIDFILE} is a directory, not a file`) }),
      { code: 4, state: 'unknown', reason: `pidfile ${PIDFILE} is a directory, not a file` },
    ],
    [
      'pidfile is a FIFO',
      insp({ pidfileProblem: bad(`pidfile ${PIDFILE} is not a regular file`) }),
      { code: 4, state: 'unknown', reason: `pidfile ${PIDFILE} is not a regular file` },
    ],
    [
      'unreadable wins over state',
      insp({
        pidfileProblem: new DaemonError('PIDFILE_UNREADABLE', 'nope'),
        state: state('stopped'),
      }),
      { code: 4, state: 'unknown', reason: 'nope' },
    ],

    // 1: dead (a pidfile without a daemon)
    [
      'garbage pidfile, no lock',
      insp({ pidfileProblem: bad(`pidfile ${PIDFILE} holds "abc", not a pid`) }),
      {
        code: 1,
        state: 'dead',
        reason: `pidfile ${PIDFILE} holds "abc", not a pid; no daemon holds the lock`,
      },
    ],
    [
      'empty pidfile, no lock',
      insp({ pidfileProblem: bad(`pidfile ${PIDFILE} is empty`), state: state('stopped') }),
      { code: 1, state: 'dead', reason: `pidfile ${PIDFILE} is empty; no daemon holds the lock` },
    ],
    [
      'stale pid',
      insp({ stalePid: 1234 }),
      {
        code: 1,
        state: 'dead',
        reason: `stale pidfile ${PIDFILE}: pid 1234 is not the daemon (it died or the pid was reused)`,
      },
    ],
    [
      'stale pid wins over a clean stop record',
      insp({ stalePid: 1234, state: state('stopped') }),
      {
        code: 1,
        state: 'dead',
        reason: `stale pidfile ${PIDFILE}: pid 1234 is not the daemon (it died or the pid was reused)`,
      },
    ],
    [
      'failed with error',
      insp({ state: state('failed', { error: 'sleep: command not found' }) }),
      { code: 1, state: 'failed', reason: 'sleep: command not found' },
    ],
    [
      'failed without error',
      insp({ state: state('failed') }),
      { code: 1, state: 'failed', reason: null },
    ],
    [
      'state running but no lock',
      insp({ state: state('running') }),
      { code: 1, state: 'dead', reason: 'the daemon died without cleaning up (killed?)' },
    ],
    [
      'state starting but no lock',
      insp({ state: state('starting') }),
      { code: 1, state: 'dead', reason: 'the daemon died without cleaning up (killed?)' },
    ],
    [
      'state stopping but no lock',
      insp({ state: state('stopping') }),
      { code: 1, state: 'dead', reason: 'the daemon died without cleaning up (killed?)' },
    ],

    // 3: not running
    ['never started', insp(), { code: 3, state: 'never-started', reason: null }],
    ['stopped', insp({ state: state('stopped') }), { code: 3, state: 'stopped', reason: null }],
    [
      'exited',
      insp({
        state: state('exited', {
          lastExit: { code: 0, signal: null, at: 1, uptimeMs: 1, byStop: false },
        }),
      }),
      { code: 3, state: 'exited', reason: null },
    ],
  ];
  for (const [title, inspection, expected] of cases) {
    test(title, () => assert.deepEqual(classify(inspection), expected));
  }
});
