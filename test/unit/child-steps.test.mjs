// A forked child's failure before exec is named by its step (native/spawn.c's enum and STEP_NAMES,
// exported as `childSteps`) and mapped in one table (src/errors/child-steps.ts CHILD_STEP_FAILURES) to one
// line and an error code, so an exit code. The step codes are stable: new ones go at the end.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { CHILD_STEP_FAILURES, execFailure } from '../../dist/errors/child-steps.js';
import { exitCodeFor } from '../../dist/errors/exit-codes.js';
import { ROOT } from '../helpers.mjs';

const native = createRequire(import.meta.url)('node-gyp-build')(ROOT);

describe('the C steps and the TypeScript table agree', () => {
  test('childSteps, by code: the numbers never change (new steps are appended)', () => {
    assert.deepEqual(
      [...native.childSteps],
      [
        'execve',
        'setgroups',
        'setgid',
        'setuid',
        'verify',
        'chdir',
        'setsid',
        'fds',
        'setrlimit',
        'nice',
        'pipe',
        'fork',
        'subreaper',
      ],
    );
  });
  test('every step the module names has its mapping, and the table names no other', () => {
    assert.deepEqual(Object.keys(CHILD_STEP_FAILURES).sort(), [...native.childSteps].sort());
  });
});

/** An error as native/spawn.c throws it for a step. */
const childError = (step, code, extra = {}) =>
  Object.assign(
    new Error(
      `${step}: ${code === 'EPERM' ? 'Operation not permitted' : code === 'EACCES' ? 'Permission denied' : 'Resource temporarily unavailable'}`,
    ),
    { code, step, syscall: 'execve(command)', ...extra },
  );
const context = {
  cwd: '/srv/app',
  user: 'svc',
  nice: -5,
  limits: [
    ['core', 0, 0],
    ['nproc', 10, 20],
  ],
};
const root = process.geteuid() === 0;

// step, errno, expected code, expected message (file /bin/app, user svc)
const table = [
  [
    'nice',
    'EPERM',
    'NO_PERMISSION',
    `cannot set --nice -5: permission denied (needs ${root ? 'CAP_SYS_NICE, which this root process lacks' : 'root or CAP_SYS_NICE'})`,
  ],
  [
    'setrlimit',
    'EPERM',
    'NO_PERMISSION',
    `cannot set --limit nproc=10:20: permission denied (raising a hard limit needs ${root ? 'CAP_SYS_RESOURCE, which this root process lacks' : 'root or CAP_SYS_RESOURCE'})`,
    { index: 1 },
  ],
  [
    'setgroups',
    'EPERM',
    'NO_PERMISSION',
    `cannot run /bin/app as user svc: setgroups: permission denied (needs ${root ? 'CAP_SETGID, which this root process lacks' : 'root or CAP_SETGID'})`,
  ],
  [
    'setgid',
    'EPERM',
    'NO_PERMISSION',
    `cannot run /bin/app as user svc: setgid: permission denied (needs ${root ? 'CAP_SETGID, which this root process lacks' : 'root or CAP_SETGID'})`,
  ],
  [
    'setuid',
    'EPERM',
    'NO_PERMISSION',
    `cannot run /bin/app as user svc: setuid: permission denied (needs ${root ? 'CAP_SETUID, which this root process lacks' : 'root or CAP_SETUID'})`,
  ],
  [
    'setuid',
    'EAGAIN',
    'SPAWN_FAILED',
    'cannot run /bin/app as user svc: setuid: resource temporarily unavailable',
  ],
  [
    'verify',
    'EPERM',
    'NO_PERMISSION',
    'cannot run /bin/app as user svc: the switch did not take (an id unchanged, or root could be regained)',
  ],
  [
    'chdir',
    'EACCES',
    'NO_PERMISSION',
    'cannot enter --chdir /srv/app as user svc: permission denied',
  ],
  [
    'execve',
    'EACCES',
    'COMMAND_NOT_FOUND',
    'cannot execute /bin/app as user svc: permission denied',
  ],
  [
    'setsid',
    'EPERM',
    'SPAWN_FAILED',
    'cannot start /bin/app: could not give it its own session (setsid): operation not permitted',
  ],
  [
    'fds',
    'EAGAIN',
    'SPAWN_FAILED',
    'cannot start /bin/app: could not give it its file descriptors in place: resource temporarily unavailable',
  ],
  [
    'pipe',
    'EAGAIN',
    'SPAWN_FAILED',
    'cannot start /bin/app: could not give it a pipe to report its exec on (pipe2): resource temporarily unavailable',
  ],
  [
    'fork',
    'EAGAIN',
    'SPAWN_FAILED',
    'cannot start /bin/app: could not give it a process (fork): resource temporarily unavailable',
  ],
  [
    'subreaper',
    'EAGAIN',
    'SPAWN_FAILED',
    'cannot start /bin/app: could not give it its orphans (prctl PR_SET_CHILD_SUBREAPER): resource temporarily unavailable',
  ],
];

describe('each step: one line, its code and exit code', () => {
  for (const [step, errno, code, message, extra] of table) {
    test(`${step} ${errno}: ${code}`, () => {
      const e = execFailure(childError(step, errno, extra), '/bin/app', context);
      assert.equal(e.code, code);
      assert.equal(e.message, message);
      assert.equal(e.details.step ?? 'execve', step);
      assert.equal(
        exitCodeFor('start', e.code),
        { NO_PERMISSION: 4, COMMAND_NOT_FOUND: 5, SPAWN_FAILED: 1 }[code],
      );
    });
  }
  test("an error with no step (thrown before any fork) is taken as exec's", () => {
    const e = execFailure(
      Object.assign(new Error('execve(command): No such file or directory'), { code: 'ENOENT' }),
      '/bin/app',
    );
    assert.equal(e.code, 'COMMAND_NOT_FOUND');
    assert.equal(e.message, 'cannot execute /bin/app: no such file');
  });
});
