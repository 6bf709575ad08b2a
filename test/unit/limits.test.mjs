// native/limits.h is the one source of the native side's sizes: src/sys/limits.ts is generated
// from it (current), the built module says the same, and the TypeScript boundary refuses what C
// could not take, one line each (BAD_OPTION, exit 2), where C itself refuses instead of cutting.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { limitsModule } from '../../scripts/gen-limits.mjs';
import * as limits from '../../dist/sys/limits.js';
import { Problems, buildCommandSpec, servicePaths, validateStart } from '../../dist/index.js';
import { spawnProcess } from '../../dist/sys/native.js';
import { ROOT } from '../helpers.mjs';

// The module the package loads (src/sys/native-load.ts): build/Release if built, else the prebuild.
const native = createRequire(import.meta.url)('node-gyp-build')(ROOT);

describe('one source of truth', () => {
  test('src/sys/limits.ts is what scripts/gen-limits.mjs makes of native/limits.h now', () => {
    assert.equal(
      readFileSync(join(ROOT, 'src', 'sys', 'limits.ts'), 'utf8'),
      limitsModule(readFileSync(join(ROOT, 'native', 'limits.h'), 'utf8')),
    );
  });
  test('the built module was built with the same values', () => {
    assert.deepEqual({ ...native.limits }, { ...limits });
    assert.ok(Object.keys(limits).length >= 5);
  });
});

const valid = (opts = {}) => {
  const problems = new Problems();
  const v = validateStart(opts, problems);
  assert.deepEqual(problems.list, []);
  return v;
};
const paths = servicePaths({ name: 'limits-test' });
const build = (command, opts, extra = {}) =>
  buildCommandSpec(command, opts, paths, { foreground: true, ...extra });
const refused = (fn, pattern) =>
  assert.throws(fn, (e) => e.code === 'BAD_OPTION' && pattern.test(e.message), 'BAD_OPTION');

describe('the boundary (buildCommandSpec) refuses what spawn.c cannot take', () => {
  test(`an argument of MAX_ARG_STRLEN bytes (${limits.MAX_ARG_STRLEN}), naming which`, () => {
    refused(
      () => build(['/bin/echo', 'ok', 'x'.repeat(limits.MAX_ARG_STRLEN)], valid()),
      /^argument 2 of the COMMAND, x{60}… \(131072 bytes\) is too long: at most 131071 bytes$/,
    );
    assert.doesNotThrow(() => build(['/bin/echo', 'x'.repeat(limits.MAX_ARG_STRLEN - 1)], valid()));
  });
  test('an environment entry that long', () => {
    refused(
      () => build(['/bin/echo'], valid({ env: [`BIG=${'x'.repeat(limits.MAX_ARG_STRLEN)}`] })),
      /^the environment variable BIG is too long: at most 131071 bytes with its name$/,
    );
  });
  test(`a --chdir of PATH_MAX bytes (${limits.PATH_MAX}) or more: too long, not "not a directory"`, () => {
    const long = `/${'d'.repeat(limits.PATH_MAX)}`;
    refused(
      () => build(['/bin/echo'], valid({ chdir: long })),
      /^--chdir \/d{59}… \(4097 bytes\) is too long: at most 4095 bytes$/,
    );
  });
  test('more limits than MAX_LIMITS (a hand-made ValidStart, as the library may pass)', () => {
    const v = valid();
    const many = Array.from({ length: limits.MAX_LIMITS + 1 }, () => ['core', 0, 0]);
    refused(
      () => build(['/bin/echo'], { ...v, limits: many }),
      new RegExp(
        `^too many --limit values \\(${limits.MAX_LIMITS + 1}\\): at most ${limits.MAX_LIMITS}$`,
      ),
    );
  });
});

describe('spawn.c refuses a spec beyond its sizes (never cuts it short), naming the field', () => {
  const spec = { file: '/bin/true', argv: ['/bin/true'], envp: [], fds: [], cwd: '/' };
  test('a file path longer than PATH_MAX', () => {
    assert.throws(
      () => spawnProcess({ ...spec, file: `/${'a/'.repeat(limits.PATH_MAX / 2)}true` }),
      { name: 'TypeError', message: 'spawnProcess: bad spec (file)' },
    );
  });
  test('a cwd longer than PATH_MAX', () => {
    assert.throws(() => spawnProcess({ ...spec, cwd: `/${'a'.repeat(limits.PATH_MAX)}` }), {
      name: 'TypeError',
      message: 'spawnProcess: bad spec (cwd)',
    });
  });
  test('an argv with an element that is not a string (was: the list silently ended there)', () => {
    assert.throws(() => spawnProcess({ ...spec, argv: ['/bin/true', 'a', 5, 'b'] }), {
      name: 'TypeError',
      message: 'spawnProcess: bad spec (argv)',
    });
  });
  test('more limits than MAX_LIMITS', () => {
    assert.throws(
      () =>
        spawnProcess({
          ...spec,
          limits: Array.from({ length: limits.MAX_LIMITS + 1 }, () => ['core', 0, 0]),
        }),
      { name: 'TypeError', message: 'spawnProcess: bad spec (limits)' },
    );
  });
  test('no spec at all (was: an uninitialised spec freed)', () => {
    assert.throws(() => native.spawnProcess(), {
      name: 'TypeError',
      message: 'spawnProcess: bad spec (missing)',
    });
    assert.throws(() => native.spawnDaemon(), {
      name: 'TypeError',
      message: 'spawnDaemon: bad daemon spec (missing)',
    });
  });
});

