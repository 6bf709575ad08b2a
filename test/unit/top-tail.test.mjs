// top's log reader (src/cli/top/tail.ts) on a real file layout: as root, reading a log in a
// directory the service user (uid 999) owns, after that user has put a link, a FIFO or someone
// else's file under the log's name. Root's `top` shows none of them (their content least of all).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastLines } from '../../dist/cli/top/tail.js';

const SERVICE = 999; // daemonkit-test
const root = process.getuid() === 0 ? mkdtempSync(join(tmpdir(), 'dk-toptail-')) : '';
after(() => root && rmSync(root, { recursive: true, force: true }));

/** Run `script` as the service user, in `cwd`. */
const asService = (cwd, script) =>
  execFileSync(
    'setpriv',
    ['--reuid', String(SERVICE), '--regid', String(SERVICE), '--init-groups', 'sh', '-c', script],
    { cwd },
  );

describe('top reads a log where the service user writes', {
  skip: process.getuid() !== 0 && 'needs root',
}, () => {
  let secret;
  let logs;
  let log;
  test("setup: a root-only file, and the service user's log directory with its log", () => {
    chmodSync(root, 0o755);
    secret = join(root, 'secret');
    writeFileSync(secret, 'root:SECRET-LINE\n', { mode: 0o600 });
    logs = join(root, 'logs');
    mkdirSync(logs, { mode: 0o755 });
    chownSync(logs, SERVICE, SERVICE);
    log = join(logs, 'u.log');
    asService(logs, 'printf "one\\ntwo\\nthree\\n" > u.log');
    assert.deepEqual(lastLines({ path: log, serviceUid: SERVICE }, 2), ['two', 'three']);
    assert.deepEqual(lastLines({ path: join(logs, 'none.log') }, 2), [], 'no file yet: nothing');
  });
  const refused = (source, why) => {
    assert.throws(
      () => lastLines(source, 5),
      (e) => {
        assert.match(e.message, new RegExp(`^log not shown: ${source.path}: .*${why}`));
        assert.doesNotMatch(e.message, /SECRET/);
        return true;
      },
    );
  };
  test('its log replaced by a link to a root-only file: not followed', () => {
    asService(logs, `rm u.log && ln -s ${secret} u.log`);
    refused({ path: log, serviceUid: SERVICE }, 'symbolic link, in a directory owned by uid 999');
  });
  test('a FIFO: refused at once (no hang)', () => {
    asService(logs, 'rm u.log && mkfifo u.log');
    refused({ path: log, serviceUid: SERVICE }, 'not a regular file');
  });
  test('a hard link to a file elsewhere: refused', () => {
    asService(logs, 'rm u.log');
    const outside = join(root, 'outside');
    writeFileSync(outside, 'root:SECRET-LINE\n', { mode: 0o600 });
    chownSync(outside, SERVICE, SERVICE); // theirs, so the owner rule alone would pass it
    linkSync(outside, log);
    refused({ path: log, serviceUid: SERVICE }, '2 hard links');
    rmSync(log);
  });
  test("a file of a third user: refused; the service user's own in a group-writable directory of root's: shown", () => {
    writeFileSync(log, 'root:SECRET-LINE\n', { mode: 0o644 });
    chownSync(log, 65534, 65534);
    refused({ path: log, serviceUid: SERVICE }, 'owned by uid 65534');
    rmSync(log);
    const shared = join(root, 'shared');
    mkdirSync(shared);
    chownSync(shared, 0, SERVICE);
    chmodSync(shared, 0o775);
    asService(shared, 'echo theirs > u.log');
    assert.deepEqual(lastLines({ path: join(shared, 'u.log'), serviceUid: SERVICE }, 5), [
      'theirs',
    ]);
    refused({ path: join(shared, 'u.log') }, 'owned by uid 999'); // not known as the service user's
  });
  test("in a directory only root writes, root's own link is followed", () => {
    const own = join(root, 'own');
    mkdirSync(own, { mode: 0o755 });
    writeFileSync(join(own, 'real.log'), 'a\nb\n');
    symlinkSync('real.log', join(own, 'u.log'));
    assert.deepEqual(lastLines({ path: join(own, 'u.log') }, 1), ['b']);
  });
});
