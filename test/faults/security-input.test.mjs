// Fault suite: the service user attacks what root reads and locks for it (issue 13 follow-up,
// findings 1, 3, 4, 5). As root, with files in a directory owned by the service user, the user —
// acting through setpriv — swaps its --stdin or --env-file for a link to a root-only file, a FIFO
// or /dev/zero, redirects the pidfile's directory, or takes a read lock on a lock file. Root must
// never hand it a root-only file, hang, or act in a directory the user chose.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { CLI, NODE, isAlive, procStatus, readText, startedPids, waitFor } from '../helpers.mjs';
import { USER } from '../service-user.mjs';
import {
  SETPRIV,
  asUserSh,
  assertNothingLeft,
  assertOneLine,
  faultHome,
  guarded,
  rootOnlyFile,
  runT,
  serviceUser,
  snapshot,
  userDir,
} from './helpers.mjs';

const PYTHON = ['/usr/bin/python3', '/bin/python3'].find((p) => existsSync(p));

const { u, skip } = serviceUser();

const h = faultHome();
const lockers = new Set();
after(async () => {
  // through the ChildProcess: never a recycled pid
  for (const child of lockers) child.kill('SIGKILL');
  await h.cleanup();
});

/** The CLI with a time limit, run as its bin runs it (`node --`: Node 20 would otherwise read an
 *  --env-file in its argv itself, as root, before daemonkit sees it). */
const dk = (args, opts = {}) =>
  runT(NODE, ['--', CLI, ...args], { ...opts, env: { ...h.env, ...(opts.env ?? {}) } });

const SECRET = 'ROOT-ONLY-SECRET-7f3a';
const asU = [SETPRIV, '--reuid', String(u?.uid), '--regid', String(u?.gid), '--clear-groups'];

/** The service user runs a shell script (args as $1, $2, …). */
const asUser = (script, ...args) => asUserSh(u, script, ...args);

/** Root's scratch directory (0755) with a root-only file in a root-only directory, and a
 *  directory of the service user's in it. */
function setup() {
  const work = h.work();
  return { work, secret: rootOnlyFile(work, `DB_PASSWORD=${SECRET}\n`), ud: userDir(u, work, 'u') };
}

/** A file of the service user's with this text. */
function userFile(path, text) {
  writeFileSync(path, text);
  chownSync(path, u.uid, u.gid);
  return path;
}

/** Every got.* file the COMMAND wrote, as one text. */
const gotText = (dir) =>
  readdirSync(dir)
    .filter((f) => f.startsWith('got.'))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('');

