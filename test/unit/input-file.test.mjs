// --stdin and --env-file as root (or anyone) opens them (src/config/input-file.ts): what a path of the
// caller's own may be, and the exit code each refusal gets. The service user's side (links,
// FIFOs and hard links in a directory another user can write) is test/faults/security-input.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  fstatSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_ENV_FILE, openInputFile, readInputText } from '../../dist/config/input-file.js';

const dir = mkdtempSync(join(tmpdir(), 'dk-input-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'plain');
writeFileSync(file, 'A=1\n');
const fifo = join(dir, 'fifo');
execFileSync('mkfifo', [fifo]);
mkdirSync(join(dir, 'sub'));
symlinkSync(file, join(dir, 'link'));

const refused = (fn, code, ...words) =>
  assert.throws(fn, (e) => e.code === code && words.every((w) => e.message.includes(w)));

describe("openInputFile at a path of the caller's", () => {
  test('a regular file, a link of ours to one, and (for --stdin) /dev/null and a FIFO, without waiting for a writer', () => {
    for (const [path, devices] of [
      [file, false],
      [join(dir, 'link'), false],
      ['/dev/null', true],
      [fifo, true],
    ]) {
      const fd = openInputFile({ flag: '--stdin', path, devices });
      assert.ok(fstatSync(fd));
      closeSync(fd);
    }
  });
  test('a FIFO or a device where only a regular file will do, a directory, a missing file: exit 2 naming it', () => {
    refused(
      () => openInputFile({ flag: '--env-file', path: fifo }),
      'BAD_OPTION',
      `--env-file ${fifo}`,
      'not a regular file',
    );
    refused(
      () => openInputFile({ flag: '--env-file', path: '/dev/zero' }),
      'BAD_OPTION',
      '/dev/zero',
      'not a regular file',
    );
    refused(
      () => openInputFile({ flag: '--stdin', path: join(dir, 'sub'), devices: true }),
      'BAD_OPTION',
      'is a directory',
    );
    refused(
      () => openInputFile({ flag: '--stdin', path: join(dir, 'none') }),
      'BAD_OPTION',
      'no such file',
    );
    refused(
      () => openInputFile({ flag: '--stdin', path: join(dir, 'none', 'x') }),
      'BAD_OPTION',
      'no such file',
    );
  });
});

describe('readInputText', () => {
  test('reads the file through its fd; at most 1 MiB', () => {
    assert.equal(readInputText({ flag: '--env-file', path: file }), 'A=1\n');
    const exact = join(dir, 'exact');
    writeFileSync(exact, 'x'.repeat(MAX_ENV_FILE));
    assert.equal(readInputText({ flag: '--env-file', path: exact }).length, MAX_ENV_FILE);
    writeFileSync(exact, 'x'.repeat(MAX_ENV_FILE + 1));
    refused(
      () => readInputText({ flag: '--env-file', path: exact }),
      'BAD_OPTION',
      'larger than 1 MiB',
    );
    refused(
      () => readInputText({ flag: '--env-file', path: fifo }),
      'BAD_OPTION',
      'not a regular file',
    );
  });
});
