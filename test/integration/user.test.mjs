// --user / --group: the COMMAND drops to a service user (initgroups semantics), the supervisor
// stays root, and the files the service keeps stay root's. Run as root, with the test user that
// .ci/run creates (daemonkit-test, also in the group daemonkit-test-extra); skipped otherwise.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  Daemon,
  Problems,
  buildCommandSpec,
  servicePaths,
  validateStart,
} from '../../dist/index.js';
import {
  CLI,
  NODE,
  ROOT,
  makeHome,
  procStatus,
  readJson,
  run,
  startedPids,
  waitFor,
  waitReport,
} from '../helpers.mjs';

const USER = 'daemonkit-test';
const EXTRA = 'daemonkit-test-extra';
const FIXTURE = join(ROOT, 'test', 'fixtures', 'as-user.mjs');

function lookup() {
  try {
    const id = (...args) => execFileSync('id', [...args, USER], { encoding: 'utf8' }).trim();
    const [, , , , , home, shell] = execFileSync('getent', ['passwd', USER], { encoding: 'utf8' })
      .trim()
      .split(':');
    const extra = Number(
      execFileSync('getent', ['group', EXTRA], { encoding: 'utf8' }).split(':')[2],
    );
    return {
      uid: Number(id('-u')),
      gid: Number(id('-g')),
      groups: id('-G').split(' ').map(Number),
      home,
      shell,
      extra,
    };
  } catch {
    return null;
  }
}

const skip =
  process.geteuid() !== 0
    ? 'needs root (the COMMAND can only be switched to another user by root)'
    : lookup() === null
      ? `needs the user ${USER} in the group ${EXTRA}: run .ci/run, or create them as it does`
      : false;
const u = skip ? null : lookup();

