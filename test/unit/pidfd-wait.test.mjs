// Unit tests for pidfdWaitSync (native): the CLI's blocking wait for a process's exit.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ROOT } from '../helpers.mjs';
import { pidfdOpen, pidfdWait, pidfdWaitSync } from '../../dist/sys/native.js';

describe('pidfdWaitSync', () => {
  test('-1 when the timeout passes first; 0 (and no sooner than the limit) is a poll', () => {
    const self = pidfdOpen(process.pid);
    try {
      const t0 = Date.now();
      assert.equal(pidfdWaitSync([self], 30), -1);
      assert.ok(Date.now() - t0 >= 25, 'it waited');
      assert.equal(pidfdWaitSync([self], 0), -1);
    } finally {
      closeSync(self);
    }
  });

  test('the index of the process that exited, as pidfdWait says', async () => {
    const self = pidfdOpen(process.pid);
    const child = spawn('/bin/sleep', ['0.05'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const fd = pidfdOpen(child.pid);
    try {
      assert.equal(pidfdWaitSync([self, fd], 5000), 1);
      assert.equal(await pidfdWait([self, fd], 0), 1, 'still readable: it exited');
      assert.equal(pidfdWaitSync([fd], Infinity), 0);
    } finally {
      closeSync(fd);
      closeSync(self);
      await exited;
    }
  });

  test('bad arguments: a TypeError for a wrong type, a RangeError for a count out of range', () => {
    assert.throws(() => pidfdWaitSync([], 1), RangeError);
    assert.throws(() => pidfdWaitSync(new Array(65).fill(0), 1), RangeError);
    assert.throws(() => pidfdWaitSync('3', 1), TypeError);
  });
});

// Through the native module itself (dist/sys/native.js turns Infinity into -1 first).
const native = createRequire(import.meta.url)('node-gyp-build')(ROOT);

describe('a bad entry is refused, never taken as fd 0 (stdin) nor cut to an int', () => {
  const cases = [
    ['x', TypeError],
    [null, TypeError],
    [undefined, TypeError],
    [-1, RangeError],
    [3.5, RangeError],
    [NaN, RangeError],
    [2 ** 32, RangeError],
    [Infinity, RangeError],
  ];
  for (const [bad, kind] of cases) {
    test(`pidfdWait([${String(bad)}]) and pidfdWaitSync: ${kind.name}`, () => {
      assert.throws(() => native.pidfdWait([bad], 10), kind);
      assert.throws(() => native.pidfdWaitSync([bad], 10), kind);
    });
  }
});

describe('a bad timeout is refused, never taken as "no limit" or cut to an int', () => {
  const cases = [
    ['10', TypeError],
    [undefined, TypeError],
    [NaN, RangeError],
    [-2, RangeError],
    [1.5, RangeError],
    [2 ** 31, RangeError],
    [Infinity, RangeError],
  ];
  for (const [bad, kind] of cases) {
    test(`timeout ${String(bad)}: ${kind.name}`, () => {
      const self = pidfdOpen(process.pid);
      try {
        assert.throws(() => native.pidfdWait([self], bad), kind);
        assert.throws(() => native.pidfdWaitSync([self], bad), kind);
      } finally {
        closeSync(self);
      }
    });
  }
  test('the wrappers in dist/sys/native.js: NaN is refused (was: waited with no limit)', () => {
    const self = pidfdOpen(process.pid);
    try {
      assert.throws(() => pidfdWaitSync([self], NaN), RangeError);
    } finally {
      closeSync(self);
    }
  });
});