describe('a string C cannot take whole is refused, never cut (at the length or at a NUL byte)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dk-cut-'));
  writeFileSync(join(dir, 'a'), '');
  const dirfd = openSync(dir, 'r');
  after(() => {
    closeSync(dirfd);
    rmSync(dir, { recursive: true, force: true });
  });
  const tooLong = (fn, syscall) =>
    assert.throws(
      fn,
      (e) => e.code === 'ENAMETOOLONG' && e.syscall === syscall,
      `ENAMETOOLONG from ${syscall}`,
    );

  test('a name with a NUL byte inside is a TypeError (was: "a\\0b" opened a)', () => {
    assert.throws(() => native.openAt(dirfd, 'a\0b', constants.O_RDONLY, 0), TypeError);
    assert.throws(() => native.inodeAt(dirfd, 'a\0b'), TypeError);
  });
  test('a name or path of PATH_MAX bytes or more: ENAMETOOLONG, as the kernel says it (was: a TypeError naming nothing)', () => {
    const long = 'n'.repeat(limits.PATH_MAX);
    tooLong(() => native.openAt(dirfd, long, constants.O_RDONLY, 0), 'openat');
    tooLong(() => native.unlinkAt(dirfd, long), 'unlinkat');
    tooLong(() => native.replaceFile(join(dir, long), join(dir, 'b')), 'rename');
    tooLong(() => native.accessAcl(`/${long}`), 'lgetxattr');
    // One byte less fits: the kernel answers (a component that long does not exist).
    assert.throws(() => native.openAt(dirfd, long.slice(1), constants.O_RDONLY, 0), {
      code: 'ENAMETOOLONG',
      syscall: 'openat',
    });
  });
  test('accessAcl(-1) is refused (was: lgetxattr of an unset buffer)', () => {
    assert.throws(() => native.accessAcl(-1), TypeError);
  });
  test('an argument or environment entry with a NUL byte: refused by spawn.c and at the boundary (was: cut there)', () => {
    const spec = { file: '/bin/true', argv: ['/bin/true', 'a\0b'], envp: [], fds: [], cwd: '/' };
    assert.throws(() => spawnProcess(spec), {
      name: 'TypeError',
      message: 'spawnProcess: bad spec (argv)',
    });
    assert.throws(() => spawnProcess({ ...spec, argv: ['/bin/true'], envp: ['A=1\0B=2'] }), {
      name: 'TypeError',
      message: 'spawnProcess: bad spec (envp)',
    });
    refused(
      () => build(['/bin/echo', 'a\0b'], valid()),
      /^argument 1 of the COMMAND, a\\u0000b holds a NUL byte$/,
    );
    // --env refuses it already (validateStart); a hand-made ValidStart, as the library may pass, reaches the boundary.
    refused(
      () => build(['/bin/echo'], { ...valid(), env: ['A=1\0B'] }),
      /^the environment variable A holds a NUL byte$/,
    );
  });
  test('a user or group name of any length is looked up (was: a TypeError past 1022 bytes)', () => {
    assert.equal(native.getUser('u'.repeat(5000)), null);
    assert.equal(native.getGroup('g'.repeat(5000)), null);
    assert.throws(() => native.getUser('root\0x'), TypeError);
  });
  test('an id out of range is refused, never taken modulo 2^32 (-1 would be "unchanged" to setuid)', () => {
    assert.throws(() => native.getUser(-1), TypeError);
    assert.throws(() => native.getUser(2 ** 32), TypeError);
    assert.equal(native.getUser(0).name, 'root');
    const spec = {
      file: '/bin/true',
      argv: ['/bin/true'],
      envp: [],
      fds: [],
      cwd: '/',
      uid: -1,
      gid: 0,
      groups: [],
    };
    assert.throws(() => spawnProcess(spec), {
      name: 'TypeError',
      message: 'spawnProcess: bad spec (uid/gid/groups)',
    });
  });
  test('a spec field of the wrong type is refused, never defaulted', () => {
    const spec = { file: '/bin/true', argv: ['/bin/true'], envp: [], fds: [], cwd: '/' };
    assert.throws(() => spawnProcess({ ...spec, umask: '022' }), {
      name: 'TypeError',
      message: 'spawnProcess: bad spec (umask)',
    });
    assert.throws(() => spawnProcess({ ...spec, setsid: 1 }), {
      name: 'TypeError',
      message: 'spawnProcess: bad spec (setsid)',
    });
    assert.throws(() => spawnProcess({ ...spec, nice: '5' }), {
      name: 'TypeError',
      message: 'spawnProcess: bad spec (nice)',
    });
    assert.throws(() => spawnProcess({ ...spec, limits: [['core', 1.5, 2]] }), {
      name: 'TypeError',
      message: 'spawnProcess: bad spec (limits)',
    });
  });
});
