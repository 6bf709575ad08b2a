// Unit tests for src/ops/remove.ts's rule of which names `rm` may remove: only those daemonkit makes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { madeByDaemonkit } from '../../dist/ops/remove.js';

describe('madeByDaemonkit', () => {
  const cases = [
    ['pid', 'file'],
    ['pid.lock', 'file'],
    ['state.json', 'file'],
    ['spec.json', 'file'],
    ['env.json', 'file'],
    ['stop.json', 'file'],
    ['reopen.json', 'file'],
    ['restart.lock', 'file'],
    ['launching.4242', 'file'],
    ['state.json.4242.tmp', 'file'],
    ['spec.json.17.tmp', 'file'],
    ['pid.99.tmp', 'file'],
    ['env.json.5.tmp', 'file'],
    ['reopen.json.7.tmp', 'file'], // a reopen request is written to a temp name too
    ['web.log', 'file'],
    ['web.log.1', 'file'],
    ['web.log.12.gz', 'file'],
    ['.web.log.gz.tmp', 'file'],
    ['dk-notify-a1B2c3', 'dir'],
    // not ours: kept, and the directory is not removed
    ['web.log.1.bak', null],
    ['web.log-20260101', null],
    ['other.log', null],
    ['api.log', null],
    ['launching.', null],
    ['launching.1x', null],
    ['state.json.tmp', null],
    ['dk-notify-', null],
    ['dk-notify-abc', null],
    ['notes.txt', null],
    ['.web.log.gz.tmp2', null],
    ['web.log.', null],
    ['web.log.gz', null],
  ];
  for (const [entry, expected] of cases) {
    test(`${entry} -> ${expected}`, () =>
      assert.equal(madeByDaemonkit(entry, 'web.log'), expected));
  }
});
