// The CLI's code cache (src/sys/compile-cache.ts): trusted as the code it caches, made by a run.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { trustedCache } from '../../dist/sys/cache-files.js';

const dir = mkdtempSync(join(tmpdir(), 'dk-cc-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const isRoot = process.getuid() === 0;
const LOADER = new URL('../../dist/sys/compile-cache.js', import.meta.url).href;

/** A node that loads bundle `b` from `lazy` through the loader with the cache in `cache`, prints
 *  its answer() and saves its cache; `meanwhile`: code run between the load and the save. */
const loadB = (lazy, cache, meanwhile = '') =>
  spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { renameSync } from 'node:fs';
       import { installLazyLoader, saveCompileCache } from ${JSON.stringify(LOADER)};
       installLazyLoader(${JSON.stringify(lazy)}, ${JSON.stringify(cache)});
       console.log(globalThis.__daemonkitLoad('b').answer());
       ${meanwhile}
       saveCompileCache();`,
    ],
    { encoding: 'utf8' },
  );

describe('trustedCache', () => {
  const source = join(dir, 'bundle.cjs');
  writeFileSync(source, 'module.exports = 1;\n');
  const cache = (name, mode = 0o644) => {
    const file = join(dir, name);
    writeFileSync(file, 'bytes');
    chmodSync(file, mode);
    return file;
  };

  test("a regular file of the bundle's owner, writable by no one else: used", () => {
    assert.equal(trustedCache(cache('ok.bin'), source)?.toString(), 'bytes');
  });
  test('writable by the group or by anyone: not used', () => {
    assert.equal(trustedCache(cache('g.bin', 0o664), source), undefined);
    assert.equal(trustedCache(cache('o.bin', 0o646), source), undefined);
  });
  test('a symlink, a directory, a missing file: not used', () => {
    symlinkSync(cache('target.bin'), join(dir, 'link.bin'));
    assert.equal(trustedCache(join(dir, 'link.bin'), source), undefined);
    mkdirSync(join(dir, 'dir.bin'));
    assert.equal(trustedCache(join(dir, 'dir.bin'), source), undefined);
    assert.equal(trustedCache(join(dir, 'none.bin'), source), undefined);
  });
  test('owned by another user (not root): not used', {
    skip: !isRoot && 'needs root to chown',
  }, () => {
    const file = cache('other.bin');
    chownSync(file, 65534, 65534);
    assert.equal(trustedCache(file, source), undefined);
    chownSync(source, 65534, 65534); // a bundle of that user's: still fine with root's cache? root's, yes
    assert.equal(trustedCache(cache('root.bin'), source)?.toString(), 'bytes');
    assert.equal(trustedCache(file, source)?.toString(), 'bytes', "the bundle's owner's cache");
  });
});

describe('the CLI makes and uses its cache', () => {
  test('a command leaves a cache of the bundles it loaded; the next run uses it (same answer); DAEMONKIT_DISABLE_COMPILE_CACHE goes without', () => {
    // A private copy of the CLI (its bundles, the native module, binding.gyp that marks the
    // package root), so its .compile-cache/ is this test's alone.
    const pkg = join(dir, 'pkg');
    // build/Release, else the prebuild
    const module = relative(ROOT, createRequire(import.meta.url)('node-gyp-build').resolve(ROOT));
    for (const part of ['binding.gyp', module, 'dist/cli'])
      cpSync(join(ROOT, part), join(pkg, part), { recursive: true });
    const home = join(dir, 'home');
    // a service that exists (never started): its status loads service-status.cjs
    mkdirSync(join(home, 'cc'), { recursive: true });
    const cacheDir = join(pkg, '.compile-cache');
    const env = { ...process.env, DAEMONKIT_HOME: home };
    const run = (extra = {}) =>
      spawnSync(process.execPath, [join(pkg, 'dist/cli/main.cjs'), 'status', '--name', 'cc'], {
        env: { ...env, ...extra },
        encoding: 'utf8',
      });
    const off = run({ DAEMONKIT_DISABLE_COMPILE_CACHE: '1' });
    assert.equal(existsSync(cacheDir), false, 'nothing made when disabled');
    const first = run();
    const made = readdirSync(cacheDir).filter((f) => f.endsWith(`.${process.versions.v8}.bin`));
    assert.ok(
      made.some((f) => f.startsWith('service-status.cjs.')) &&
        made.some((f) => f.startsWith('cli-entry.cjs.')),
      made.join(' '),
    );
    for (const f of made) assert.equal(statSync(join(cacheDir, f)).mode & 0o777, 0o644);
    const stamp = () =>
      made.map((f) => {
        const st = statSync(join(cacheDir, f));
        return `${f} ${st.ino} ${st.mtimeMs}`;
      });
    const before = stamp();
    const second = run();
    assert.deepEqual(
      stamp(),
      before,
      'used, not made again (a cache V8 rejected, or one not trusted, is written anew)',
    );
    for (const r of [off, first, second])
      assert.deepEqual(
        [r.status, r.stdout, r.stderr],
        [3, 'cc: not running (never started)\n', ''],
      );
  });
});

describe('the supervisor makes and uses its cache', () => {
  test('a supervisor that found no cache leaves one at its end (its stop path in it); the next supervisor runs from it', () => {
    // A private copy of the package's programs, so its .compile-cache/ is this test's alone.
    const pkg = join(dir, 'pkg-supervisor');
    const module = relative(ROOT, createRequire(import.meta.url)('node-gyp-build').resolve(ROOT));
    for (const part of ['binding.gyp', module, 'dist/cli', 'dist/supervisor'])
      cpSync(join(ROOT, part), join(pkg, part), { recursive: true });
    const home = join(dir, 'home-supervisor');
    mkdirSync(home);
    const cacheDir = join(pkg, '.compile-cache');
    const dk = (...args) =>
      spawnSync(process.execPath, [join(pkg, 'dist/cli/main.cjs'), ...args], {
        env: { ...process.env, DAEMONKIT_HOME: home },
        encoding: 'utf8',
      });
    const ours = () =>
      existsSync(cacheDir)
        ? readdirSync(cacheDir).filter((f) => f.startsWith('supervisor-program.cjs.'))
        : [];
    /** A start and a stop; the supervisor's end (its cache written after its lock went) waited
     *  for: its pid gone. */
    const life = () => {
      const started = dk('start', '--name', 'sc', '--', 'sleep', '100');
      assert.equal(started.status, 0, started.stderr);
      const pid = Number(/pid (\d+)/.exec(started.stdout)[1]);
      const stopped = dk('stop', '--name', 'sc');
      assert.equal(stopped.status, 0, stopped.stderr);
      assert.match(stopped.stdout, /sc: stopped/);
      const until = Date.now() + 10_000;
      while (existsSync(`/proc/${pid}`) && Date.now() < until) spawnSync('sleep', ['0.02']);
      assert.equal(existsSync(`/proc/${pid}`), false, 'the supervisor is gone');
    };
    life();
    const made = ours();
    assert.equal(made.length, 1, `one cache of the supervisor's program: ${made.join(' ')}`);
    const file = join(cacheDir, made[0]);
    assert.equal(statSync(file).mode & 0o777, 0o644);
    const before = `${statSync(file).ino} ${statSync(file).mtimeMs}`;
    life();
    assert.deepEqual(ours(), made);
    assert.equal(
      `${statSync(file).ino} ${statSync(file).mtimeMs}`,
      before,
      'used, not made again (V8 accepted it: same flags, same build)',
    );
  });
});

