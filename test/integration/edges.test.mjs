// Edge cases found in review: each states what must hold.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CLI,
  NODE,
  commandText,
  fdTargets,
  isAlive,
  makeHome,
  readJson,
  startedPids,
  waitFor,
  readText,
} from '../helpers.mjs';

const h = makeHome();
after(() => h.cleanup());
const LINES = join(import.meta.dirname, '..', 'fixtures', 'lines.mjs');
const read = (path) => commandText(readText(path)); // the COMMAND's lines, not the supervisor's own
const numbered = (text) => text.split('\n').filter(Boolean);
const state = (name) => readJson(join(h.dir(name), 'state.json'));

describe('SIGUSR1 while the supervisor boots', () => {
  it("never opens node's inspector; `reopen` right after a --grace 0 start waits for the supervisor and succeeds", async () => {
    const r = await h.dk(['start', '--name', 'usr1', '--grace', '0', '--', '/bin/sleep', '1000']);
    const { pid } = startedPids(r.stdout);
    process.kill(pid, 'SIGUSR1'); // node is still booting
    const reopened = await h.dk(['reopen', '--name', 'usr1']);
    assert.equal(reopened.code, 0, reopened.stderr);
    await waitFor(() => state('usr1')?.handlesSignals, 5000, 'handlers');
    await new Promise((resolve) => setTimeout(resolve, 1500)); // its last look for an inspector
    const sockets = Object.values(fdTargets(pid)).filter((t) => t.startsWith('socket:'));
    assert.deepEqual(sockets, [], 'no inspector socket (nor any other) in the supervisor');
    assert.equal(existsSync(join(h.dir('usr1'), 'reopen.json')), false);
    assert.equal((await h.dk(['stop', '--name', 'usr1'])).code, 0);
  });
});

describe('a COMMAND that leaves a writer behind', () => {
  it("the supervisor does not spin on the survivor's output; stop ends it; the next start is not hit by an old stop request", async () => {
    const r = await h.dk([
      'start',
      '--name',
      'yes',
      '--grace',
      '0',
      '--log-max-size',
      '1M',
      '--log-keep',
      '1',
      '--',
      '/bin/sh',
      '-c',
      'yes & sleep 0.3; exit 0',
    ]);
    const { pid } = startedPids(r.stdout);
    await waitFor(
      () => ['stopped', 'exited'].includes(state('yes')?.state) || !isAlive(pid),
      30000,
      'the survivor stopped by the supervisor',
    );
    const again = await h.dk([
      'start',
      '--name',
      'yes',
      '--grace',
      '0',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((await h.dk(['stop', '--name', 'yes'])).code, 0);
  });
});

describe('rotation against a moved file', () => {
  it('moving NAME.log away does not rotate the history away; a file already over the limit rotates before the next line', async () => {
    const dir = h.dir('mv');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'mv.log'), `${'x'.repeat(5000)}\n`); // over the limit before we start
    const { pid } = await h
      .dk([
        'start',
        '--name',
        'mv',
        '--grace',
        '0',
        '--log-max-size',
        '4K',
        '--log-keep',
        '3',
        '--',
        NODE,
        LINES,
        'tick',
        '1',
      ])
      .then((r) => startedPids(r.stdout));
    await waitFor(() => existsSync(join(dir, 'mv.log.3')), 20000, 'three rotations');
    assert.equal(
      read(join(dir, 'mv.log.3')),
      `${'x'.repeat(5000)}\n`,
      'the old oversized file became .1 and moved on intact',
    );
    renameSync(join(dir, 'mv.log'), join(dir, 'moved.log'));
    // Once the moved file is full, writing goes on in a fresh NAME.log (no shift of the history).
    await waitFor(() => existsSync(join(dir, 'mv.log')), 10000, 'a fresh file');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(
      existsSync(join(dir, 'mv.log.1')) &&
        existsSync(join(dir, 'mv.log.2')) &&
        existsSync(join(dir, 'mv.log.3')),
      readdirSync(dir).join(' '),
    );
    assert.ok(
      statSync(join(dir, 'moved.log')).size <= 4096,
      'the moved file stopped growing past the limit',
    );
    assert.equal((await h.dk(['reopen', '--name', 'mv'])).code, 0);
    assert.equal(state('mv').logError, undefined);
    assert.ok(isAlive(pid));
    assert.equal((await h.dk(['stop', '--name', 'mv'])).code, 0);
  });
});

