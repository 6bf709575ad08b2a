// Fault suite: more of what the service user can do to root through its log directory (issue 13,
// the black-box review after the first fixes). As root, acting as daemonkit-test through setpriv:
// - a log directory (or one above it) the user may write through a POSIX ACL, not its mode bits;
// - a log directory filled with names, which the supervisor (a 16 MB heap) lists at each rotation;
// - a huge sparse file planted as the log, which the compressor would gzip for minutes;
// - `daemonkit logs` (-n and -f) run by root on the user's directory: a link to a root-only file
//   among the rotated names, and a sparse file of terabytes.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CLI,
  NODE,
  ROOT,
  procStatus,
  readJson,
  readText,
  startedPids,
  waitFor,
} from '../helpers.mjs';
import { USER } from '../service-user.mjs';
import {
  asUserRun as asUserRunOf,
  asUserSh,
  assertNothingLeft,
  assertOneLine,
  faultHome,
  fingerprint,
  guarded,
  rootOnlyFile,
  serviceUser,
  userDir as userDirOf,
  waitJson,
} from './helpers.mjs';

const LINES = join(ROOT, 'test', 'fixtures', 'lines.mjs');
const SETFACL = ['/usr/bin/setfacl', '/bin/setfacl'].find((p) => existsSync(p)) ?? null;

const { u, skip } = serviceUser();

const h = faultHome();
after(() => h.cleanup());

/** The service user runs `file` with `args`. */
const asUserRun = (file, args, options) => asUserRunOf(u, file, args, options);
/** The service user runs a shell script (args as $1, $2, …). */
const asUser = (script, ...args) => asUserSh(u, script, ...args);

/** A scratch directory (root's, 0755) with a root-only file in a root-only directory. */
function setup() {
  const work = h.work();
  return {
    work,
    secret: rootOnlyFile(
      work,
      'ROOT-ONLY-SECRET: the service user must never see or change this\n',
    ),
  };
}

const userDir = (parent, name) => userDirOf(u, parent, name);

const stateOf = (name) => join(h.dir(name), 'state.json');
const numbered = (text) => text.split('\n').filter((l) => /^\d+$/.test(l));

