// Unit tests for src/errors/exit-codes.ts (LSB init-script exit codes, LSB Core 3.1.1 §20.2).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT, exitCodeFor } from '../../dist/errors/exit-codes.js';

const ACTIONS = ['start', 'stop', 'restart', 'reload', 'run', 'reopen', 'logs'];

// Expected code per error code for every action except status (the LSB action table).
const ACTION_EXPECTED = {
  BAD_OPTION: 2,
  BAD_PIDFILE: 2,
  UNSAFE_PIDFILE: 4,
  PIDFILE_UNREADABLE: 4,
  NO_PERMISSION: 4,
  LOCK_FAILED: 1,
  COMMAND_NOT_FOUND: 5,
  SPAWN_FAILED: 1,
  START_FAILED: 1,
  NOT_RUNNING: 7,
  STOP_TIMEOUT: 1,
  STATE_WRITE_FAILED: 1,
  NOTIFY_FAILED: 1,
  LOG_FAILED: 1,
  BAD_SPEC: 6,
  NOT_REMOVABLE: 1,
  UNSUPPORTED: 3,
};
const CODES = Object.keys(ACTION_EXPECTED);

describe('EXIT constants', () => {
  test('values', () => {
    assert.deepEqual(
      { ...EXIT },
      {
        OK: 0,
        GENERIC: 1,
        BAD_ARGS: 2,
        UNIMPLEMENTED: 3,
        NO_PRIVILEGE: 4,
        NOT_INSTALLED: 5,
        NOT_CONFIGURED: 6,
        NOT_RUNNING: 7,
        STATUS_DEAD: 1,
        STATUS_STOPPED: 3,
        STATUS_UNKNOWN: 4,
      },
    );
  });
});

describe('exitCodeFor: actions', () => {
  for (const action of ACTIONS) {
    for (const code of CODES) {
      test(`${action} ${code} -> ${ACTION_EXPECTED[code]}`, () => {
        assert.equal(exitCodeFor(action, code), ACTION_EXPECTED[code]);
      });
    }
    test(`${action} undefined -> 1`, () => {
      assert.equal(exitCodeFor(action, undefined), 1);
    });
  }
});

describe('exitCodeFor: status', () => {
  for (const code of CODES) {
    const expected = code === 'BAD_OPTION' ? 2 : code === 'NO_SUCH_SERVICE' ? 3 : 4;
    test(`status ${code} -> ${expected}`, () => {
      assert.equal(exitCodeFor('status', code), expected);
    });
  }
  test('status undefined -> 4', () => {
    assert.equal(exitCodeFor('status', undefined), 4);
  });
});

describe('exitCodeFor: named LSB cases', () => {
  const cases = [
    ['start', 'BAD_OPTION', EXIT.BAD_ARGS],
    ['start', 'NO_PERMISSION', EXIT.NO_PRIVILEGE],
    ['start', 'COMMAND_NOT_FOUND', EXIT.NOT_INSTALLED],
    ['start', 'START_FAILED', EXIT.GENERIC],
    ['reload', 'NOT_RUNNING', EXIT.NOT_RUNNING],
    ['stop', 'STOP_TIMEOUT', EXIT.GENERIC],
    ['status', 'NOT_RUNNING', EXIT.STATUS_UNKNOWN],
    ['status', 'BAD_OPTION', EXIT.BAD_ARGS],
    // no such service: status "not running", stop has nothing to do (success), logs/rm fail,
    // reload/reopen "not running" (as they said before naming it), the rest "not installed"
    ['status', 'NO_SUCH_SERVICE', EXIT.STATUS_STOPPED],
    ['stop', 'NO_SUCH_SERVICE', EXIT.OK],
    ['logs', 'NO_SUCH_SERVICE', EXIT.GENERIC],
    ['rm', 'NO_SUCH_SERVICE', EXIT.GENERIC],
    ['restart', 'NO_SUCH_SERVICE', EXIT.NOT_INSTALLED],
    ['reload', 'NO_SUCH_SERVICE', EXIT.NOT_RUNNING],
    ['reopen', 'NO_SUCH_SERVICE', EXIT.NOT_RUNNING],
    ['rm', 'NOT_REMOVABLE', EXIT.GENERIC],
    ['rm', 'NO_PERMISSION', EXIT.NO_PRIVILEGE],
  ];
  for (const [action, code, expected] of cases) {
    test(`${action} ${code}`, () => assert.equal(exitCodeFor(action, code), expected));
  }
});
