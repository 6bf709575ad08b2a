// Unit tests for readPidfile / writePidfile in src/service/pidfile.ts, on real files in a fresh temp dir.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPidfile, writePidfile } from '../../dist/service/pidfile.js';
import { DaemonError } from '../../dist/errors/errors.js';

let root;
let counter = 0;
/** A fresh, empty directory per test. */
function freshDir() {
  const dir = join(root, String(counter++));
  mkdirSync(dir);
  return dir;
}
function fileWith(content) {
  const p = join(freshDir(), 'pid');
  writeFileSync(p, content);
  return p;
}
function badPidfile(path, message) {
  return (error) => {
    assert.ok(error instanceof DaemonError, `not a DaemonError: ${error}`);
    assert.equal(error.code, 'BAD_PIDFILE');
    assert.equal(error.message, message);
    assert.deepEqual(error.details, { path });
    return true;
  };
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'daemonkit-pidfile-test-'));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('readPidfile: valid content', () => {
  const cases = [
    ['123\n', 123],
    ['123', 123],
    ['2', 2],
    ['0123\n', 123],
    ['4194304\n', 4194304], // the kernel's pid_max upper bound
  ];
  for (const [content, pid] of cases) {
    test(`${JSON.stringify(content)} -> ${pid}`, () => {
      assert.equal(readPidfile(fileWith(content)), pid);
    });
  }
});

describe('readPidfile: bad content', () => {
  const notAPid = [
    ['abc', '"abc"'],
    ['-5', '"-5"'],
    ['+5', '"+5"'],
    ['12 34', '"12 34"'],
    [' 123', '" 123"'],
    ['123 ', '"123 "'],
    ['123\n\n', '"123\\n\\n"'],
    ['123\r\n', '"123\\r\\n"'],
    ['\n', '"\\n"'],
    ['1.5', '"1.5"'],
    ['0x10', '"0x10"'],
    ['99999999999', '"99999999999"'], // 11 digits
    ['12\x0034', '"12\\u000034"'],
    ['\0\0\0\0', '"\\u0000\\u0000\\u0000\\u0000"'],
    ['123\n456\n', '"123\\n456\\n"'],
    ['x'.repeat(30), `"${'x'.repeat(20)}..."`],
  ];
  for (const [content, shown] of notAPid) {
    test(`${JSON.stringify(content)} is not a pid`, () => {
      const p = fileWith(content);
      assert.throws(() => readPidfile(p), badPidfile(p, `pidfile ${p} holds ${shown}, not a pid`));
    });
  }

  const outOfRange = [
    ['0', 0],
    ['1', 1],
    ['0\n', 0],
    ['4194305', 4194305],
    ['9999999999', 9999999999], // 10 digits: passes the shape check, not the range
  ];
  for (const [content, pid] of outOfRange) {
    test(`${JSON.stringify(content)} cannot be a daemon's pid`, () => {
      const p = fileWith(content);
      assert.throws(
        () => readPidfile(p),
        badPidfile(p, `pidfile ${p} holds ${pid}, which cannot be a daemon's pid`),
      );
    });
  }

  test('empty file', () => {
    const p = fileWith('');
    assert.throws(() => readPidfile(p), badPidfile(p, `pidfile ${p} is empty`));
  });

  test('our own pid is refused', () => {
    const p = fileWith(`${process.pid}\n`);
    assert.throws(
      () => readPidfile(p),
      badPidfile(p, `pidfile ${p} holds ${process.pid}, the pid of this very command`),
    );
    assert.throws(
      () => readPidfile(p, false),
      badPidfile(p, `pidfile ${p} holds ${process.pid}, the pid of this very command`),
    );
  });

  test('our own pid is accepted with allowOwnPid', () => {
    assert.equal(readPidfile(fileWith(`${process.pid}\n`), true), process.pid);
  });
});

describe('readPidfile: odd paths', () => {
  test('missing file -> null', () => {
    assert.equal(readPidfile(join(freshDir(), 'nope.pid')), null);
  });

  test('missing parent directory -> null', () => {
    assert.equal(readPidfile(join(freshDir(), 'no', 'such', 'dir', 'x.pid')), null);
  });

  test('a parent is a file', () => {
    const file = fileWith('123\n');
    const p = join(file, 'x.pid');
    assert.throws(() => readPidfile(p), badPidfile(p, `a parent of ${p} is not a directory`));
  });

  test('a directory', () => {
    const p = join(freshDir(), 'pid');
    mkdirSync(p);
    assert.throws(() => readPidfile(p), badPidfile(p, `pidfile ${p} is a directory, not a file`));
  });

  test('a symlink to a valid pidfile', () => {
    const dir = freshDir();
    const target = join(dir, 'real.pid');
    writeFileSync(target, '123\n');
    const p = join(dir, 'link.pid');
    symlinkSync(target, p);
    assert.throws(
      () => readPidfile(p),
      badPidfile(p, `pidfile ${p} is a symbolic link; refusing to use it`),
    );
  });

  test('a dangling symlink', () => {
    const dir = freshDir();
    const p = join(dir, 'link.pid');
    symlinkSync(join(dir, 'missing'), p);
    assert.throws(
      () => readPidfile(p),
      badPidfile(p, `pidfile ${p} is a symbolic link; refusing to use it`),
    );
  });

  test('a FIFO is refused without blocking', () => {
    const p = join(freshDir(), 'fifo.pid');
    execFileSync('mkfifo', [p]);
    assert.equal(lstatSync(p).isFIFO(), true);
    assert.throws(() => readPidfile(p), badPidfile(p, `pidfile ${p} is not a regular file`));
  });

  test('/dev/null is refused', () => {
    assert.throws(
      () => readPidfile('/dev/null'),
      badPidfile('/dev/null', 'pidfile /dev/null is not a regular file'),
    );
  });
});