async function start(name, args) {
  const r = await h.dkT(['start', '--name', name, '--grace', '0', '--user', USER, ...args]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return startedPids(r.stdout);
}

describe('a log directory the service user may write through a POSIX ACL', {
  skip: skip || (!SETFACL && "needs setfacl (Debian's acl package)"),
}, () => {
  it(
    'root 0755 with u:daemonkit-test:rwx, app.log a link to a root-only file: start refuses (exit 4, the ACL named), the file is unchanged',
    guarded(h, async () => {
      const { work, secret } = setup();
      const dir = join(work, 'acl');
      mkdirSync(dir, { mode: 0o755 });
      execFileSync(SETFACL, ['-m', `u:${USER}:rwx`, dir]);
      const before = fingerprint(secret);
      assert.equal((await asUser('ln -s "$1" "$2/app.log"', secret, dir)).code, 0);
      const r = await h.dkT([
        'start',
        '--name',
        'acl',
        '--user',
        USER,
        '--stdout',
        join(dir, 'app.log'),
        '--',
        '/bin/sh',
        '-c',
        'echo INJECTED; exec sleep 30',
      ]);
      await new Promise((resolve) => setTimeout(resolve, 300)); // the old code's COMMAND writes meanwhile
      assert.deepEqual(
        fingerprint(secret),
        before,
        'root appended to the root-only file through the link',
      );
      assert.equal(r.code, 4, r.stdout + r.stderr);
      assertOneLine(r.stderr, 'symbolic link', 'writable by uid', 'through an ACL');
      await h.dkT(['stop', '--name', 'acl']);
      await assertNothingLeft(h);
    }),
  );

  it(
    'a directory above the log directory writable by the user through an ACL: start refuses with exit 4 naming it, nothing made',
    guarded(h, async () => {
      const { work } = setup();
      const parent = join(work, 'parent');
      mkdirSync(parent, { mode: 0o755 });
      execFileSync(SETFACL, ['-m', `u:${USER}:rwx`, parent]);
      const r = await h.dkT([
        'start',
        '--name',
        'acl-up',
        '--user',
        USER,
        '--stdout',
        join(parent, 'logs', 'app.log'),
        '--',
        'sleep',
        '30',
      ]);
      assert.equal(r.code, 4, r.stdout + r.stderr);
      assertOneLine(r.stderr, parent, 'insecure permissions', 'through an ACL');
      assert.ok(!existsSync(join(parent, 'logs')), 'the log directory was made');
      await assertNothingLeft(h);
    }),
  );

  it(
    'a default ACL alone (d:u:daemonkit-test:rwx) grants nothing on the directory itself: accepted; so is a log directory made in it (it inherits the entry masked by the 0755 it is made with: r-x, no write)',
    guarded(h, async () => {
      const { work } = setup();
      const dir = join(work, 'defacl');
      mkdirSync(dir, { mode: 0o755 });
      execFileSync(SETFACL, ['-d', '-m', `u:${USER}:rwx`, dir]);
      for (const [name, log] of [
        ['defacl', join(dir, 'app.log')],
        ['defacl-below', join(dir, 'made', 'app.log')],
      ]) {
        await start(name, ['--stdout', log, '--', NODE, LINES, 'tick', '5']);
        await waitFor(() => existsSync(log) && numbered(readText(log)).length > 0, 10000, 'lines');
        assert.equal((await h.dkT(['stop', '--name', name])).code, 0);
      }
      await assertNothingLeft(h);
    }),
  );
});

describe('a log directory the service user fills with names', { skip }, () => {
  it(
    "150,000 long names (the heap an array of them needs is twice the supervisor's): the supervisor lives, its memory stays flat, status says why it does not rotate; once they are gone rotation resumes",
    guarded(h, async () => {
      const { work } = setup();
      const dir = userDir(work, 'logs');
      const log = join(dir, 'app.log');
      const { pid } = await start('names', [
        '--stdout',
        log,
        '--log-max-size',
        '4K',
        '--log-keep',
        '3',
        '--',
        NODE,
        LINES,
        'tick',
        '1',
      ]);
      await waitFor(() => existsSync(`${log}.2`), 15000, 'rotations');
      const hwm = () => Number(procStatus(pid)?.VmHWM?.replace(/ kB$/, '') ?? NaN);
      const before = hwm();
      // Hard links to a few files of the user's: ~40,000 a second, where making inodes is ~5,000.
      const fill = `const fs = require('fs'); const d = process.argv[1]; const pad = 'x'.repeat(200);
      for (let k = 0; k < 4; k++) fs.writeFileSync(d + '/.seed' + k, '');
      for (let i = 0; i < 150000; i++) fs.linkSync(d + '/.seed' + (i % 4), d + '/junk' + i + pad);`;
      const made = await asUserRun(NODE, ['-e', fill, dir], { timeoutMs: 120000 });
      assert.equal(made.code, 0, made.stderr);
      const alive = () => !['Z', 'X', undefined].includes(procStatus(pid)?.State?.[0]);
      await waitFor(
        () => /too many names/.test(readJson(stateOf('names'))?.logError ?? '') || !alive(),
        20000,
        "a log error, or the supervisor's end",
      );
      assert.ok(
        alive(),
        `the supervisor ${pid} died (its log: ${readText(log)
          .split('\n')
          .filter((l) => !/^\d+$/.test(l))
          .slice(-3)
          .join(' | ')})`,
      );
      const st = readJson(stateOf('names'));
      assert.match(
        st.logError ?? '',
        /cannot rotate .*app\.log \(too many names: its directory holds more than 100000 names, in a directory owned by uid \d+\): writing goes on/,
        JSON.stringify(st),
      );
      const s = await h.dkT(['status', '--name', 'names']);
      assert.equal(s.code, 0, s.stdout + s.stderr);
      assert.match(s.stdout, /log error: cannot rotate/);
      assert.ok(
        hwm() - before < 16 * 1024,
        `the supervisor's peak memory grew from ${before} kB to ${hwm()} kB`,
      );
      // app.log is missing for an instant while a rotation renames it: "not yet", not a failure.
      const sizeNow = () => {
        try {
          return lstatSync(log).size;
        } catch (error) {
          if (error.code === 'ENOENT') return Number.NaN;
          throw error;
        }
      };
      const size = sizeNow();
      await waitFor(() => sizeNow() > size, 5000, 'writing goes on in the same file');
      const removed = await asUserRun(
        '/usr/bin/find',
        [dir, '-maxdepth', '1', '-name', 'junk*', '-delete'],
        { timeoutMs: 120000 },
      );
      assert.equal(removed.code, 0, removed.stderr);
      await waitJson(stateOf('names'), (x) => !x.logError, 15000);
      await waitFor(() => sizeNow() < 8192, 10000, 'rotation resumed');
      assert.ok(
        readdirSync(dir).filter((n) => /^app\.log\.\d+$/.test(n)).length <= 3,
        'still --log-keep 3',
      );
      assert.equal((await h.dkT(['stop', '--name', 'names'])).code, 0);
      await assertNothingLeft(h);
    }),
  );

  it(
    '--log-compress: a sparse 20G app.log planted by the user is rotated but not gzipped (status says why); later files are',
    guarded(h, async () => {
      const { work } = setup();
      const dir = userDir(work, 'logs');
      const log = join(dir, 'app.log');
      await start('sparse-gz', [
        '--stdout',
        log,
        '--log-max-size',
        '4K',
        '--log-keep',
        '50',
        '--log-compress',
        '--',
        NODE,
        LINES,
        'tick',
        '20',
      ]);
      await waitFor(() => readdirSync(dir).some((n) => n.endsWith('.gz')), 15000, 'a first .gz');
      const r = await asUser(
        'cd "$1" && mv app.log mine && truncate -s 20G .big && mv .big app.log',
        dir,
      );
      assert.equal(r.code, 0, r.stderr);
      const st = await waitJson(
        stateOf('sparse-gz'),
        (x) => /not compressing/.test(x.logError ?? ''),
        20000,
      );
      assert.match(
        st.logError,
        /not compressing app\.log\.1: it holds 2147483648\d bytes, more than twice --log-max-size \(4096\): not a file rotated here, in a directory owned by uid/,
        st.logError,
      );
      const big = readdirSync(dir).find(
        (n) => /^app\.log\.\d+$/.test(n) && lstatSync(join(dir, n)).size >= 20 * 2 ** 30,
      );
      assert.ok(
        big,
        `the planted file stays uncompressed (a newline added: it did not end with one): ${readdirSync(dir).join(' ')}`,
      );
      // The next rotated files are compressed as before.
      const gz = readdirSync(dir).filter((n) => n.endsWith('.gz')).length;
      await waitFor(
        () =>
          readdirSync(dir).filter((n) => n.endsWith('.gz')).length > gz ||
          readdirSync(dir).filter((n) => n.endsWith('.gz')).length >= 49,
        15000,
        'later files compressed',
      );
      assert.equal((await h.dkT(['stop', '--name', 'sparse-gz'])).code, 0);
      await assertNothingLeft(h);
    }),
  );
});

describe("root's `daemonkit logs` on a directory of the service user's", { skip }, () => {
  /** A service whose log is in the user's directory, with lines, stopped: its files stay. */
  async function logged(name, work) {
    const dir = userDir(work, 'logs');
    const log = join(dir, 'app.log');
    await start(name, ['--stdout', log, '--', NODE, LINES, 'tick', '10']);
    await waitFor(() => numbered(readText(log)).length >= 3, 10000, 'lines');
    return { dir, log };
  }

  it(
    'app.log.1 a link to a root-only file: `logs -n 100` and `logs -f` do not print it, and name it once (escaped) on stderr',
    guarded(h, async () => {
      const { work, secret } = setup();
      const { dir } = await logged('reader-link', work);
      assert.equal((await asUser('ln -s "$1" "$2/app.log.1"', secret, dir)).code, 0);
      const r = await h.dkT(['logs', '--name', 'reader-link', '-n', '100']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.doesNotMatch(r.stdout, /ROOT-ONLY-SECRET/);
      assert.ok(numbered(r.stdout).length >= 3, r.stdout);
      assertOneLine(r.stderr, 'skipped', join(dir, 'app.log.1'), 'symbolic link');
      // -f: the same files, then what follows.
      const child = spawn(NODE, [CLI, 'logs', '--name', 'reader-link', '-n', '100', '-f'], {
        env: { ...process.env, ...h.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let [out, err] = ['', ''];
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      try {
        const seen = numbered(out).length;
        await waitFor(() => numbered(out).length > seen + 3, 10000, 'followed lines');
      } finally {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('close', resolve));
      }
      assert.doesNotMatch(out, /ROOT-ONLY-SECRET/);
      assertOneLine(err, 'skipped', 'symbolic link');
      assert.equal((await h.dkT(['stop', '--name', 'reader-link'])).code, 0);
      await assertNothingLeft(h);
    }),
  );

  it(
    'app.log.1 a sparse file of 4 TB: `logs -n 5` answers (the file skipped and named), it does not read terabytes of zeros',
    guarded(h, async () => {
      const { work } = setup();
      const { dir } = await logged('reader-sparse', work);
      assert.equal((await h.dkT(['stop', '--name', 'reader-sparse'])).code, 0);
      assert.equal(
        (await asUser('echo first > "$1/app.log.2" && truncate -s 4T "$1/app.log.1"', dir)).code,
        0,
      );
      const r = await h.dkT(['logs', '--name', 'reader-sparse', '-n', '100000']);
      assert.equal(r.code, 0, r.stdout.slice(0, 300) + r.stderr);
      assert.ok(r.stdout.length < 1 << 20, `printed ${r.stdout.length} bytes`);
      assert.match(r.stdout, /^first\n/, 'the files older than the skipped one are still read');
      assertOneLine(r.stderr, 'skipped', join(dir, 'app.log.1'), 'holes');
      await assertNothingLeft(h);
    }),
  );
});