/** A private copy of the package's programs, so its .compile-cache/ is the test's alone; `dk`
 *  runs its CLI with DAEMONKIT_HOME a fresh home. */
function privatePackage(name) {
  const pkg = join(dir, name);
  const module = relative(ROOT, createRequire(import.meta.url)('node-gyp-build').resolve(ROOT));
  for (const part of ['binding.gyp', module, 'dist/cli', 'dist/supervisor'])
    cpSync(join(ROOT, part), join(pkg, part), { recursive: true });
  const home = join(dir, `home-${name}`);
  mkdirSync(home);
  const cacheDir = join(pkg, '.compile-cache');
  const dk = (...args) =>
    spawnSync(process.execPath, [join(pkg, 'dist/cli/main.cjs'), ...args], {
      env: { ...process.env, DAEMONKIT_HOME: home },
      encoding: 'utf8',
    });
  /** The cache files of the bundle `bundle` (e.g. "supervisor-program"). */
  const caches = (bundle) =>
    existsSync(cacheDir)
      ? readdirSync(cacheDir)
          .filter((f) => f.startsWith(`${bundle}.cjs.`))
          .sort()
      : [];
  const identity = (f) => {
    const st = statSync(join(cacheDir, f));
    return `${f} ${st.ino} ${st.mtimeMs}`;
  };
  return { pkg, home, cacheDir, dk, caches, identity };
}