describe('unfinished last lines', () => {
  it("are in a failed start's stderr tail, and a restarted COMMAND does not continue them", async () => {
    const r = await h.dk([
      'start',
      '--name',
      'noeol',
      '--',
      '/bin/sh',
      '-c',
      'echo first >&2; printf "boom: fatal" >&2; exit 3',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\| first\n.*\| boom: fatal\n/s);
    const s = await h.dk([
      'start',
      '--name',
      'noeol2',
      '--grace',
      '0',
      '--restart',
      'always',
      '--restart-delay',
      '10ms',
      '--',
      '/bin/sh',
      '-c',
      'printf "part-$$"; sleep 0.05; exit 1',
    ]);
    assert.equal(s.code, 0, s.stderr);
    await waitFor(() => (state('noeol2')?.restarts ?? 0) >= 3, 10000, 'restarts');
    assert.equal((await h.dk(['stop', '--name', 'noeol2'])).code, 0);
    // Each run's unfinished line once, whole: a restarted COMMAND's first bytes neither lost nor
    // replaced by the last run's (the pipe's reader once read them to where the last line had
    // ended).
    const log = readText(join(h.dir('noeol2'), 'noeol2.log'));
    const lines = numbered(commandText(log));
    for (const line of lines) assert.match(line, /^part-\d+$/);
    assert.equal(new Set(lines).size, lines.length, `a run's line twice: ${log}`);
    const started = [...log.matchAll(/^daemonkit: (?:restart \d+: )?started .*, pid (\d+)$/gm)].map(
      (m) => `part-${m[1]}`,
    );
    assert.deepEqual(lines, started.slice(0, lines.length), log);
    // the last run may be stopped before it wrote
    assert.ok(lines.length >= 3 && lines.length >= started.length - 1, log);
  });
});

describe('--ready notify edges', () => {
  it('READY=1 from a helper that exits at once (systemd-notify style) counts; so does READY=1 just before the COMMAND exits', async () => {
    const send = `python3 -c 'import socket,os; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])'`;
    for (let i = 0; i < 3; i++) {
      const r = await h.dk([
        'start',
        '--name',
        `helper${i}`,
        '--ready',
        'notify',
        '--ready-timeout',
        '10s',
        '--',
        '/bin/sh',
        '-c',
        `${send}; exec sleep 1000`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await h.dk(['stop', '--name', `helper${i}`])).code, 0);
      const e = await h.dk([
        'start',
        '--name',
        `exits${i}`,
        '--ready',
        'notify',
        '--ready-timeout',
        '10s',
        '--',
        '/bin/sh',
        '-c',
        `${send}; exit 0`,
      ]);
      assert.equal(e.code, 0, `run ${i}: ${e.stderr}`);
    }
  });

  it('a supervisor killed with -9 leaves its notify socket behind; the next start clears it', async () => {
    const py =
      'import socket,os,time\nsocket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])\nwhile True: time.sleep(1)';
    const r = await h.dk(['start', '--name', 'k9', '--ready', 'notify', '--', 'python3', '-c', py]);
    const { pid, childPid } = startedPids(r.stdout);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid), 5000, 'the supervisor gone');
    assert.equal(readdirSync(h.dir('k9')).filter((f) => f.startsWith('dk-notify-')).length, 1);
    const again = await h.dk([
      'start',
      '--name',
      'k9',
      '--ready',
      'notify',
      '--',
      'python3',
      '-c',
      py,
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(isAlive(childPid), false, 'the orphan was stopped first');
    assert.equal(
      readdirSync(h.dir('k9')).filter((f) => f.startsWith('dk-notify-')).length,
      1,
      'only the new socket',
    );
    assert.equal((await h.dk(['stop', '--name', 'k9'])).code, 0);
  });
});

describe('logs -f under fast rotation', () => {
  it('a 4 KB limit rotated many times between two looks: every line once, in order', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'fast',
      '--grace',
      '0',
      '--log-max-size',
      '4K',
      '--log-keep',
      '2000',
      '--',
      NODE,
      LINES,
      'tick',
      '1',
      '10',
    ]);
    const writer = startedPids(r.stdout).childPid;
    const log = join(h.dir('fast'), 'fast.log');
    await waitFor(() => numbered(read(log)).length > 5, 5000, 'lines');
    const follower = spawn(NODE, ['--', CLI, 'logs', '--name', 'fast', '-n', '1', '-f'], {
      env: { ...process.env, ...h.env },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    h.track(follower.pid);
    let out = '';
    follower.stdout.on('data', (d) => (out += d));
    // Let the writer run ahead of the follower: it should read 20+ rotated files in one go. (Ten
    // lines a tick: the rotations come from the bytes written, not from how often a loaded
    // machine runs a 1 ms timer.)
    follower.kill('SIGSTOP');
    await waitFor(
      () => readdirSync(h.dir('fast')).filter((f) => f.startsWith('fast.log.')).length >= 25,
      30000,
      'rotations',
    );
    // The writer waits while the follower reads those files (a loaded machine need not keep up
    // with 17 rotations a second to prove this), then goes on: the lines must join up.
    process.kill(writer, 'SIGSTOP');
    follower.kill('SIGCONT');
    const last = Number(numbered(read(log)).at(-1));
    await waitFor(
      () => numbered(out).some((l) => Number(l) >= last),
      20000,
      'the follower to read the rotated files',
    );
    process.kill(writer, 'SIGCONT');
    const target = last + 50;
    await waitFor(
      () => numbered(out).some((l) => Number(l) >= target),
      20000,
      'the follower to follow on',
    );
    follower.kill('SIGINT');
    const lines = numbered(out).map(Number);
    for (let i = 1; i < lines.length; i++)
      if (lines[i] !== lines[i - 1] + 1) assert.fail(`after ${lines[i - 1]} came ${lines[i]}`);
    assert.equal((await h.dk(['stop', '--name', 'fast'])).code, 0);
  });
});

