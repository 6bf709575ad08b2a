// The facts people look for (issue 21, points 3-7), on real services: a failed start's error as
// node printed it, memory and CPU of the COMMAND's whole process group, the COMMAND's uptime,
// `status -v` / `list` / `ps`, and the supervisor's own lines in the log and on `run`'s stderr.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import {
  NODE,
  OWN_LINE,
  commandText,
  groupPids,
  isAlive,
  makeHome,
  procStatus,
  readJson,
  readText,
  run,
  startedPids,
  waitFor,
} from '../helpers.mjs';

const h = makeHome();
const work = mkdtempSync(join(tmpdir(), 'dk-facts-'));
chmodSync(work, 0o755); // a --user COMMAND may enter its --chdir below
after(async () => {
  await h.cleanup();
  rmSync(work, { recursive: true, force: true });
});
const root = process.getuid() === 0;
const state = (name) => readJson(join(h.dir(name), 'state.json'));
const logOf = (name) => join(h.dir(name), `${name}.log`);
const file = (name, text) => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};
const escapeRe = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const lines = (text) => text.split('\n').filter(Boolean);
const status = async (name) =>
  JSON.parse((await h.dk(['status', '--name', name, '--json'])).stdout);
/** As status prints a duration under 10 s. */
const tenths = (ms) => (ms < 100 ? `${ms}ms` : `${(Math.round(ms / 100) / 10).toFixed(1)}s`);
/** utime + stime of a process, ms. */
const cpuMs = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const rssKb = (pid) => Number.parseInt(procStatus(pid)?.VmRSS ?? '0', 10);

/** A port the kernel had free a moment ago. */
function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

describe('a failed start shows its error (point 3)', () => {
  it('a node server whose port is taken (EADDRINUSE): node\'s whole report, "Error: listen EADDRINUSE" included, each line marked with the name, then where the whole log is', async () => {
    const server = file(
      'server.js',
      "require('net').createServer().listen(Number(process.argv[2]), () => console.log('listening'));\n",
    );
    const port = await freePort();
    const first = await h.dk([
      'start',
      '--name',
      'web1',
      '--ready',
      `tcp:${port}`,
      '--',
      NODE,
      server,
      String(port),
    ]);
    assert.equal(first.code, 0, first.stderr);
    // the same port again
    const r = await h.dk(['start', '--name', 'web2', '--', NODE, server, String(port)]);
    assert.equal(r.code, 1, r.stderr);
    const err = r.stderr.split('\n');
    assert.match(err[0], /^daemonkit: .*node exited with code 1 within the 500 ms grace period$/);
    assert.ok(
      err.includes(`web2 | Error: listen EADDRINUSE: address already in use :::${port}`),
      r.stderr,
    );
    assert.ok(err.includes("web2 |   code: 'EADDRINUSE',"), r.stderr);
    // From the top of node's report (where it was thrown) to its last line.
    const report = err.filter((l) => l.startsWith('web2 | '));
    assert.match(report[0], /^web2 \| node:events:\d+$/, r.stderr);
    assert.match(report.at(-1), /^web2 \| Node\.js v\d+/);
    assert.equal(err.at(-2), `see: daemonkit logs --name web2 (${logOf('web2')})`);
    assert.equal(err.at(-1), '');
    // The log holds the same lines.
    const log = (await h.dk(['logs', '--name', 'web2'])).stdout;
    for (const line of report)
      assert.ok(
        log.includes(`${line.slice('web2 | '.length)}\n`),
        `${line} not in the log:\n${log}`,
      );
    assert.equal((await h.dk(['stop', '--name', 'web1'])).code, 0);
  });

  it('a syntax error: its file:line, the source line and the caret, then the SyntaxError', async () => {
    const bad = file('syntax.js', 'const a = 1;\nconst b = ;\n');
    const r = await h.dk(['start', '--name', 'syn', '--', NODE, bad]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `\\nsyn \\| ${escapeRe(bad)}:2\\nsyn \\| const b = ;\\nsyn \\| {11}\\^\\nsyn \\| \\nsyn \\| SyntaxError: Unexpected token ';'\\n`,
      ),
      r.stderr,
    );
    assert.match(
      r.stderr,
      new RegExp(`\\nsee: daemonkit logs --name syn \\(${escapeRe(logOf('syn'))}\\)\\n$`),
    );
  });
});