describe('writePidfile', () => {
  function checkWritten(dir, p, pid) {
    assert.equal(readFileSync(p, 'latin1'), `${pid}\n`);
    assert.equal(statSync(p).mode & 0o777, 0o644);
    assert.equal(lstatSync(p).isFile(), true);
    assert.deepEqual(readdirSync(dir), ['pid']); // no temp file left behind
  }

  for (const pid of [2, 123, 4242, 4194304]) {
    test(`writes exactly "${pid}\\n", mode 0644`, () => {
      const dir = freshDir();
      const p = join(dir, 'pid');
      writePidfile(p, pid);
      checkWritten(dir, p, pid);
      assert.equal(readPidfile(p), pid);
    });
  }

  for (const mask of [0o077, 0o277, 0o000, 0o022]) {
    test(`mode is 0644 under umask 0${mask.toString(8).padStart(3, '0')}`, () => {
      const old = process.umask(mask);
      try {
        const dir = freshDir();
        const p = join(dir, 'pid');
        writePidfile(p, 777);
        checkWritten(dir, p, 777);
      } finally {
        process.umask(old);
      }
    });
  }

  test('replaces an existing pidfile (content and mode)', () => {
    const dir = freshDir();
    const p = join(dir, 'pid');
    writeFileSync(p, '99999 and some trailing garbage that is longer\n', { mode: 0o600 });
    writePidfile(p, 31337);
    checkWritten(dir, p, 31337);
  });

  test('removes a leftover temp file of an earlier writer with the same pid', () => {
    const dir = freshDir();
    const p = join(dir, 'pid');
    writeFileSync(`${p}.555.tmp`, 'junk');
    writePidfile(p, 555);
    checkWritten(dir, p, 555);
  });

  test('refuses a symlink and leaves the link and its target untouched', () => {
    const dir = freshDir();
    const target = join(dir, 'target');
    writeFileSync(target, 'precious\n', { mode: 0o600 });
    const p = join(dir, 'pid');
    symlinkSync(target, p);
    assert.throws(
      () => writePidfile(p, 123),
      badPidfile(p, `pidfile ${p} is a symbolic link; refusing to use it`),
    );
    assert.equal(lstatSync(p).isSymbolicLink(), true);
    assert.equal(readlinkSync(p), target);
    assert.equal(readFileSync(target, 'utf8'), 'precious\n');
    assert.equal(statSync(target).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir).sort(), ['pid', 'target']);
  });

  test('refuses a dangling symlink and does not create its target', () => {
    const dir = freshDir();
    const target = join(dir, 'target');
    const p = join(dir, 'pid');
    symlinkSync(target, p);
    assert.throws(
      () => writePidfile(p, 123),
      badPidfile(p, `pidfile ${p} is a symbolic link; refusing to use it`),
    );
    assert.equal(readlinkSync(p), target);
    assert.deepEqual(readdirSync(dir), ['pid']);
  });

  test('refuses a directory', () => {
    const dir = freshDir();
    const p = join(dir, 'pid');
    mkdirSync(p);
    assert.throws(
      () => writePidfile(p, 123),
      badPidfile(p, `pidfile ${p} is a directory, not a file`),
    );
    assert.equal(statSync(p).isDirectory(), true);
    assert.deepEqual(readdirSync(p), []);
    assert.deepEqual(readdirSync(dir), ['pid']);
  });

  test('refuses a FIFO without blocking', () => {
    const dir = freshDir();
    const p = join(dir, 'pid');
    execFileSync('mkfifo', [p]);
    assert.throws(() => writePidfile(p, 123), badPidfile(p, `pidfile ${p} is not a regular file`));
    assert.equal(lstatSync(p).isFIFO(), true);
    assert.deepEqual(readdirSync(dir), ['pid']);
  });

  test('missing directory: a DaemonError, nothing created', () => {
    const dir = freshDir();
    const p = join(dir, 'missing', 'pid');
    assert.throws(
      () => writePidfile(p, 123),
      (error) => {
        assert.ok(error instanceof DaemonError);
        assert.ok(error.message.startsWith(`cannot write pidfile ${p}: `), error.message);
        return true;
      },
    );
    assert.deepEqual(readdirSync(dir), []);
  });
});