/** Wait (bounded) until `pid` is gone: a supervisor writes its cache after its lock went. */
function gone(pid) {
  const until = Date.now() + 10_000;
  while (existsSync(`/proc/${pid}`) && Date.now() < until) spawnSync('sleep', ['0.02']);
  assert.equal(existsSync(`/proc/${pid}`), false, `${pid} is gone`);
}

describe("a stop's own entry", () => {
  test('a stop loads one bundle, its entry with its module inside (no ops-stop bundle): one read and one cache fewer on its path', () => {
    const p = privatePackage('pkg-stop-entry');
    mkdirSync(join(p.home, 'cc'));
    const r = p.dk('stop', '--name', 'cc');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /cc: not running/);
    const made = readdirSync(p.cacheDir);
    assert.ok(
      made.some((f) => f.startsWith('cli-entry-stop.cjs.')),
      made.join(' '),
    );
    assert.ok(!made.some((f) => f.startsWith('ops-stop.cjs.')), made.join(' '));
  });
});

describe('a partial cache', () => {
  test('a supervisor whose service ended without a stop makes a partial cache; the next that stops makes the whole one in its place; a later one without a stop leaves it', () => {
    const p = privatePackage('pkg-partial');
    const ended = () => {
      // Its COMMAND ends on its own (no restart): the supervisor ends without a stop's path.
      const started = p.dk(
        'start',
        '--name',
        'pe',
        '--grace',
        '0',
        '--restart',
        'no',
        '--',
        'sleep',
        '0.2',
      );
      assert.equal(started.status, 0, started.stderr);
      gone(Number(/pid (\d+)/.exec(started.stdout)[1]));
    };
    const stopped = () => {
      const started = p.dk('start', '--name', 'ps', '--', 'sleep', '100');
      assert.equal(started.status, 0, started.stderr);
      const r = p.dk('stop', '--name', 'ps');
      assert.equal(r.status, 0, r.stderr);
      gone(Number(/pid (\d+)/.exec(started.stdout)[1]));
    };
    ended();
    const partial = p.caches('supervisor-program');
    assert.equal(partial.length, 1, partial.join(' '));
    assert.match(partial[0], /\.part\.bin$/, 'made without a stop: partial');
    const before = p.identity(partial[0]);
    ended();
    assert.deepEqual([p.identity(partial[0])], [before], 'a partial one is not made again');
    stopped();
    const whole = p.caches('supervisor-program');
    assert.equal(whole.length, 1, `the whole one, the partial removed: ${whole.join(' ')}`);
    assert.match(whole[0], /\.\d+[^.]*\.bin$/);
    assert.doesNotMatch(whole[0], /\.part\.bin$/);
    const made = p.identity(whole[0]);
    ended();
    stopped();
    assert.deepEqual(p.caches('supervisor-program'), whole);
    assert.equal(p.identity(whole[0]), made, 'the whole one stands');
  });
});

describe("the project's supervisor makes and uses its cache", () => {
  test('a shared supervisor that found no cache leaves one at its end; the next one runs from it', () => {
    const p = privatePackage('pkg-project');
    const file = join(dir, 'cc-project.toml');
    writeFileSync(file, 'project = "ccp"\n[services.a]\ncommand = ["/bin/sleep", "100"]\n');
    const pidfile = join(p.home, '.projects', 'ccp.supervisor.pid');
    const life = () => {
      const up = p.dk('up', '-f', file);
      assert.equal(up.status, 0, up.stderr);
      const sup = Number(readFileSync(pidfile, 'utf8'));
      const stop = p.dk('stop', '--name', 'ccp.a'); // a project's service stops through it
      assert.equal(stop.status, 0, stop.stderr);
      assert.match(stop.stdout, /stopped/);
      const down = p.dk('down', '-f', file);
      assert.equal(down.status, 0, down.stderr);
      gone(sup);
    };
    life();
    const made = p.caches('supervisor-project-program');
    assert.equal(made.length, 1, made.join(' '));
    assert.doesNotMatch(made[0], /\.part\.bin$/, 'a service of it was stopped: whole');
    const before = p.identity(made[0]);
    life();
    assert.equal(p.identity(made[0]), before, 'used, not made again');
  });
});

