// Unit tests for src/supervisor/requests.ts: the request files `stop` and `reopen` leave for the
// supervisor before they signal it. A request is consumed (removed) once read; a stale one
// (over a minute old: its sender died before signalling) does not count as that sender's.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  requestPending,
  takeReopenRequest,
  takeStopRequest,
  withdrawRequest,
  writeRequest,
} from '../../dist/service/requests.js';
import { defaultSchedule, parseSchedule } from '../../dist/config/schedule.js';

const dir = mkdtempSync(join(tmpdir(), 'dk-requests-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let n = 0;
/** A request file with this content (a string as is, anything else as JSON); its path. */
function request(content) {
  const path = join(dir, `req-${n++}.json`);
  if (content !== undefined)
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}
const now = () => Date.now();
const stop = (schedule, forRestart = false) => ({ schedule, forRestart });

describe('takeStopRequest', () => {
  const cases = [
    ['no file: a plain SIGTERM', undefined, null, false],
    [
      'a fresh request: its schedule',
      { schedule: 'TERM/2/KILL/1', at: now() },
      stop(parseSchedule('TERM/2/KILL/1')),
      true,
    ],
    [
      'a fresh request from a restart says so',
      { schedule: 'TERM/2', at: now(), restart: true },
      stop(parseSchedule('TERM/2'), true),
      true,
    ],
    [
      'restart: only the value true counts',
      { schedule: 'TERM/2', at: now(), restart: 'yes' },
      stop(parseSchedule('TERM/2')),
      true,
    ],
    [
      'a stale request (2 minutes old): the default schedule, not a restart',
      { schedule: 'KILL/1', at: now() - 120_000, restart: true },
      stop(defaultSchedule()),
      true,
    ],
    ['no time: the default schedule', { schedule: 'KILL/1' }, stop(defaultSchedule()), true],
    [
      'a schedule that does not parse: the default one',
      { schedule: 'NOPE/x', at: now() },
      stop(defaultSchedule()),
      true,
    ],
    [
      'a schedule that is not a string: the default one',
      { schedule: 5, at: now() },
      stop(defaultSchedule()),
      true,
    ],
    ['not JSON: no request, the file left alone', 'garbage{', null, false],
    ['JSON null: no request, the file left alone', 'null', null, false],
  ];
  for (const [what, content, expected, consumed] of cases) {
    test(what, () => {
      const path = request(content);
      assert.deepEqual(takeStopRequest(path), expected);
      assert.equal(
        existsSync(path),
        content !== undefined && !consumed,
        consumed ? 'consumed' : 'left as it was',
      );
    });
  }
});

describe('takeReopenRequest', () => {
  const cases = [
    ['no file', undefined, false, false],
    ['a fresh request', { at: now() }, true, true],
    ['a stale request: consumed, but not a request', { at: now() - 120_000 }, false, true],
    ['no time: consumed, not a request', {}, false, true],
    ['not JSON: left alone', '{', false, false],
  ];
  for (const [what, content, expected, consumed] of cases) {
    test(what, () => {
      const path = request(content);
      assert.equal(takeReopenRequest(path), expected);
      assert.equal(existsSync(path), content !== undefined && !consumed);
    });
  }
});

describe("another user's request is no request (it could have been planted): left as it is", () => {
  test('a stop request owned by nobody: not taken, not pending', {
    skip: process.geteuid() !== 0 && 'needs root to chown',
  }, () => {
    const path = request({ schedule: 'KILL/1', at: now() });
    chownSync(path, 65534, 65534);
    assert.equal(requestPending(path), false);
    assert.equal(takeStopRequest(path), null);
    assert.equal(takeReopenRequest(path), false);
    assert.equal(existsSync(path), true);
  });

  test('a symbolic link is not followed', () => {
    const target = request({ schedule: 'KILL/1', at: now() });
    const path = join(dir, `link-${n++}.json`);
    symlinkSync(target, path);
    assert.equal(requestPending(path), false);
    assert.equal(takeStopRequest(path), null);
    assert.equal(existsSync(target), true);
  });

  test('our own request is pending', () => {
    assert.equal(requestPending(request({ at: now() })), true);
    assert.equal(requestPending(request(undefined)), false);
  });
});

describe('writeRequest: the one writer of both requests', () => {
  test('what it writes, the reader takes: a fresh stop with its schedule, a fresh reopen', () => {
    const stopPath = request(undefined);
    const at = writeRequest(stopPath, 'stop', { schedule: 'TERM/2', restart: true });
    assert.ok(Math.abs(at - now()) < 60_000);
    assert.equal(statSync(stopPath).mode & 0o777, 0o600, 'private');
    assert.deepEqual(takeStopRequest(stopPath), stop(parseSchedule('TERM/2'), true));
    const reopenPath = request(undefined);
    writeRequest(reopenPath, 'reopen');
    assert.equal(takeReopenRequest(reopenPath), true);
    assert.equal(
      readdirSync(dir).some((f) => f.endsWith('.tmp')),
      false,
      'written to a temp name, renamed',
    );
  });

  test('a file it cannot write is NO_PERMISSION naming it (one line)', () => {
    const path = join(dir, 'missing-dir', 'reopen.json');
    assert.throws(
      () => writeRequest(path, 'reopen'),
      (e) =>
        e.code === 'NO_PERMISSION' &&
        e.message.startsWith(`cannot write the reopen request ${path}: `) &&
        !e.message.includes('\n'),
    );
  });

  test('withdrawRequest takes it back; one taken already is no error', () => {
    const path = request(undefined);
    writeRequest(path, 'reopen');
    withdrawRequest(path);
    assert.equal(existsSync(path), false);
    withdrawRequest(path);
  });
});