describe("memory and CPU of the COMMAND's process group (point 4)", () => {
  it('sh starting two node children that hold 40 MiB each and burn CPU: status, --json and list count all three processes', async () => {
    // Each child fills 40 MiB (so it is resident), burns 0.2 s of CPU, then idles.
    const hog =
      'const b = Buffer.alloc(40 * 1024 * 1024, 1); const t = Date.now(); while (Date.now() - t < 200); setInterval(() => b[0]++, 1000);';
    const r = await h.dk([
      'start',
      '--name',
      'group',
      '--grace',
      '0',
      '--',
      'sh',
      '-c',
      '"$0" -e "$1" & "$0" -e "$1" & wait',
      NODE,
      hog,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { childPid } = startedPids(r.stdout);
    const kids = await waitFor(
      () => {
        const pids = groupPids(childPid).filter((p) => p !== childPid);
        return pids.length === 2 && pids.every((p) => rssKb(p) >= 40 * 1024) && pids;
      },
      30000,
      'two node children holding 40 MiB each',
    );
    // CPU time only grows: what the children used before status looked is a floor for its figure.
    const kidsCpu = kids.reduce((n, p) => n + cpuMs(p), 0);
    const j = await status('group');
    assert.equal(j.processes, 3, JSON.stringify(j));
    assert.ok(
      j.rssBytes >= 80 * 1024 * 1024,
      `memory ${j.rssBytes} bytes: not the children's 2 × 40 MiB`,
    );
    assert.ok(j.cpuMs >= kidsCpu, `cpu ${j.cpuMs} ms, the children alone had used ${kidsCpu} ms`);
    const line = (await h.dk(['status', '--name', 'group'])).stdout;
    assert.match(line, /, memory (\d+\.\d) MiB in 3 processes, cpu \d+\.\d\ds\n$/);
    assert.ok(Number(/memory (\d+\.\d) MiB/.exec(line)[1]) >= 80, line);
    const row = JSON.parse((await h.dk(['list', '--json'])).stdout).find((s) => s.name === 'group');
    assert.ok(row.rssBytes >= 80 * 1024 * 1024 && row.processes === 3, JSON.stringify(row));
    const table = (await h.dk(['list'])).stdout;
    assert.match(
      table,
      new RegExp(
        `\\ngroup +running +\\d+ +${childPid} +\\S+ +0 +(\\d+\\.\\d) MiB +\\d+\\.\\d\\ds\\n`,
      ),
      table,
    );
    assert.ok(Number(/\ngroup .* (\d+\.\d) MiB/.exec(table)[1]) >= 80, table);
    assert.equal((await h.dk(['stop', '--name', 'group'])).code, 0);
  });
});

describe("uptime: the COMMAND's (point 5)", () => {
  it("after a crash-restart, up is the new COMMAND's; the service's is beside it", async () => {
    const flag = join(work, 'ran-once');
    // The first run lasts 1.5 s (its own sleep) and fails; the second runs on.
    const r = await h.dk([
      'start',
      '--name',
      'upt',
      '--grace',
      '0',
      '--restart',
      'on-failure',
      '--restart-delay',
      '10ms',
      '--',
      'sh',
      '-c',
      'if [ -e "$0" ]; then exec sleep 1000; fi; touch "$0"; sleep 1.5; exit 3',
      flag,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { childPid } = startedPids(r.stdout);
    await waitFor(
      () =>
        state('upt')?.state === 'running' &&
        state('upt').restarts === 1 &&
        state('upt').childPid !== childPid,
      10000,
      'the restarted COMMAND',
    );
    const j = await status('upt');
    assert.ok(
      j.serviceUptimeMs - j.uptimeMs >= 1400,
      `the COMMAND up ${j.uptimeMs} ms, the service ${j.serviceUptimeMs} ms: the first run alone lasted 1.5 s`,
    );
    assert.match(
      (await h.dk(['status', '--name', 'upt'])).stdout,
      /, up (\d+ms|\d+\.\ds), service up \d+\.\ds, memory /,
    );
    assert.equal((await h.dk(['stop', '--name', 'upt'])).code, 0);
  });

  it('a short run to a tenth of a second: "exited with code 3 … after 0.9s", in status and in the log', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'short',
      '--grace',
      '0',
      '--',
      'sh',
      '-c',
      'sleep 0.9; exit 3',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { pid } = startedPids(r.stdout);
    await waitFor(() => !isAlive(pid), 10000, 'the supervisor to end');
    const { lastExit } = await status('short');
    // The COMMAND's start is known in clock ticks (10 ms) against a boot time read from
    // /proc/uptime:
    // its uptime is good to ~20 ms, not to the millisecond.
    assert.ok(lastExit.uptimeMs >= 880, JSON.stringify(lastExit));
    const shown = tenths(lastExit.uptimeMs);
    assert.match(
      (await h.dk(['status', '--name', 'short'])).stdout,
      new RegExp(`; last exit: exited with code 3 at .* after ${escapeRe(shown)}\\n$`),
    );
    assert.match(
      readText(logOf('short')),
      new RegExp(`\\ndaemonkit: exited with code 3 after ${escapeRe(shown)}\\n$`),
    );
  });
});

describe('status -v, list and ps (point 6)', () => {
  it('status -v and --json: the COMMAND line, cwd, user, restart policy, log files', async () => {
    const cwd = join(work, 'app');
    mkdirSync(cwd, { mode: 0o755 });
    const out = join(work, 'facts-out.log');
    const err = join(work, 'facts-err.log');
    const user = root ? 'daemonkit-test' : userInfo().username;
    const r = await h.dk([
      'start',
      '--name',
      'facts',
      '--grace',
      '0',
      '--chdir',
      cwd,
      '--restart',
      'on-failure',
      '--max-restarts',
      '4',
      '--stdout',
      out,
      '--stderr',
      err,
      ...(root ? ['--user', user] : []),
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { pid, childPid } = startedPids(r.stdout);
    const j = await status('facts');
    assert.deepEqual(
      [
        j.command,
        j.cwd,
        j.user,
        j.restartPolicy.restart,
        j.restartPolicy.maxRestarts,
        j.logFiles,
        j.nextRestartAt,
      ],
      [['/bin/sleep', '1000'], cwd, user, 'on-failure', 4, { stdout: out, stderr: err }, null],
    );
    const v = (await h.dk(['status', '--name', 'facts', '-v'])).stdout.split('\n');
    for (const expected of [
      '  command: /bin/sleep 1000',
      `  cwd: ${cwd}`,
      `  user: ${user}`,
      `  stdout log: ${out}`,
      `  stderr log: ${err}`,
    ]) {
      assert.ok(v.includes(expected), `${expected} not in:\n${v.join('\n')}`);
    }
    assert.ok(
      v.some((l) =>
        /^ {2}restart: on-failure \(delay 100ms, .* gives up after 4 restarts within 1m00s\)$/.test(
          l,
        ),
      ),
      v.join('\n'),
    );
    // list: the COMMAND's pid beside the supervisor's.
    assert.match(
      (await h.dk(['list'])).stdout,
      new RegExp(`\\nfacts +running +${pid} +${childPid} `),
    );
    assert.equal((await h.dk(['stop', '--name', 'facts'])).code, 0);
  });

  it('during a backoff: when the next restart is due (--json, -v and the status line)', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'due',
      '--grace',
      '0',
      '--restart',
      'on-failure',
      '--restart-delay',
      '20s',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { childPid } = startedPids(r.stdout);
    const killedAt = Date.now();
    process.kill(childPid, 'SIGKILL');
    await waitFor(() => state('due')?.state === 'backoff', 5000, 'backoff');
    const j = await status('due');
    assert.ok(
      j.nextRestartAt >= killedAt + 20000 && j.nextRestartAt <= Date.now() + 20000,
      `next restart at ${j.nextRestartAt}, killed at ${killedAt}`,
    );
    assert.equal(j.childPid, null);
    const v = (await h.dk(['status', '--name', 'due', '-v'])).stdout;
    assert.match(
      v,
      /^due: backoff, pid \d+, restarting in (1\d|20|\d)(\.\d)?s \(killed by SIGKILL after \S+\), service up /,
    );
    assert.match(
      v,
      new RegExp(
        `\\n {2}next restart: in \\S+, at ${escapeRe(new Date(j.nextRestartAt).toISOString())}\\n`,
      ),
    );
    assert.equal((await h.dk(['stop', '--name', 'due'])).code, 0);
  });

  it('list after the supervisor was killed (-9) while its COMMAND runs on: the orphan, with its pid, memory and CPU (not "dead -")', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'orph',
      '--grace',
      '0',
      '--',
      'sh',
      '-c',
      'sleep 1000 & exec sleep 1001',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { pid, childPid } = startedPids(r.stdout);
    await waitFor(() => groupPids(childPid).length === 2, 5000, 'the COMMAND and its child');
    // Once it is up: a supervisor killed while node still boots takes its COMMAND with it (its
    // guard).
    await waitFor(
      () => readJson(join(h.dir('orph'), 'state.json'))?.handlesSignals,
      5000,
      'the supervisor up',
    );
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid), 5000, 'the supervisor gone');
    const row = JSON.parse((await h.dk(['list', '--json'])).stdout).find((s) => s.name === 'orph');
    assert.equal(row.state, 'dead');
    assert.equal(row.childPid, childPid);
    assert.deepEqual(
      [row.orphan.pgid, row.orphan.pids.sort()],
      [childPid, groupPids(childPid).sort()],
    );
    assert.ok(
      row.rssBytes > 0 && row.processes === 2 && row.uptimeMs !== null,
      JSON.stringify(row),
    );
    assert.match(row.reason, /its supervisor died, but its COMMAND still runs unsupervised/);
    assert.match(
      (await h.dk(['list'])).stdout,
      new RegExp(`\\norph +orphaned +- +${childPid} +\\S+ +0 +[0-9.]+ (KiB|MiB) +[0-9.]+s\\n`),
    );
    assert.equal((await h.dk(['stop', '--name', 'orph'])).code, 0); // stops the orphan
    assert.deepEqual(groupPids(childPid), []);
  });

  it('in ps, each supervisor names its service: process title "daemonkit: NAME" (/proc/PID/cmdline), a 64-character name whole', async () => {
    for (const name of ['titled', `t${'x'.repeat(63)}`]) {
      const r = await h.dk(['start', '--name', name, '--', '/bin/sleep', '1000']);
      assert.equal(r.code, 0, r.stderr);
      const { pid } = startedPids(r.stdout);
      // The title is set before the supervisor reports the start, which `start` waited for.
      const args = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean);
      assert.deepEqual(args, [`daemonkit: ${name}`]);
      assert.equal(
        (await run('ps', ['-o', 'args=', '-p', String(pid)])).stdout.trim(),
        `daemonkit: ${name}`,
      );
      assert.equal((await h.dk(['stop', '--name', name])).code, 0);
    }
  });
});

