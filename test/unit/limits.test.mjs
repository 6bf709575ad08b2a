// native/limits.h is the one source of the native side's sizes: src/sys/limits.ts is generated
// from it (current), the built module says the same, and the TypeScript boundary refuses what C
// could not take, one line each (BAD_OPTION, exit 2), where C itself refuses instead of cutting.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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
