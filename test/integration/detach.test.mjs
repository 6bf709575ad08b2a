// daemon(7)'s SysV steps, checked from /proc on real daemons started by the CLI.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CLI,
  NODE,
  REPORTER,
  fdTargets,
  makeHome,
  procStat,
  procStatus,
  readJson,
  run,
  startedPids,
  waitReport,
} from '../helpers.mjs';

describe('detaching (daemon(7) SysV steps)', () => {
  const h = makeHome();
  const work = mkdtempSync(join(tmpdir(), 'dk-work-'));
  const leak = join(work, 'leaked-fd-target');
  const report = join(work, 'report.json');
  let sup;
  let cmd;
  let sleepSup;
  let sleepPid;

  before(async () => {
    writeFileSync(leak, '');
    // The caller leaves fd 42 open and ignores HUP, USR1 and a real-time signal (like nohup),
    // and blocks nothing Node could not undo: none of it may reach the daemon or the COMMAND.
    const script = `exec 42>>'${leak}'; trap '' HUP USR1 40; exec "$@"`;
    const start = (name, command, extra = []) =>
      run(
        'bash',
        [
          '-c',
          script,
          'bash',
          NODE,
          CLI,
          'start',
          '--name',
          name,
          '--chdir',
          work,
          '--umask',
          '027',
          ...extra,
          '--',
          ...command,
        ],
        { env: { ...h.env, REPORT_FILE: report, MARK: 'kept' } },
      );
    const r = await start('reporter', [NODE, REPORTER]);
    assert.equal(r.code, 0, r.stderr);
    ({ pid: sup, childPid: cmd } = startedPids(r.stdout));
    const s = await start('sleeper', ['/bin/sleep', '1000'], ['--grace', '0']);
    assert.equal(s.code, 0, s.stderr);
    ({ pid: sleepSup, childPid: sleepPid } = startedPids(s.stdout));
  });
  after(async () => {
    await h.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('the pidfile names the supervisor, which prints it on start', () => {
    assert.equal(readFileSync(join(h.dir('reporter'), 'pid'), 'utf8'), `${sup}\n`);
  });

  it('runs the daemon in a new session that it does not lead, with no terminal, not our child', () => {
    const st = procStat(sup);
    const ours = procStat(process.pid);
    assert.notEqual(st.session, ours.session, 'new session');
    assert.notEqual(st.session, sup, 'not the session leader (double fork)');
    assert.equal(st.ttyNr, 0, 'no controlling terminal');
    assert.notEqual(st.ppid, process.pid, 'not a child of the caller');
  });

  it("keeps the daemon's cwd at / and gives the COMMAND --chdir and --umask", async () => {
    assert.equal(readlinkSync(`/proc/${sup}/cwd`), '/');
    const r = await waitReport(report);
    assert.equal(r.pid, cmd);
    assert.equal(realpathSync(r.cwd), realpathSync(work));
    assert.equal(r.umask, '0027');
    assert.equal(procStatus(sleepPid).Umask, '0027');
  });

  it('puts the COMMAND in its own process group and session, without a terminal', async () => {
    const r = await waitReport(report);
    assert.equal(r.pgrp, cmd);
    assert.equal(r.session, cmd);
    assert.equal(r.ttyNr, 0);
    assert.equal(r.ppid, sup);
  });

  it('gives the COMMAND exactly fds 0-2: /dev/null and two pipes the supervisor reads, nothing inherited', () => {
    const fds = fdTargets(sleepPid);
    assert.deepEqual(Object.keys(fds).sort(), ['0', '1', '2']);
    assert.equal(fds[0], '/dev/null');
    assert.match(fds[1], /^pipe:\[\d+\]$/);
    assert.match(fds[2], /^pipe:\[\d+\]$/);
    assert.notEqual(fds[1], fds[2], 'stdout and stderr are separate pipes (lines never mix)');
    const supervisorFds = Object.values(fdTargets(sleepSup));
    assert.ok(
      supervisorFds.includes(fds[1]) && supervisorFds.includes(fds[2]),
      'the supervisor holds both pipes',
    );
    assert.ok(
      statSync(join(h.dir('sleeper'), 'sleeper.log')).isFile(),
      'the log file, which the supervisor owns',
    );
  });

  it('lets no fd of the caller reach the supervisor', () => {
    for (const pid of [sup, sleepSup]) {
      const targets = Object.values(fdTargets(pid));
      assert.ok(
        !targets.includes(leak),
        `supervisor ${pid} holds the caller's fd 42: ${targets.join(', ')}`,
      );
    }
    assert.ok(!Object.values(fdTargets(sleepPid)).includes(leak));
  });

  it('passes on no ignored or blocked signal, real-time ones included', () => {
    const s = procStatus(sleepPid);
    assert.equal(s.SigIgn, '0000000000000000');
    assert.equal(s.SigBlk, '0000000000000000');
    // The supervisor is a Node process: Node itself ignores SIGPIPE and SIGXFSZ, nothing else.
    const sig = BigInt(`0x${procStatus(sup).SigIgn}`);
    const allowed = (1n << 12n) | (1n << 24n);
    assert.equal(sig & ~allowed, 0n, `supervisor SigIgn ${procStatus(sup).SigIgn}`);
    assert.equal(procStatus(sup).SigBlk, '0000000000000000');
  });

  it('scrubs its re-exec marker but keeps the caller environment', async () => {
    const r = await waitReport(report);
    assert.equal(r.env.DAEMONKIT_DAEMON, null);
    assert.equal(r.env.MARK, 'kept');
    // The supervisor's own /proc/PID/environ still shows its exec-time block; what it passes on
    // must not.
    assert.ok(!readFileSync(`/proc/${sleepPid}/environ`, 'utf8').includes('DAEMONKIT_DAEMON='));
    assert.ok(readFileSync(`/proc/${sleepPid}/environ`, 'utf8').includes('MARK=kept'));
  });

  it('records the daemon and its COMMAND in the state file', () => {
    const state = readJson(join(h.dir('reporter'), 'state.json'));
    assert.equal(state.state, 'running');
    assert.equal(state.pid, sup);
    assert.equal(state.childPid, cmd);
    assert.equal(state.childPgid, cmd);
  });
});

describe('limits and nice', () => {
  const h = makeHome();
  after(() => h.cleanup());
  it('--limit sets soft and hard limits, --nice the nice value, of the COMMAND only', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'lim',
      '--grace',
      '0',
      '--limit',
      'nofile=1000:2000',
      '--limit',
      'core=0',
      '--nice',
      '5',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { pid, childPid } = startedPids(r.stdout);
    const limits = readFileSync(`/proc/${childPid}/limits`, 'utf8');
    assert.match(limits, /^Max open files\s+1000\s+2000\s+files/m);
    assert.match(limits, /^Max core file size\s+0\s+0\s+bytes/m);
    const nice = (p) =>
      Number(
        readFileSync(`/proc/${p}/stat`, 'utf8')
          .slice(readFileSync(`/proc/${p}/stat`, 'utf8').lastIndexOf(')') + 2)
          .split(' ')[16],
      );
    assert.equal(nice(childPid), 5);
    assert.equal(nice(pid), 0, 'the supervisor keeps its own');
    assert.doesNotMatch(readFileSync(`/proc/${pid}/limits`, 'utf8'), /^Max open files\s+1000\s/m);
    const bad = await h.dk([
      'start',
      '--name',
      'lim2',
      '--limit',
      'files=3',
      '--nice',
      '40',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--limit 'files=3'/);
    assert.match(bad.stderr, /--nice '40'/);
  });
});