describe("the supervisor's own lines in the log (point 7)", () => {
  const iso = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

  it("a crash loop: each start, each exit with the restart's delay, and the giving up, between the COMMAND's lines", async () => {
    const r = await h.dk([
      'start',
      '--name',
      'loop7',
      '--grace',
      '0',
      '--restart',
      'always',
      '--restart-delay',
      '10ms',
      '--restart-max-delay',
      '20ms',
      '--max-restarts',
      '2',
      '--',
      'sh',
      '-c',
      'echo run; exit 2',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { pid } = startedPids(r.stdout);
    await waitFor(() => !isAlive(pid), 10000, 'the supervisor gives up');
    const got = lines(readText(logOf('loop7')));
    const expected = [
      /^daemonkit: started \S*sh -c 'echo run; exit 2', pid \d+$/,
      /^run$/,
      /^daemonkit: exited with code 2 after \S+; restarting in 10ms$/,
      /^daemonkit: restart 1: started \S*sh -c 'echo run; exit 2', pid \d+$/,
      /^run$/,
      /^daemonkit: exited with code 2 after \S+; restarting in 20ms$/,
      /^daemonkit: restart 2: started \S*sh -c 'echo run; exit 2', pid \d+$/,
      /^run$/,
      /^daemonkit: exited with code 2 after \S+; giving up: crash loop: more than 2 restarts within 60s$/,
    ];
    assert.equal(got.length, expected.length, got.join('\n'));
    for (const [i, re] of expected.entries()) assert.match(got[i], re, got.join('\n'));
  });

  it("a stop while the COMMAND's line is unfinished: the supervisor's line comes whole, before it, not inside it; timestamped like the rest", async () => {
    // "half" waits unfinished (the start returns once it was written: --ready fd:3). On SIGTERM the
    // COMMAND ends the line once the supervisor's "stopping" line is in the log (it looks there).
    const half = file(
      'half.js',
      `const { readFileSync, writeSync } = require('fs');
      process.on('SIGTERM', () => setInterval(() => {
        if (!readFileSync(process.argv[2], 'utf8').includes('stopping')) return;
        writeSync(1, ' end\\n');
        process.exit(0);
      }, 5));
      writeSync(1, 'half'); writeSync(3, '\\n'); setInterval(() => {}, 1e9);`,
    );
    const r = await h.dk([
      'start',
      '--name',
      'half',
      '--log-timestamps',
      '--ready',
      'fd:3',
      '--',
      NODE,
      half,
      logOf('half'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await h.dk(['stop', '--name', 'half'])).code, 0);
    const got = lines(readText(logOf('half')));
    const expected = [
      /^daemonkit: started \S*node \S*half\.js \S+, pid \d+$/,
      /^daemonkit: ready \(--ready fd:3\)$/,
      /^daemonkit: stopping, asked by daemonkit stop$/,
      /^half end$/,
      /^daemonkit: stopped by daemonkit stop \(exited with code 0 after \S+\)$/,
    ];
    assert.equal(got.length, expected.length, got.join('\n'));
    for (const [i, re] of expected.entries())
      assert.match(got[i], new RegExp(`^${iso} ${re.source.slice(1)}`), got.join('\n'));
  });

  it("with a separate --stderr file the lines go there, not into stdout's; a restart says so", async () => {
    const out = join(work, 'sep-out.log');
    const err = join(work, 'sep-err.log');
    const r = await h.dk([
      'start',
      '--name',
      'sep',
      '--grace',
      '0',
      '--stdout',
      out,
      '--stderr',
      err,
      '--',
      'sh',
      '-c',
      'echo out; echo err >&2; exec sleep 1000',
    ]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(
      () => readText(out) === 'out\n' && commandText(readText(err)) === 'err\n',
      5000,
      'the lines',
    );
    assert.equal((await h.dk(['restart', '--name', 'sep'])).code, 0);
    await waitFor(() => readText(out) === 'out\nout\n', 5000, 'the restarted COMMAND');
    assert.equal((await h.dk(['stop', '--name', 'sep'])).code, 0);
    assert.equal(readText(out), 'out\nout\n');
    const own = lines(readText(err)).filter((l) => OWN_LINE.test(l));
    const sh = own[0].split(' ')[2]; // sh as found on the PATH
    const started = `daemonkit: started ${sh} -c 'echo out; echo err >&2; exec sleep 1000'`;
    assert.deepEqual(
      own.map((l) => l.replace(/ \(.*\)$|, pid \d+$/, '')),
      [
        // without the pids and how it ended
        started,
        'daemonkit: stopping, asked by daemonkit restart',
        'daemonkit: stopped by daemonkit restart',
        started,
        'daemonkit: stopping, asked by daemonkit stop',
        'daemonkit: stopped by daemonkit stop',
      ],
    );
  });

  it("`run` prints them on its stderr (its COMMAND's output where it was); with --stderr FILE, in the file too", async () => {
    const r = await h.dk([
      'run',
      '--name',
      'fg7',
      '--grace',
      '0',
      '--restart',
      'on-failure',
      '--restart-delay',
      '10ms',
      '--max-restarts',
      '1',
      '--',
      'sh',
      '-c',
      'echo x; exit 3',
    ]);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'x\nx\n');
    const err = lines(r.stderr);
    for (const [i, re] of [
      /^daemonkit: started \S*sh -c 'echo x; exit 3', pid \d+$/,
      /^daemonkit: exited with code 3 after \S+; restarting in 10ms$/,
      /^daemonkit: restart 1: started /,
      /^daemonkit: exited with code 3 after \S+; giving up: crash loop: more than 1 restarts within 60s$/,
    ].entries())
      assert.match(err[i] ?? '', re, r.stderr);
    assert.equal(err.length, 4, r.stderr);
    const file = join(work, 'fg-err.log');
    const f = await h.dk([
      'run',
      '--name',
      'fg8',
      '--grace',
      '0',
      '--stderr',
      file,
      '--',
      'sh',
      '-c',
      'echo e >&2',
    ]);
    assert.equal(f.code, 0, f.stderr);
    const inFile = lines(readText(file));
    assert.deepEqual(
      inFile.map((l) => l.replace(/, pid \d+$| after \S+$/, '')),
      [
        `daemonkit: started ${inFile[0].split(' ')[2]} -c 'echo e >&2'`,
        'e',
        'daemonkit: exited with code 0',
      ],
    );
    assert.deepEqual(lines(f.stderr), [inFile[0], inFile[2]]);
  });
});