const h = makeHome();
let work;
before(() => {
  chmodSync(h.home, 0o755); // so the service user could reach the service's files, were they writable
  work = mkdtempSync(join(tmpdir(), 'dk-user-'));
  chmodSync(work, 0o755);
});
after(async () => {
  await h.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** A directory the service user owns (for its report, or as its own DAEMONKIT_HOME). */
function userDir(name) {
  const dir = join(work, name);
  mkdirSync(dir, { mode: 0o755 });
  chownSync(dir, u.uid, u.gid);
  return dir;
}

/** The four ids of a /proc/PID/status line (real, effective, saved, filesystem). */
const ids = (line) => line.split(/\s+/).map(Number);
const groupsOf = (line) =>
  (line.trim() === '' ? [] : line.trim().split(/\s+/).map(Number)).sort((a, b) => a - b);
const sorted = (list) => [...list].sort((a, b) => a - b);
const oneLine = (r) =>
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line:\n${r.stderr}`);

describe('--user: a root start drops the COMMAND', { skip }, () => {
  it("runs the COMMAND with all four uids and gids and exactly the user's groups; the supervisor stays root; files stay root's", async () => {
    const out = userDir('report-start');
    const report = join(out, 'report.json');
    const dir = h.dir('dropped');
    const files = [join(dir, 'pid'), join(dir, 'pid.lock'), join(dir, 'state.json')];
    const r = await h.dk([
      'start',
      '--name',
      'dropped',
      '--user',
      USER,
      '--grace',
      '0',
      '--env',
      `REPORT_FILE=${report}`,
      '--env',
      `TRY_WRITE=${files.join(':')}`,
      '--',
      NODE,
      FIXTURE,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { pid, childPid } = startedPids(r.stdout);
    const rep = await waitReport(report, (x) => x.pid === childPid);

    const cmd = procStatus(childPid);
    assert.deepEqual(ids(cmd.Uid), [u.uid, u.uid, u.uid, u.uid], cmd.Uid);
    assert.deepEqual(ids(cmd.Gid), [u.gid, u.gid, u.gid, u.gid], cmd.Gid);
    assert.deepEqual(
      groupsOf(cmd.Groups),
      sorted(u.groups),
      'initgroups: the primary and the supplementary group',
    );
    assert.ok(u.groups.includes(u.extra));
    assert.equal(cmd.CapEff, '0000000000000000');
    assert.equal(cmd.CapPrm, '0000000000000000');
    assert.deepEqual(rep.status.Uid, cmd.Uid, 'as the COMMAND itself sees it');

    const sup = procStatus(pid);
    assert.deepEqual(ids(sup.Uid), [0, 0, 0, 0], 'the supervisor stays root');
    assert.deepEqual(ids(sup.Gid), [0, 0, 0, 0]);

    assert.deepEqual(rep.env, { USER, LOGNAME: USER, HOME: u.home, SHELL: u.shell });
    for (const file of [...files, dir]) {
      const st = statSync(file);
      assert.equal(st.uid, 0, `${file} is root's`);
      assert.equal(st.mode & 0o022, 0, `${file} is not group- or world-writable`);
    }
    for (const file of files)
      assert.equal(rep.writes[file], 'EACCES', `the COMMAND cannot write ${file}`);
    assert.equal(rep.writes[`${dir}/`], 'EACCES', 'nor create files beside them');

    assert.equal(readJson(join(dir, 'spec.json')).user, USER, 'recorded for restart');
  });

  it('restart without a COMMAND keeps the user', async () => {
    const before = readJson(join(h.dir('dropped'), 'state.json'));
    const r = await h.dk(['restart', '--name', 'dropped', '--grace', '0']);
    assert.equal(r.code, 0, r.stderr);
    const now = readJson(join(h.dir('dropped'), 'state.json'));
    assert.notEqual(now.childPid, before.childPid);
    assert.deepEqual(ids(procStatus(now.childPid).Uid), [u.uid, u.uid, u.uid, u.uid]);
    assert.deepEqual(groupsOf(procStatus(now.childPid).Groups), sorted(u.groups));
    assert.deepEqual(ids(procStatus(now.pid).Uid), [0, 0, 0, 0]);
    assert.equal((await h.dk(['stop', '--name', 'dropped'])).code, 0);
  });

  it('--ready notify: the COMMAND, as the user, can send to its notify socket (and only it and root can reach it)', {
    skip:
      !existsSync('/usr/bin/python3') && 'needs /usr/bin/python3 (a python the test user may run)',
  }, async () => {
    const py =
      'import socket, os, time\nsocket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1\\nSTATUS=as user", os.environ["NOTIFY_SOCKET"])\nwhile True: time.sleep(1)';
    const r = await h.dk([
      'start',
      '--name',
      'notify-user',
      '--user',
      'daemonkit-test',
      '--ready',
      'notify',
      '--ready-timeout',
      '10s',
      '--',
      '/usr/bin/python3',
      '-c',
      py,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const st = readJson(join(h.dir('notify-user'), 'state.json'));
    assert.deepEqual(ids(procStatus(st.childPid).Uid), [u.uid, u.uid, u.uid, u.uid]);
    const socket = readFileSync(`/proc/${st.childPid}/environ`, 'utf8')
      .split('\0')
      .find((e) => e.startsWith('NOTIFY_SOCKET='))
      .slice('NOTIFY_SOCKET='.length);
    const dir = statSync(dirname(socket));
    assert.deepEqual(
      [dir.uid, dir.mode & 0o7777],
      [0, 0o711],
      "the directory stays root's: the user can reach the socket, not change the directory",
    );
    const sock = statSync(socket);
    assert.deepEqual(
      [sock.uid, sock.mode & 0o7777],
      [u.uid, 0o600],
      "the socket is the user's alone (and root's)",
    );
    const send =
      'import socket, sys\nsocket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"STATUS=intruder", sys.argv[1])';
    const other = await run('setpriv', [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      '/usr/bin/python3',
      '-c',
      send,
      socket,
    ]);
    assert.notEqual(other.code, 0, 'another user cannot send to it');
    assert.match(other.stderr, /PermissionError/);
    assert.equal((await h.dk(['stop', '--name', 'notify-user'])).code, 0);
    assert.equal(existsSync(dirname(socket)), false, 'removed at the end');
  });

  it('a COMMAND the supervisor restarts after a crash drops too', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'crashing',
      '--user',
      USER,
      '--restart',
      'on-failure',
      '--restart-delay',
      '50ms',
      '--grace',
      '0',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { childPid } = startedPids(r.stdout);
    process.kill(childPid, 'SIGKILL');
    const next = await waitFor(
      () => {
        const st = readJson(join(h.dir('crashing'), 'state.json'));
        return st?.state === 'running' && st.childPid !== childPid && procStatus(st.childPid)
          ? st
          : null;
      },
      5000,
      'the restarted COMMAND',
    );
    assert.deepEqual(ids(procStatus(next.childPid).Uid), [u.uid, u.uid, u.uid, u.uid]);
    assert.deepEqual(groupsOf(procStatus(next.childPid).Groups), sorted(u.groups));
    assert.equal((await h.dk(['stop', '--name', 'crashing'])).code, 0);
  });

  it('USER:GROUP by number: that gid, and the groups initgroups(user, gid) gives; --env wins over HOME', async () => {
    const r = await h.dk([
      'run',
      '--name',
      'numeric',
      '--user',
      `${u.uid}:${EXTRA}`,
      '--env',
      'HOME=/srv/here',
      '--grace',
      '0',
      '--',
      '/bin/sh',
      '-c',
      'grep -E "^(Uid|Gid|Groups):" /proc/self/status; echo "env $USER $HOME"',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const line = (key) => new RegExp(`^${key}:(.*)$`, 'm').exec(r.stdout)[1];
    assert.deepEqual(ids(line('Uid').trim()), [u.uid, u.uid, u.uid, u.uid]);
    assert.deepEqual(ids(line('Gid').trim()), [u.extra, u.extra, u.extra, u.extra]);
    assert.deepEqual(
      groupsOf(line('Groups')),
      [u.extra],
      'the user is a member of no other group than its primary one, which --user replaced',
    );
    assert.match(r.stdout, new RegExp(`^env ${USER} /srv/here$`, 'm'));
  });

  it('a working directory the user may not enter: exit 4, one line naming it', async () => {
    const closed = join(work, 'closed');
    mkdirSync(closed, { mode: 0o700 });
    const r = await h.dk([
      'start',
      '--name',
      'closed',
      '--user',
      USER,
      '--chdir',
      closed,
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(r.code, 4, r.stderr);
    oneLine(r);
    assert.match(
      r.stderr,
      new RegExp(`cannot enter --chdir ${closed} as user ${USER}: permission denied`),
    );
  });
});

describe('--user: bad values', { skip }, () => {
  for (const [args, pattern] of [
    [['--user', 'no-such-user-dk'], /unknown --user 'no-such-user-dk': no such user/],
    [['--user', `${USER}:no-such-group-dk`], /unknown --group 'no-such-group-dk': no such group/],
    [
      ['--user', USER, '--group', 'no-such-group-dk'],
      /unknown --group 'no-such-group-dk': no such group/,
    ],
    [['--user', '4000000000'], /unknown --user 4000000000: no user has this uid/],
  ]) {
    it(`${args.join(' ')}: exit 2, one line naming it, nothing started`, async () => {
      const r = await h.dk(['start', '--name', 'bad', ...args, '--', '/bin/sleep', '1000']);
      assert.equal(r.code, 2, r.stderr);
      oneLine(r);
      assert.match(r.stderr, pattern);
      assert.equal(readJson(join(h.dir('bad'), 'state.json')), null);
    });
  }
});

describe('--user: a caller that is not root', { skip }, () => {
  const asUser = (home, args) =>
    run(
      'setpriv',
      [`--reuid=${u.uid}`, `--regid=${u.gid}`, '--init-groups', NODE, '--', CLI, ...args],
      { env: { DAEMONKIT_HOME: home } },
    );

  it('cannot switch to another user: exit 4, one line', async () => {
    const home = userDir('home-denied');
    for (const user of ['root', '0', `${USER}:root`]) {
      const r = await asUser(home, [
        'start',
        '--name',
        'nope',
        '--user',
        user,
        '--',
        '/bin/sleep',
        '1000',
      ]);
      assert.equal(r.code, 4, `${user}: ${r.stderr}`);
      oneLine(r);
      assert.match(
        r.stderr,
        new RegExp(
          `cannot run the COMMAND as --user ${user.split(':')[0]}.*only root can switch users \\(this is uid ${u.uid}\\)`,
        ),
      );
    }
  });

  it('may name itself: the COMMAND runs as it is', async () => {
    const r = await asUser(userDir('home-self'), [
      'run',
      '--name',
      'self',
      '--user',
      USER,
      '--grace',
      '0',
      '--',
      '/bin/sh',
      '-c',
      'grep ^Uid: /proc/self/status; echo "env $USER"',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`^Uid:\\s+${u.uid}\\s+${u.uid}\\s+${u.uid}\\s+${u.uid}$`, 'm'),
    );
    assert.match(r.stdout, new RegExp(`^env ${USER}$`, 'm'));
  });
});

describe('export systemd --user', () => {
  it('--user NAME, --user=NAME and USER:GROUP become User=/Group=; a bare --user is a user unit', async () => {
    const unit = async (...args) => {
      const r = await h.dk([
        'export',
        'systemd',
        '--name',
        'web',
        ...args,
        '--',
        '/bin/sleep',
        '1000',
      ]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout;
    };
    const named = await unit('--user', 'svc', '--group', 'svcgroup');
    assert.match(named, /^User=svc$/m);
    assert.match(named, /^Group=svcgroup$/m);
    assert.match(named, /^WantedBy=multi-user\.target$/m);
    assert.match(await unit('--user=svc'), /^User=svc$/m);
    const pair = await unit('--user', '1234:5678');
    assert.match(pair, /^User=1234$/m);
    assert.match(pair, /^Group=5678$/m);
    const userUnit = await unit('--user', '--retry', 'TERM/5');
    assert.match(userUnit, /^WantedBy=default\.target$/m);
    assert.doesNotMatch(userUnit, /^User=/m);
    const both = await h.dk([
      'export',
      'systemd',
      '--user',
      '--user',
      'svc',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(both.code, 2);
    oneLine(both);
  });
});

describe('the library', { skip }, () => {
  it('buildCommandSpec resolves user and group into the spec; a Daemon refuses them', () => {
    const problems = new Problems();
    const opts = validateStart({ user: USER, group: EXTRA }, problems);
    assert.deepEqual(problems.list, []);
    const spec = buildCommandSpec(['/bin/sleep', '1'], opts, servicePaths({ name: 'lib' }), {
      baseEnv: { PATH: '/usr/bin:/bin', HOME: '/root', USER: 'root' },
    });
    assert.deepEqual(spec.runAs, {
      user: USER,
      group: EXTRA,
      name: USER,
      uid: u.uid,
      gid: u.extra,
      groups: [u.extra],
      home: u.home,
      shell: u.shell,
      drop: true,
    });
    assert.equal(spec.env.HOME, u.home);
    assert.equal(spec.env.USER, USER);
    assert.throws(
      () => new Daemon({ name: 'lib', user: USER }),
      (e) => e.code === 'BAD_OPTION' && /not for a Daemon/.test(e.message),
    );
  });
});