describe('compression leaves nothing half-done behind', () => {
  it('no temporary .gz files after a stop', async () => {
    await h.dk([
      'start',
      '--name',
      'gzt',
      '--grace',
      '0',
      '--log-max-size',
      '4K',
      '--log-keep',
      '3',
      '--log-compress',
      '--',
      NODE,
      LINES,
      'count',
      '20000',
    ]);
    await waitFor(
      () => read(join(h.dir('gzt'), 'gzt.log')).endsWith('019999\n'),
      20000,
      'all lines',
    );
    assert.equal((await h.dk(['stop', '--name', 'gzt'])).code, 0);
    const again = await h.dk([
      'start',
      '--name',
      'gzt',
      '--grace',
      '0',
      '--log-max-size',
      '4K',
      '--log-keep',
      '3',
      '--log-compress',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(again.code, 0);
    await waitFor(
      () => readdirSync(h.dir('gzt')).filter((f) => /^gzt\.log\.\d+$/.test(f)).length === 0,
      10000,
      'leftover plain rotated files compressed',
    );
    assert.deepEqual(
      readdirSync(h.dir('gzt')).filter((f) => f.endsWith('.tmp')),
      [],
    );
    assert.equal((await h.dk(['stop', '--name', 'gzt'])).code, 0);
    execFileSync('sh', ['-c', `for f in ${h.dir('gzt')}/gzt.log.*.gz; do gzip -t "$f"; done`]);
  });
});
