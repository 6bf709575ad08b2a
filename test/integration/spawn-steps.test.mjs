// A forked child that fails before exec names its step and value (native/spawn.c reports each
// step by name and errno; src/errors/errors.ts maps it): an unprivileged --nice or --limit is exit 4
// naming the option, not "cannot execute" (exit 5). Run as the test user daemonkit-test (root
// makes it act as that user through setpriv), for both `start` and `run`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, NODE, run } from '../helpers.mjs';
import { USER, userOrSkip } from '../service-user.mjs';

const { u, skip } = userOrSkip(
  process.geteuid() !== 0 && 'needs root (to act as the test user through setpriv)',
);

/** The hard limit on open files we (and so the test user, through setpriv) have now. */
function hardNofile() {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  return Number(line.trim().split(/\s+/)[4]);
}
const nrOpen = () => Number(readFileSync('/proc/sys/fs/nr_open', 'utf8').trim());

let home;
before(() => {
  if (skip) return;
  home = mkdtempSync(join(tmpdir(), 'dk-steps-'));
  chmodSync(home, 0o755);
  chownSync(home, u.uid, u.gid); // the user's own DAEMONKIT_HOME
});
after(() => {
  if (home) rmSync(home, { recursive: true, force: true });
});

const asUser = (args) =>
  run(
    'setpriv',
    [`--reuid=${u.uid}`, `--regid=${u.gid}`, '--clear-groups', NODE, '--', CLI, ...args],
    { env: { DAEMONKIT_HOME: home } },
  );
const oneLine = (r) =>
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line:\n${r.stderr}`);

/** Nothing was left behind: no pidfile, nothing running (status: never started, or the failed
 *  run). */
async function nothingLeft(name) {
  assert.equal(existsSync(join(home, name, 'pid')), false, 'no pidfile');
  const s = await asUser(['status', '--name', name]);
  assert.notEqual(s.code, 0, `${s.stdout}${s.stderr}`);
}

let n = 0;
for (const verb of ['start', 'run']) {
  describe(`${verb} as an unprivileged user: a step before exec fails`, { skip }, () => {
    it('--nice -5: exit 4, naming --nice and its value and what it needs', async () => {
      const name = `nice${++n}`;
      const r = await asUser([
        verb,
        '--name',
        name,
        '--grace',
        '0',
        '--nice',
        '-5',
        '--',
        '/bin/sleep',
        '100',
      ]);
      assert.equal(r.code, 4, r.stderr);
      assert.equal(
        r.stderr,
        'daemonkit: cannot set --nice -5: permission denied (needs root or CAP_SYS_NICE)\n',
      );
      await nothingLeft(name);
    });

    it('--limit above the hard limit: exit 4, naming the --limit that failed (not the one before it)', async (t) => {
      const hard = hardNofile();
      if (!(hard < nrOpen())) return t.skip("the hard nofile limit is already the system's most");
      const name = `limit${++n}`;
      const r = await asUser([
        verb,
        '--name',
        name,
        '--grace',
        '0',
        '--limit',
        'core=0',
        '--limit',
        `nofile=${hard + 1}`,
        '--',
        '/bin/sleep',
        '100',
      ]);
      assert.equal(r.code, 4, r.stderr);
      assert.equal(
        r.stderr,
        `daemonkit: cannot set --limit nofile=${hard + 1}: permission denied (raising a hard limit needs root or CAP_SYS_RESOURCE)\n`,
      );
      await nothingLeft(name);
    });

    it('--limit nofile=99999999 (above fs.nr_open, refused even to root): exit 2, saying the most', async () => {
      const name = `nropen${++n}`;
      const r = await asUser([
        verb,
        '--name',
        name,
        '--grace',
        '0',
        '--limit',
        'nofile=99999999',
        '--',
        '/bin/sleep',
        '100',
      ]);
      assert.equal(r.code, 2, r.stderr);
      oneLine(r);
      assert.match(
        r.stderr,
        new RegExp(
          `^daemonkit: cannot set --limit nofile=99999999: above the system's most, ${nrOpen()} \\(/proc/sys/fs/nr_open\\)\\n$`,
        ),
      );
      await nothingLeft(name);
    });

    it('--chdir a directory the user may not enter: exit 4, naming the directory (chdir)', async () => {
      const name = `chdir${++n}`;
      const r = await asUser([
        verb,
        '--name',
        name,
        '--grace',
        '0',
        '--chdir',
        '/root',
        '--',
        '/bin/sleep',
        '100',
      ]);
      assert.equal(r.code, 4, r.stderr);
      assert.equal(r.stderr, 'daemonkit: cannot enter --chdir /root: permission denied\n');
      await nothingLeft(name);
    });

    it('an exec failure keeps its code: a file that is not executable is exit 5', async () => {
      const name = `exec${++n}`;
      const r = await asUser([verb, '--name', name, '--grace', '0', '--', '/etc/hostname']);
      assert.equal(r.code, 5, r.stderr);
      oneLine(r);
    });
  });
}