describe('a cache is for one bundle content', () => {
  test('a rebuilt bundle of the same length is compiled anew, not run from the old cache', () => {
    const lazy = join(dir, 'lazy-same-length');
    const cache = join(dir, 'cache-same-length');
    mkdirSync(lazy);
    const run = () => loadB(lazy, cache);
    const bundle = (word) =>
      writeFileSync(join(lazy, 'b.cjs'), `module.exports = { answer: () => '${word}' };\n`);
    bundle('aaaa');
    assert.equal(run().stdout.trim(), 'aaaa');
    assert.ok(readdirSync(cache).length > 0, 'a cache was written');
    const [old] = readdirSync(cache);
    const oldBytes = readFileSync(join(cache, old));
    bundle('bbbb'); // the same length, another content
    const second = run();
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.stdout.trim(), 'bbbb');
    const left = readdirSync(cache);
    assert.equal(left.length, 1, `the old build's cache is removed: ${left.join(' ')}`);
    // Someone who may rename entries in a directory writable by others could put the old cache
    // under the new name (V8 checks only the length): such a directory is not used at all.
    writeFileSync(join(cache, left[0]), oldBytes);
    chmodSync(cache, 0o777);
    const third = run();
    chmodSync(cache, 0o755);
    assert.equal(third.status, 0, third.stderr);
    assert.equal(third.stdout.trim(), 'bbbb', 'not the cache in a directory others can write');
  });
});

describe('a cache written meanwhile', () => {
  test('a cache another process wrote after this one looked (none then) is left as it is, not written over', () => {
    const lazy = join(dir, 'lazy-meanwhile');
    const cache = join(dir, 'cache-meanwhile');
    mkdirSync(lazy);
    writeFileSync(join(lazy, 'b.cjs'), "module.exports = { answer: () => 'b' };\n");
    const run = (meanwhile = '') => loadB(lazy, cache, meanwhile);
    assert.equal(run().stdout.trim(), 'b');
    const [name] = readdirSync(cache);
    const file = join(cache, name);
    const aside = join(dir, 'aside.bin');
    // None when the second run looks; "another process" puts one there before it saves.
    renameSync(file, aside);
    const theirs = statSync(aside).ino;
    const second = run(`renameSync(${JSON.stringify(aside)}, ${JSON.stringify(file)});`);
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.stdout.trim(), 'b');
    assert.deepEqual(readdirSync(cache), [name]);
    assert.equal(statSync(file).ino, theirs, 'the cache written meanwhile stands');
  });
});

/** The CLI run with `args` (DAEMONKIT_HOME `home`): its result and the node modules it loaded
 *  (process.moduleLoadList at its exit; node:vm is the CLI loader's, so the list is its). */
