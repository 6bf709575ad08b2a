// Unit tests for new-style detection (src/daemon/detect.ts): when `start` must not fork.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decideDetach } from '../../dist/daemon/detect.js';

describe('decideDetach (new-style detection)', () => {
  const base = {
    notifySocket: false,
    invocationId: false,
    pid: 5000,
    ppid: 4000,
    parentComm: 'bash',
    initialPidNamespace: true,
  };
  const TABLE = [
    ['a shell on the host', {}, true, 'default'],
    ['NOTIFY_SOCKET set', { notifySocket: true }, false, 'notify-socket'],
    [
      'systemd system service: INVOCATION_ID, parent PID 1',
      { invocationId: true, ppid: 1, parentComm: 'systemd' },
      false,
      'service-manager',
    ],
    [
      'systemd user service: INVOCATION_ID, parent a user manager',
      { invocationId: true, ppid: 1234, parentComm: 'systemd' },
      false,
      'service-manager',
    ],
    ['INVOCATION_ID leaked into a login shell', { invocationId: true }, true, 'default'],
    [
      'ExecStart through a shell wrapper (sh -c): parent sh',
      { invocationId: true, parentComm: 'sh' },
      true,
      'default',
    ],
    [
      'container: child of its PID 1 (tini)',
      { initialPidNamespace: false, ppid: 1, parentComm: 'tini' },
      false,
      'container',
    ],
    [
      'container: PID 1 itself',
      { initialPidNamespace: false, pid: 1, ppid: 0, parentComm: null },
      false,
      'container',
    ],
    [
      'container: docker exec (parent outside the namespace)',
      { initialPidNamespace: false, ppid: 0, parentComm: null },
      true,
      'default',
    ],
    ['container: deeper in the tree', { initialPidNamespace: false, ppid: 7 }, true, 'default'],
    [
      'host: orphan re-parented to init, no systemd variables',
      { ppid: 1, parentComm: 'init' },
      true,
      'default',
    ],
    ['namespace unknown', { initialPidNamespace: null, ppid: 1 }, true, 'default'],
  ];
  for (const [what, facts, detach, reason] of TABLE) {
    test(`${what}: ${detach ? 'detaches' : 'stays in the foreground'}`, () => {
      assert.deepEqual(decideDetach('auto', { ...base, ...facts }), { detach, reason });
    });
  }
  test('an explicit option wins either way', () => {
    assert.deepEqual(decideDetach(true, { ...base, notifySocket: true }), {
      detach: true,
      reason: 'option',
    });
    assert.deepEqual(decideDetach(false, base), { detach: false, reason: 'option' });
  });
});
