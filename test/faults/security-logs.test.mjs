// Fault suite: the service user attacks root's log writing (issue 13, point 3). As root, with a
// log directory owned by the service user (systemd's LogsDirectory=), the user — acting through
// setpriv — swaps the log for a symbolic link or a hard link to a root-only file, or plants a
// link at the compressor's temporary name; root's file must come out unchanged after rotation,
// `reopen` and compression. A directory above the log directory that the user could redirect is
// refused at start (exit 4, one line), and reported in status when it becomes so later.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { NODE, ROOT, readJson, readText, startedPids, waitFor } from '../helpers.mjs';
import { USER } from '../service-user.mjs';
import {
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

const { u, skip } = serviceUser();

const h = faultHome();
after(() => h.cleanup());

/** The service user runs a shell script (args as $1, $2, …). */
const asUser = (script, ...args) => asUserSh(u, script, ...args);

/** A scratch directory (root's, 0755) with a root-only file in a root-only directory. */
function setup() {
  const work = h.work();
  return {
    work,
    secret: rootOnlyFile(work, 'root only: the service user must never change this\n'),
  };
}

/** A directory the service user owns, 0755, in `parent`. */
const userDir = (parent, name) => userDirOf(u, parent, name);

const numbered = (text) => text.split('\n').filter((l) => /^\d+$/.test(l));
const stateOf = (name) => join(h.dir(name), 'state.json');

async function start(name, args) {
  const r = await h.dkT(['start', '--name', name, '--grace', '0', '--user', USER, ...args]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return startedPids(r.stdout);
}

/** Wait until the supervisor has said a log error matching `pattern`, or `secret` changed
 *  (the old code's way out: then the caller's check of the secret says what happened). */
async function errorOrHarm(name, pattern, secret, before) {
  await waitFor(
    () =>
      pattern.test(readJson(stateOf(name))?.logError ?? '') ||
      JSON.stringify(fingerprint(secret)) !== JSON.stringify(before),
    15000,
    `a log error matching ${pattern}`,
  );
}

/** lstat that takes a name missing for a moment (a rotation renames app.log before it makes the
 *  new one) as not there yet. */
function lstatNow(path) {
  try {
    return lstatSync(path);
  } catch (error) {
    if (error.code === 'ENOENT') return null;
    throw error;
  }
}
const sizeOf = (path) => lstatNow(path)?.size ?? 0;
const isFileNow = (path) => lstatNow(path)?.isFile() ?? false;

describe("a log directory of the service user's: root writes nothing outside it", { skip }, () => {
  it(
    'the user swaps app.log for a symbolic link to a root-only file: the rotation that follows does not follow it (status says why), the file is unchanged; once the link is gone the log is made again by itself',
    guarded(h, async () => {
      const { work, secret } = setup();
      const dir = userDir(work, 'logs');
      const log = join(dir, 'app.log');
      const before = fingerprint(secret);
      await start('sym-rotate', [
        '--stdout',
        log,
        '--log-max-size',
        '4K',
        '--',
        NODE,
        LINES,
        'tick',
        '1',
      ]);
      await waitFor(() => sizeOf(log) > 0, 10000, 'first lines');
      const r = await asUser('ln -s "$1" "$2/.x" && mv -T "$2/.x" "$2/app.log"', secret, dir);
      assert.equal(r.code, 0, r.stderr);
      await errorOrHarm('sym-rotate', /symbolic link/, secret, before);
      assert.deepEqual(
        fingerprint(secret),
        before,
        'the root-only file is unchanged after the rotation',
      );
      const s = await h.dkT(['status', '--name', 'sym-rotate']);
      assert.match(
        s.stdout,
        /log error: cannot open .*app\.log: it is a symbolic link, in a directory owned by uid/,
        s.stdout,
      );
      const re = await h.dkT(['reopen', '--name', 'sym-rotate']);
      assert.equal(re.code, 1, re.stdout + re.stderr);
      assertOneLine(re.stderr, log, 'symbolic link');
      assert.deepEqual(fingerprint(secret), before, 'the root-only file is unchanged after reopen');
      assert.equal((await asUser('rm "$1"', log)).code, 0);
      await waitFor(
        () => isFileNow(log) && numbered(readText(log)).length > 0,
        10000,
        'the log made again',
      );
      await waitJson(stateOf('sym-rotate'), (x) => !x.logError, 10000);
      assert.equal((await h.dkT(['stop', '--name', 'sym-rotate'])).code, 0);
      assert.deepEqual(fingerprint(secret), before);
      await assertNothingLeft(h);
    }),
  );

  it(
    "the user swaps app.log for a symbolic link to a root-only file: `daemonkit reopen` (logrotate's postrotate) refuses it, exit 1 and one line; the file is unchanged",
    guarded(h, async () => {
      const { work, secret } = setup();
      const dir = userDir(work, 'logs');
      const log = join(dir, 'app.log');
      const before = fingerprint(secret);
      await start('sym-reopen', ['--stdout', log, '--', NODE, LINES, 'tick', '5']);
      await waitFor(() => sizeOf(log) > 0, 10000, 'first lines');
      assert.equal(
        (await asUser('mv "$2/app.log" "$2/app.log.old" && ln -s "$1" "$2/app.log"', secret, dir))
          .code,
        0,
      );
      const re = await h.dkT(['reopen', '--name', 'sym-reopen']);
      await new Promise((resolve) => setTimeout(resolve, 300)); // the COMMAND writes on meanwhile
      assert.deepEqual(fingerprint(secret), before, 'the root-only file is unchanged after reopen');
      assert.equal(re.code, 1, re.stdout + re.stderr);
      assertOneLine(re.stderr, log, 'symbolic link');
      assert.equal((await h.dkT(['stop', '--name', 'sym-reopen'])).code, 0);
      assert.deepEqual(fingerprint(secret), before);
      await assertNothingLeft(h);
    }),
  );

  it(
    'app.log swapped for a hard link to a root-only file (made by root where protected_hardlinks forbids the user: it stands for a kernel without it): neither the rotation nor reopen writes into it',
    guarded(h, async () => {
      const { work, secret } = setup();
      const dir = userDir(work, 'logs');
      const log = join(dir, 'app.log');
      const before = fingerprint(secret);
      await start('hard', [
        '--stdout',
        log,
        '--log-max-size',
        '4K',
        '--',
        NODE,
        LINES,
        'tick',
        '1',
      ]);
      await waitFor(() => sizeOf(log) > 0, 10000, 'first lines');
      const protectedLinks =
        readFileSync('/proc/sys/fs/protected_hardlinks', 'utf8').trim() !== '0';
      const byUser = await asUser('ln "$1" "$2/.hl"', secret, dir);
      if (protectedLinks) {
        // fs.protected_hardlinks = 1: the kernel refuses the user a link to a file it cannot
        // read and write. Root makes it instead, as the user could where the setting is 0.
        assert.notEqual(byUser.code, 0, 'protected_hardlinks lets the user link a root-only file');
        linkSync(secret, join(dir, '.hl'));
      } else assert.equal(byUser.code, 0, byUser.stderr);
      assert.equal((await asUser('mv -T "$1/.hl" "$1/app.log"', dir)).code, 0);
      await errorOrHarm('hard', /hard links/, secret, before);
      assert.deepEqual(
        fingerprint(secret),
        before,
        'the root-only file is unchanged after the rotation',
      );
      const re = await h.dkT(['reopen', '--name', 'hard']);
      assert.equal(re.code, 1, re.stdout + re.stderr);
      assertOneLine(re.stderr, log, 'hard links');
      assert.deepEqual(fingerprint(secret), before, 'the root-only file is unchanged after reopen');
      assert.equal((await h.dkT(['stop', '--name', 'hard'])).code, 0);
      assert.deepEqual(fingerprint(secret), before);
      await assertNothingLeft(h);
    }),
  );

  it(
    '--log-compress: a symbolic link planted at .app.log.gz.tmp, pointing at a root-owned 0600 file, leaves that file intact; the .gz files are real, every line in them once and in order',
    guarded(h, async () => {
      const { work, secret } = setup();
      const dir = userDir(work, 'logs');
      const log = join(dir, 'app.log');
      const before = fingerprint(secret);
      const { childPid } = await start('gz', [
        '--stdout',
        log,
        '--log-max-size',
        '4K',
        '--log-keep',
        '20',
        '--log-compress',
        '--',
        NODE,
        LINES,
        'paced',
        '2000',
        '20000',
      ]);
      // "ready" in the log: the supervisor has its file open (and cleared a stale temporary name).
      await waitFor(() => existsSync(log) && readText(log).includes('ready'), 10000, 'ready');
      assert.equal((await asUser('ln -s "$1" "$2/.app.log.gz.tmp"', secret, dir)).code, 0);
      process.kill(childPid, 'SIGUSR2');
      const done = () => {
        const names = readdirSync(dir);
        return (
          readText(log).includes('001999') &&
          names.some((n) => n.endsWith('.gz')) &&
          !names.some((n) => /^app\.log\.\d+$/.test(n) || n.endsWith('.tmp'))
        );
      };
      await waitFor(
        () => done() || JSON.stringify(fingerprint(secret)) !== JSON.stringify(before),
        30000,
        'every rotated file compressed',
      );
      assert.deepEqual(fingerprint(secret), before, 'the root-only file is unchanged');
      const gz = readdirSync(dir)
        .filter((n) => /^app\.log\.\d+\.gz$/.test(n))
        .sort((a, b) => Number(b.split('.')[2]) - Number(a.split('.')[2]));
      for (const n of gz) assert.ok(lstatSync(join(dir, n)).isFile(), `${n} is a file of its own`);
      const lines = numbered(
        [...gz.map((n) => gunzipSync(readFileSync(join(dir, n))).toString()), readText(log)].join(
          '',
        ),
      );
      assert.deepEqual(
        lines.map(Number),
        Array.from({ length: 2000 }, (_, i) => i),
      );
      assert.equal((await h.dkT(['stop', '--name', 'gz'])).code, 0);
      await assertNothingLeft(h);
    }),
  );
});

describe('a directory above the log directory that another user could redirect', { skip }, () => {
  const cases = [
    [
      "--stdout below a directory of the service user's",
      (work) => {
        const parent = userDir(work, 'home');
        return {
          args: ['--stdout', join(parent, 'logs', 'app.log')],
          at: parent,
          made: join(parent, 'logs'),
        };
      },
    ],
    [
      "--stderr below a directory of the service user's",
      (work) => {
        const parent = userDir(work, 'home');
        return {
          args: ['--stderr', join(parent, 'logs', 'err.log')],
          at: parent,
          made: join(parent, 'logs'),
        };
      },
    ],
    [
      "--stdout in a log directory of the user's inside a sticky world-writable one (it may rename its own entry)",
      (work) => {
        const sticky = join(work, 'sticky');
        mkdirSync(sticky);
        chmodSync(sticky, 0o1777);
        const dir = userDir(sticky, 'logs');
        return { args: ['--stdout', join(dir, 'app.log')], at: sticky, made: join(dir, 'app.log') };
      },
    ],
    [
      "--stdout below a group-writable directory of a group that is not root's",
      (work) => {
        const shared = join(work, 'shared');
        mkdirSync(shared);
        chownSync(shared, 0, u.gid);
        chmodSync(shared, 0o775);
        return {
          args: ['--stdout', join(shared, 'logs', 'app.log')],
          at: shared,
          made: join(shared, 'logs'),
        };
      },
    ],
  ];
  for (const [what, make] of cases) {
    it(
      `${what}: start exits 4 with one line naming that directory; nothing started or created`,
      guarded(h, async () => {
        const { work } = setup();
        const { args, at, made } = make(work);
        const r = await h.dkT([
          'start',
          '--name',
          'insecure',
          '--user',
          USER,
          ...args,
          '--',
          'sleep',
          '30',
        ]);
        assert.equal(r.code, 4, r.stdout + r.stderr);
        assertOneLine(r.stderr, at, 'insecure permissions');
        assert.ok(!existsSync(made), `${made} was not made`);
        await assertNothingLeft(h);
      }),
    );
  }

  it(
    "a sticky world-writable directory above a log directory of root's is fine (the sticky bit keeps others off root's entry)",
    guarded(h, async () => {
      const { work } = setup();
      const sticky = join(work, 'sticky');
      mkdirSync(sticky);
      chmodSync(sticky, 0o1777);
      const log = join(sticky, 'logs', 'app.log');
      await start('sticky-ok', ['--stdout', log, '--', NODE, LINES, 'tick', '5']);
      await waitFor(() => existsSync(log) && numbered(readText(log)).length > 0, 10000, 'lines');
      assert.equal((await h.dkT(['stop', '--name', 'sticky-ok'])).code, 0);
      await assertNothingLeft(h);
    }),
  );

  it(
    'the parent of the log directory is given to the user while the service runs: the next rotation says so in status (writing goes on, through the directory fd), `reopen` refuses with exit 1 naming it; given back to root, writing resumes and the error clears',
    guarded(h, async () => {
      const { work } = setup();
      const parent = join(work, 'parent');
      mkdirSync(parent, { mode: 0o755 });
      const dir = userDir(parent, 'logs');
      const log = join(dir, 'app.log');
      await start('later', [
        '--stdout',
        log,
        '--log-max-size',
        '4K',
        '--',
        NODE,
        LINES,
        'tick',
        '1',
      ]);
      await waitFor(() => existsSync(`${log}.1`), 10000, 'a first rotation');
      chownSync(parent, u.uid, u.gid);
      try {
        const st = await waitJson(
          stateOf('later'),
          (x) => /insecure permissions/.test(x.logError ?? ''),
          10000,
        );
        assert.ok(st.logError.includes(parent), st.logError);
        const s = await h.dkT(['status', '--name', 'later']);
        assert.match(s.stdout, /log error: insecure permissions on /, s.stdout);
        const re = await h.dkT(['reopen', '--name', 'later']);
        assert.equal(re.code, 1, re.stdout + re.stderr);
        assertOneLine(re.stderr, parent, 'insecure permissions');
      } finally {
        chownSync(parent, 0, 0);
      }
      await waitJson(stateOf('later'), (x) => !x.logError, 10000);
      // A rotation renames app.log away before it makes the new one: for that moment there is none
      // (a rotation is itself writing going on).
      const size = lstatNow(log)?.size ?? null;
      await waitFor(() => size === null || lstatNow(log)?.size !== size, 5000, 'writing resumed');
      assert.equal((await h.dkT(['stop', '--name', 'later'])).code, 0);
      await assertNothingLeft(h);
    }),
  );
});