function cliModules(args, home, options = {}) {
  const preload = join(dir, 'modules.cjs');
  const out = join(dir, 'modules.txt');
  writeFileSync(
    preload,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, process.moduleLoadList.join('\\n')));\n`,
  );
  rmSync(out, { force: true });
  const r = spawnSync(process.execPath, ['-r', preload, join(ROOT, 'dist/cli/main.cjs'), ...args], {
    env: { ...process.env, DAEMONKIT_HOME: home },
    encoding: 'utf8',
    ...options,
  });
  const loaded = readFileSync(out, 'utf8').split('\n');
  assert.ok(loaded.includes('NativeModule vm'), 'the list is the CLI’s (its loader uses node:vm)');
  return { r, loaded };
}

describe("the CLI's start-up", () => {
  test('loads no node:crypto (a cache is named by its bundle’s inode, size and times, not a digest): ~2.5 ms of every command', () => {
    const home = join(dir, 'home-crypto');
    mkdirSync(join(home, 'cc'), { recursive: true });
    for (const args of [
      ['--version'],
      ['list'],
      ['status', '--name', 'cc'],
      ['stop', '--name', 'cc'],
    ]) {
      const { r, loaded } = cliModules(args, home);
      assert.ok(r.status === 0 || r.status === 3, r.stderr);
      assert.ok(!loaded.includes('NativeModule crypto'), `${args.join(' ')} loaded node:crypto`);
    }
  });

  test('output to /dev/null (cron, scripts) loads no node:tty: it is told from a terminal by one fstat', () => {
    const home = join(dir, 'home-tty');
    mkdirSync(join(home, 'cc'), { recursive: true }); // a service: a table to print
    const devNull = openSync('/dev/null', 'w');
    let loaded;
    try {
      const run = cliModules(['list'], home, { stdio: ['ignore', devNull, devNull] });
      assert.equal(run.r.status, 0);
      loaded = run.loaded;
    } finally {
      closeSync(devNull);
    }
    assert.ok(!loaded.includes('NativeModule tty'), 'list > /dev/null loaded node:tty');
  });

  test('a stop of a running service loads no node:module (the loader wraps and requires itself; createRequire is loaded on first use): ~0.2 ms of its way to the signal', () => {
    const home = join(dir, 'home-module');
    mkdirSync(home);
    const started = spawnSync(
      process.execPath,
      [
        join(ROOT, 'dist/cli/main.cjs'),
        'start',
        '--name',
        'mm',
        '--grace',
        '0',
        '--',
        'sleep',
        '100',
      ],
      { env: { ...process.env, DAEMONKIT_HOME: home }, encoding: 'utf8' },
    );
    assert.equal(started.status, 0, started.stderr);
    const { r, loaded } = cliModules(['stop', '--name', 'mm'], home);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /mm: stopped/);
    assert.ok(!loaded.includes('NativeModule module'), 'stop loaded node:module');
  });
});

// attack5: a FIFO in place of a cache file (anyone who may write the cache dir: the package's
// owner) made open(2) wait for a writer: every command, and a supervisor before its handlers
// (its `start` never returned, its `stop` gave up), hung. A FIFO is not a cache: ignored.
test('a FIFO in place of a cache file is ignored, not waited on', () => {
  const fifoDir = mkdtempSync(join(tmpdir(), 'dk-cc-fifo-'));
  try {
    const source = join(fifoDir, 'bundle.cjs');
    writeFileSync(source, 'module.exports = 1;\n');
    const fifo = join(fifoDir, 'bundle.cjs.x.bin');
    assert.equal(spawnSync('mkfifo', ['-m', '644', fifo]).status, 0);
    const url = new URL('../../dist/sys/cache-files.js', import.meta.url).href;
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { trustedCache } = await import(${JSON.stringify(url)});
         process.stdout.write(String(trustedCache(${JSON.stringify(fifo)}, ${JSON.stringify(source)})));`,
      ],
      { timeout: 5000, encoding: 'utf8' },
    );
    assert.equal(r.signal, null, 'trustedCache waited on the FIFO (killed after 5 s)');
    assert.equal(r.stdout, 'undefined');
  } finally {
    rmSync(fifoDir, { recursive: true, force: true });
  }
});

// attack5: a writer killed mid-write left NAME.PID.tmp, which no later write removed. A new
// cache's write prunes such files an hour old, and leaves a fresh one (a writer may be on it).
test("a killed writer's temp file is pruned once stale, a fresh one is left", () => {
  const lazy = join(dir, 'lazy-stale-tmp');
  const cache = join(dir, 'cache-stale-tmp');
  mkdirSync(lazy);
  mkdirSync(cache);
  writeFileSync(join(lazy, 'b.cjs'), "module.exports = { answer: () => 'ok' };\n");
  const old = join(cache, 'b.cjs.x.12.bin.4242.tmp');
  const fresh = join(cache, 'b.cjs.x.12.bin.4243.tmp');
  writeFileSync(old, 'half a cache');
  writeFileSync(fresh, 'a writer on it');
  const hoursAgo = new Date(Date.now() - 2 * 3_600_000);
  utimesSync(old, hoursAgo, hoursAgo);
  const r = loadB(lazy, cache);
  assert.equal(r.stdout.trim(), 'ok', r.stderr);
  const left = readdirSync(cache);
  assert.ok(!left.includes('b.cjs.x.12.bin.4242.tmp'), `stale temp file pruned: ${left}`);
  assert.ok(left.includes('b.cjs.x.12.bin.4243.tmp'), `fresh temp file left: ${left}`);
  assert.equal(left.filter((e) => e.endsWith('.bin')).length, 1, 'the new cache written');
});
