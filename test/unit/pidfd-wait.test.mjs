// Unit tests for pidfdWaitSync (native): the CLI's blocking wait for a process's exit.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
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

  test('bad arguments are a TypeError', () => {
    assert.throws(() => pidfdWaitSync([], 1), TypeError);
    assert.throws(() => pidfdWaitSync(new Array(65).fill(0), 1), TypeError);
  });
});

describe('a bad entry is refused, never taken as fd 0 (stdin)', () => {
  for (const bad of ['x', null, -1]) {
    test(`pidfdWait([${JSON.stringify(bad)}]) and pidfdWaitSync throw a TypeError`, () => {
      assert.throws(() => pidfdWait([bad], 10), TypeError);
      assert.throws(() => pidfdWaitSync([bad], 10), TypeError);
    });
  }
});