const hasCap = (bit) =>
  (BigInt(`0x${readFileSync('/proc/self/status', 'utf8').match(/^CapEff:\s*([0-9a-f]+)/m)[1]}`) >>
    BigInt(bit)) &
  1n;
const CAP_SYS_NICE = 23;

describe('root', { skip }, () => {
  let rootHome;
  before(() => (rootHome = mkdtempSync(join(tmpdir(), 'dk-steps-root-'))));
  after(() => rmSync(rootHome, { recursive: true, force: true }));

  it('run --nice -5 --limit nofile=N: the COMMAND gets them', {
    skip: !hasCap(CAP_SYS_NICE) && 'this root lacks CAP_SYS_NICE',
  }, async () => {
    const hard = hardNofile() - 1; // lowering needs no privilege (raising needs CAP_SYS_RESOURCE, which a container's root may lack)
    const r = await run(
      NODE,
      [
        '--',
        CLI,
        'run',
        '--name',
        'root-ok',
        '--grace',
        '0',
        '--nice',
        '-5',
        '--limit',
        `nofile=${hard}`,
        '--',
        '/bin/sh',
        '-c',
        'echo "$(ulimit -Hn) $(cut -d" " -f19 /proc/self/stat)"',
      ],
      { env: { DAEMONKIT_HOME: rootHome } },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${hard} -5\n`);
  });

  // --user switches in the child: setgroups and setgid need CAP_SETGID, setuid CAP_SETUID.
  for (const verb of ['run', 'start']) {
    for (const [cap, step] of [
      ['setgid', 'setgroups'],
      ['setuid', 'setuid'],
    ]) {
      it(`${verb} --user as a root without CAP_${cap.toUpperCase()}: exit 4, naming the step (${step}), the user and the capability`, async () => {
        const name = `root-no${cap}-${verb}`;
        const r = await run(
          'setpriv',
          [
            '--bounding-set',
            `-${cap}`,
            '--inh-caps',
            `-${cap}`,
            NODE,
            '--',
            CLI,
            verb,
            '--name',
            name,
            '--grace',
            '0',
            '--user',
            USER,
            '--',
            '/bin/sleep',
            '100',
          ],
          { env: { DAEMONKIT_HOME: rootHome } },
        );
        assert.equal(r.code, 4, r.stderr);
        assert.equal(
          r.stderr,
          `daemonkit: cannot run /bin/sleep as user ${USER}: ${step}: permission denied (needs CAP_${cap.toUpperCase()}, which this root process lacks)\n`,
        );
        assert.equal(existsSync(join(rootHome, name, 'pid')), false, 'no pidfile');
      });
    }
  }

  it("a root without CAP_SYS_NICE (a container's): --nice -5 is exit 4, saying the capability is missing", async () => {
    const r = await run(
      'setpriv',
      [
        '--bounding-set',
        '-sys_nice',
        '--inh-caps',
        '-sys_nice',
        NODE,
        '--',
        CLI,
        'run',
        '--name',
        'root-nocap',
        '--grace',
        '0',
        '--nice',
        '-5',
        '--',
        '/bin/true',
      ],
      { env: { DAEMONKIT_HOME: rootHome } },
    );
    assert.equal(r.code, 4, r.stderr);
    assert.equal(
      r.stderr,
      'daemonkit: cannot set --nice -5: permission denied (needs CAP_SYS_NICE, which this root process lacks)\n',
    );
  });
});