describe("--stdin in a directory of the service user's (finding 1)", { skip }, () => {
  it(
    'swapped for a link to a root-only file between restarts: the restarted COMMAND never reads it, the log says why, and the service restarts on',
    guarded(h, async () => {
      const { work, secret, ud } = setup();
      const input = userFile(join(ud, 'input'), 'hello\n');
      const script = userFile(
        join(ud, 'app.sh'),
        `#!/bin/sh\ncat > "${ud}/got.$$"\nsleep 0.2\nexit 1\n`,
      );
      chmodSync(script, 0o755);
      const log = join(work, 'app.log');
      const r = await dk([
        'start',
        '--name',
        'stdin-swap',
        '--user',
        USER,
        '--stdin',
        input,
        '--stdout',
        log,
        '--restart',
        'always',
        '--restart-delay',
        '100ms',
        '--grace',
        '0',
        '--',
        script,
      ]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      await waitFor(() => gotText(ud).includes('hello'), 10000, 'the first COMMAND read its input');
      assert.equal(
        (await asUser('ln -s "$1" "$2/.x" && mv -T "$2/.x" "$2/input"', secret, ud)).code,
        0,
      );
      const refused =
        /cannot use --stdin .*input: it is a symbolic link in .*, which is owned by uid \d+: refusing to follow it/;
      // The old code's way out: a COMMAND that read the secret.
      await waitFor(
        () => refused.test(readText(log) ?? '') || gotText(ud).includes(SECRET),
        15000,
        'a refusal in the log',
      );
      assert.equal(
        gotText(ud).includes(SECRET),
        false,
        'a COMMAND of the service user read the root-only file',
      );
      // The supervisor goes on: once the user puts a plain file back, its COMMAND reads it.
      assert.equal((await asUser('rm "$1/input" && echo again > "$1/input"', ud)).code, 0);
      await waitFor(() => gotText(ud).includes('again'), 15000, 'a COMMAND reading the new input');
      assert.equal(gotText(ud).includes(SECRET), false);
      assert.equal((await dk(['stop', '--name', 'stdin-swap'])).code, 0);
      await assertNothingLeft(h);
    }),
  );

  it(
    'start refuses a link or a FIFO there at once: exit 4, one line naming it, nothing started',
    guarded(h, async () => {
      const { secret, ud } = setup();
      const link = join(ud, 'link');
      const fifo = join(ud, 'fifo');
      assert.equal((await asUser('ln -s "$1" "$2" && mkfifo "$3"', secret, link, fifo)).code, 0);
      for (const [path, why] of [
        [link, 'symbolic link'],
        [fifo, 'not a regular file'],
      ]) {
        const r = await dk([
          'start',
          '--name',
          'stdin-bad',
          '--user',
          USER,
          '--stdin',
          path,
          '--grace',
          '0',
          '--',
          '/bin/cat',
        ]);
        assert.equal(r.timedOut, false, 'start hung');
        assert.equal(r.code, 4, r.stdout + r.stderr);
        assertOneLine(r.stderr, `--stdin ${path}`, why);
      }
      await assertNothingLeft(h);
    }),
  );
});

describe("--env-file in a directory of the service user's (finding 3)", { skip }, () => {
  it(
    'a link to a root-only file, a FIFO, a link to /dev/zero: start exits 4 at once naming it; the root-only values reach nobody',
    guarded(h, async () => {
      const { work, secret, ud } = setup();
      const log = join(work, 'env.log');
      const cases = [
        ['link', 'ln -s "$1" "$2"', 'symbolic link'],
        ['fifo', 'mkfifo "$2"', 'not a regular file'],
        ['zero', 'ln -s /dev/zero "$2"', 'symbolic link'],
      ];
      for (const [name, make, why] of cases) {
        const env = join(ud, `${name}.env`);
        assert.equal((await asUser(make, secret, env)).code, 0);
        const r = await dk(
          [
            'start',
            '--name',
            `env-${name}`,
            '--user',
            USER,
            '--env-file',
            env,
            '--stdout',
            log,
            '--grace',
            '0',
            '--',
            '/bin/sh',
            '-c',
            'env; exec sleep 100',
          ],
          { timeoutMs: 15000 },
        );
        assert.equal(r.timedOut, false, `start with a ${name} as its env file hung`);
        assert.equal(r.code, 4, r.stdout + r.stderr);
        assertOneLine(r.stderr, `--env-file ${env}`, why);
      }
      assert.equal((readText(log) ?? '').includes(SECRET), false);
      await assertNothingLeft(h);
    }),
  );

  it(
    'swapped for a link after start: restart exits 4 naming it, the service runs on untouched, its COMMAND never sees the values',
    guarded(h, async () => {
      const { work, secret, ud } = setup();
      const env = userFile(join(ud, '.env'), 'A=1\n');
      const log = join(work, 'env.log');
      const r = await dk([
        'start',
        '--name',
        'env-swap',
        '--user',
        USER,
        '--env-file',
        env,
        '--stdout',
        log,
        '--grace',
        '0',
        '--',
        '/bin/sh',
        '-c',
        'env | grep -E "^(A|DB_PASSWORD)="; exec sleep 100',
      ]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const { childPid } = startedPids(r.stdout);
      assert.equal((await asUser('ln -s "$1" "$2.x" && mv -T "$2.x" "$2"', secret, env)).code, 0);
      const re = await dk(['restart', '--name', 'env-swap']);
      assert.equal(re.code, 4, re.stdout + re.stderr);
      assertOneLine(re.stderr, `--env-file ${env}`, 'symbolic link');
      assert.equal(
        isAlive(childPid),
        true,
        'the COMMAND was stopped by a restart that could not start',
      );
      assert.equal((readText(log) ?? '').includes(SECRET), false);
      assert.equal((await dk(['stop', '--name', 'env-swap'])).code, 0);
      await assertNothingLeft(h);
    }),
  );

  it(
    "a file over 1 MiB, even of root's: exit 2 naming it and the bound",
    guarded(h, async () => {
      const { work } = setup();
      const big = join(work, 'big.env');
      writeFileSync(big, `A=${'x'.repeat(1 << 20)}\n`);
      const r = await dk([
        'start',
        '--name',
        'env-big',
        '--env-file',
        big,
        '--grace',
        '0',
        '--',
        '/bin/true',
      ]);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assertOneLine(r.stderr, `--env-file ${big}`, 'larger than 1 MiB');
    }),
  );
});

describe('the directories above --pidfile (finding 4)', { skip }, () => {
  it(
    'the user swaps its pidfile directory for a link to a root-only one: start and stop exit 4 naming it, the root directory is untouched',
    guarded(h, async () => {
      const { work, ud } = setup();
      const target = join(work, 'target');
      mkdirSync(target, { mode: 0o700 });
      writeFileSync(join(target, 'app.pid'), 'IMPORTANT\n', { mode: 0o600 });
      const before = snapshot(target);
      assert.equal(
        (
          await asUser(
            'mkdir "$1/run" && mv "$1/run" "$1/run.old" && ln -s "$2" "$1/run"',
            ud,
            target,
          )
        ).code,
        0,
      );
      const pidfile = join(ud, 'run', 'app.pid');
      for (const args of [
        ['start', '--user', USER, '--grace', '0', '--', '/bin/sleep', '100'],
        ['stop'],
      ]) {
        const r = await dk([args[0], '--pidfile', pidfile, ...args.slice(1)]);
        assert.equal(r.code, 4, `${args[0]}: ${r.stdout}${r.stderr}`);
        assertOneLine(
          r.stderr,
          `insecure permissions on ${ud}, above the pidfile ${pidfile}: owned by uid ${u.uid}`,
        );
      }
      assert.deepEqual(snapshot(target), before, "root's directory changed");
      await assertNothingLeft(h);
    }),
  );

  it(
    "a pidfile directly in the user's directory (it could move root's lock file away): start exits 4 naming the directory",
    guarded(h, async () => {
      const { ud } = setup();
      const pidfile = join(ud, 'app.pid');
      const r = await dk([
        'start',
        '--pidfile',
        pidfile,
        '--user',
        USER,
        '--grace',
        '0',
        '--',
        '/bin/sleep',
        '100',
      ]);
      assert.equal(r.code, 4, r.stdout + r.stderr);
      assertOneLine(r.stderr, `pidfile directory ${ud} is owned by uid ${u.uid}`);
      assert.deepEqual(readdirSync(ud), []);
      await assertNothingLeft(h);
    }),
  );
});

/** As the service user: open `path` read-only, take an OFD read lock, exec a long sleep keeping it.
 *  Resolves with the pid once the kernel lists the lock; rejects when the user cannot open it. */
async function readLockAsUser(path) {
  const py = `
import fcntl, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.fcntl(fd, 37, struct.pack("hhqqi4x", fcntl.F_RDLCK, 0, 0, 0, 0))  # F_OFD_SETLK
os.set_inheritable(fd, True)
os.execv("/bin/sleep", ["sleep", "1000"])
`;
  const child = spawn(asU[0], [...asU.slice(1), PYTHON, '-c', py, path], { stdio: 'ignore' });
  lockers.add(child);
  let exited = false;
  child.on('exit', () => (exited = true));
  const locked = () =>
    readdirSync(`/proc/${child.pid}/fdinfo`).some((fd) =>
      /^lock:.*\bREAD\b/m.test(readFileSync(`/proc/${child.pid}/fdinfo/${fd}`, 'utf8')),
    );
  await waitFor(
    () => {
      if (exited) throw new Error(`the service user could not lock ${path}`);
      try {
        return procStatus(child.pid)?.Name === 'sleep' && locked();
      } catch {
        return false;
      }
    },
    10000,
    `a read lock on ${path}`,
  );
  return child.pid;
}

describe("read locks of the service user on root's lock files (finding 5)", {
  skip: skip || (!PYTHON && 'needs python3'),
}, () => {
  it(
    'pid.lock and restart.lock are 0600: the user cannot open them to lock them, and its status of the service still says running (through /proc/locks)',
    guarded(h, async () => {
      const r = await dk([
        'start',
        '--name',
        'locks',
        '--user',
        USER,
        '--grace',
        '0',
        '--',
        '/bin/sleep',
        '100',
      ]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal((await dk(['restart', '--name', 'locks'])).code, 0);
      const dir = h.dir('locks');
      for (const f of ['pid.lock', 'restart.lock']) {
        assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
        await assert.rejects(
          readLockAsUser(join(dir, f)),
          /could not lock/,
          `the service user locked ${f}`,
        );
      }
      const status = await runT(asU[0], [...asU.slice(1), NODE, CLI, 'status', '--name', 'locks'], {
        env: h.env,
      });
      assert.equal(status.code, 0, status.stdout + status.stderr);
      assert.match(status.stdout, /locks: running/);
      assert.equal((await dk(['stop', '--name', 'locks'])).code, 0);
      const gone = await runT(asU[0], [...asU.slice(1), NODE, CLI, 'status', '--name', 'locks'], {
        env: h.env,
      });
      assert.equal(gone.code, 3, gone.stdout + gone.stderr);
      await assertNothingLeft(h);
    }),
  );

  it(
    'a restart.lock left 0644 (by an older daemonkit) and read-locked by the user: restart exits 4 at once naming the holder, instead of waiting forever',
    guarded(h, async () => {
      const r = await dk([
        'start',
        '--name',
        'rlock',
        '--user',
        USER,
        '--grace',
        '0',
        '--',
        '/bin/sleep',
        '100',
      ]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const lock = join(h.dir('rlock'), 'restart.lock');
      writeFileSync(lock, '', { mode: 0o644 });
      chmodSync(lock, 0o644);
      const holder = await readLockAsUser(lock);
      const re = await dk(['restart', '--name', 'rlock'], { timeoutMs: 15000 });
      assert.equal(re.timedOut, false, "restart waited on the user's read lock");
      assert.equal(re.code, 4, re.stdout + re.stderr);
      assertOneLine(re.stderr, `lock file ${lock} is held by pid ${holder}`, `uid ${u.uid}`);
      assert.equal(statSync(lock).mode & 0o777, 0o600, 'closed to others from now on');
      assert.equal(
        (await dk(['status', '--name', 'rlock'])).code,
        0,
        'the service was not touched',
      );
      assert.equal((await dk(['stop', '--name', 'rlock'])).code, 0);
      await assertNothingLeft(h);
    }),
  );
});
