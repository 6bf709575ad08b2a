// Logs: the supervisor owns the files; lines never mix, rotation and reopen lose nothing,
// a full disk blocks the COMMAND instead of costing lines or memory, `logs -f` follows.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  statfsSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CLI,
  NODE,
  commandText,
  exits,
  fdTargets,
  isAlive,
  makeHome,
  readJson,
  startedPids,
  waitFor,
  readText,
} from '../helpers.mjs';

const h = makeHome();
const work = mkdtempSync(join(tmpdir(), 'dk-logs-'));
const LINES = join(import.meta.dirname, '..', 'fixtures', 'lines.mjs');
const mounts = [];
after(async () => {
  await h.cleanup();
  for (const m of mounts) {
    try {
      execFileSync('umount', [m]);
    } catch {
      // not mounted
    }
  }
  rmSync(work, { recursive: true, force: true });
});

// The COMMAND's lines: the supervisor's own (`daemonkit: …`) are tested in status-facts.test.mjs.
const read = (path) => commandText(readText(path));
const logOf = (name) => join(h.dir(name), `${name}.log`);
/** Every rotated file of `base` (plain or gzipped), oldest first, then `base` itself. */
function allFiles(base) {
  const dir = join(base, '..');
  const prefix = `${base.split('/').pop()}.`;
  const rotated = readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && /^\d+$/.test(f.slice(prefix.length)))
    .sort((a, b) => Number(b.slice(prefix.length)) - Number(a.slice(prefix.length)));
  return [...rotated.map((f) => join(dir, f)), base];
}
const numbered = (text) => text.split('\n').filter(Boolean);
/** The lines are 0, 1, 2, … each exactly once and in order. */
function assertSequence(lines, from = 0) {
  for (let i = 0; i < lines.length; i++) {
    if (Number(lines[i]) !== from + i)
      assert.fail(`line ${i} is ${JSON.stringify(lines[i])}, expected ${from + i}`);
  }
}
async function start(name, args) {
  const r = await h.dk(['start', '--name', name, '--grace', '0', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return startedPids(r.stdout);
}

describe('capture', () => {
  it('stdout and stderr sharing a file never mix inside a line, though written in pieces', async () => {
    await start('mix', ['--', NODE, LINES, 'mix', '2000']);
    const lines = await waitFor(
      () => {
        const l = numbered(read(logOf('mix')));
        return l.length >= 4000 && l;
      },
      20000,
      '4000 lines',
    );
    assert.equal(lines.length, 4000);
    assert.equal(lines.filter((l) => l === 'A'.repeat(100)).length, 2000);
    assert.equal(lines.filter((l) => l === 'B'.repeat(100)).length, 2000);
    assert.equal((await h.dk(['stop', '--name', 'mix'])).code, 0);
  });

  it('--log-timestamps prefixes each line with an ISO-8601 UTC time; --stdout and --stderr split', async () => {
    const out = join(work, 'ts', 'out.log'); // a directory that does not exist yet
    const err = join(work, 'ts', 'err.log');
    await start('ts', [
      '--log-timestamps',
      '--stdout',
      out,
      '--stderr',
      err,
      '--',
      '/bin/sh',
      '-c',
      'echo one; echo two >&2; printf "three"; exec sleep 1000',
    ]);
    await waitFor(() => read(out).includes('one') && read(err).includes('two'), 5000, 'lines');
    assert.equal((await h.dk(['stop', '--name', 'ts'])).code, 0);
    const iso = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';
    assert.match(
      read(out),
      new RegExp(`^${iso} one\\n${iso} three\\n$`),
      'the unfinished last line is written at stop',
    );
    assert.match(read(err), new RegExp(`^${iso} two\\n$`));
  });
});

describe('rotation', () => {
  it('200,000 lines as fast as they come, rotated every 256 KB: every line exactly once, in order', async () => {
    const { pid } = await start('flood', [
      '--log-max-size',
      '256K',
      '--log-keep',
      '20',
      '--',
      NODE,
      LINES,
      'count',
      '200000',
    ]);
    await waitFor(() => read(logOf('flood')).endsWith('199999\n'), 30000, 'the last line');
    const files = allFiles(logOf('flood'));
    assert.ok(files.length >= 5, `${files.length} files`);
    for (const f of files)
      assert.ok(statSync(f).size <= 256 * 1024, `${f}: ${statSync(f).size} bytes`);
    assertSequence(files.flatMap((f) => numbered(read(f))));
    assert.equal(files.flatMap((f) => numbered(read(f))).length, 200000);
    // The supervisor holds the current file only (its own stderr included): no rotated one.
    const held = Object.values(fdTargets(pid)).filter((t) => t.includes('flood.log'));
    assert.ok(held.length >= 1 && held.every((t) => t === logOf('flood')), held.join(', '));
    assert.equal((await h.dk(['stop', '--name', 'flood'])).code, 0);
  });

  it('--log-keep 2 --log-compress: two gzipped generations, the newest lines', async () => {
    await start('gz', [
      '--log-max-size',
      '8K',
      '--log-keep',
      '2',
      '--log-compress',
      '--',
      NODE,
      LINES,
      'count',
      '20000',
    ]);
    await waitFor(() => read(logOf('gz')).endsWith('019999\n'), 20000, 'the last line');
    const dir = h.dir('gz');
    await waitFor(
      () =>
        readdirSync(dir)
          .filter((f) => f.startsWith('gz.log.'))
          .every((f) => f.endsWith('.gz')),
      10000,
      'compression',
    );
    assert.deepEqual(
      readdirSync(dir)
        .filter((f) => f.startsWith('gz.log'))
        .sort(),
      ['gz.log', 'gz.log.1.gz', 'gz.log.2.gz'],
    );
    const text = execFileSync('sh', [
      '-c',
      `zcat ${dir}/gz.log.2.gz ${dir}/gz.log.1.gz; cat ${dir}/gz.log`,
    ]).toString();
    const lines = numbered(text);
    assert.equal(lines.at(-1), '019999');
    assertSequence(lines, Number(lines[0]));
    assert.equal((await h.dk(['stop', '--name', 'gz'])).code, 0);
  });

  it('--log-max-size on a log that is not a regular file — a device (a private /dev/null node, as root) or a symbolic link — never renames or deletes it: writing goes on in it (through the link, into its file) and status says it is not rotated', async () => {
    const dir = join(work, 'odd');
    mkdirSync(dir);
    const targets = [['link', join(dir, 'link.log')]];
    writeFileSync(join(dir, 'real.log'), '');
    execFileSync('ln', ['-s', 'real.log', join(dir, 'link.log')]);
    if (process.getuid() === 0) {
      execFileSync('mknod', ['-m', '666', join(dir, 'null'), 'c', '1', '3']);
      targets.push(['device', join(dir, 'null')]);
    }
    for (const [what, path] of targets) {
      await start(`odd-${what}`, [
        '--stdout',
        path,
        '--log-max-size',
        '4K',
        '--',
        NODE,
        LINES,
        'count',
        '3000',
      ]);
      if (what === 'link')
        await waitFor(
          () => read(join(dir, 'real.log')).endsWith('002999\n'),
          20000,
          "the last line in the link's file",
        );
      else
        await waitFor(
          () => readJson(join(h.dir(`odd-${what}`), 'state.json')).logError,
          20000,
          'the log error',
        );
      const s = await h.dk(['status', '--name', `odd-${what}`]);
      assert.match(s.stdout, /log error: not rotating .*: it is not a regular file/, s.stdout);
      assert.equal((await h.dk(['stop', '--name', `odd-${what}`])).code, 0);
    }
    assertSequence(numbered(read(join(dir, 'real.log'))));
    assert.equal(numbered(read(join(dir, 'real.log'))).length, 3000);
    const left = readdirSync(dir).sort();
    assert.deepEqual(
      left,
      process.getuid() === 0 ? ['link.log', 'null', 'real.log'] : ['link.log', 'real.log'],
      'nothing renamed, nothing made beside them',
    );
    assert.ok(
      execFileSync('stat', ['-c', '%F', join(dir, 'link.log')])
        .toString()
        .startsWith('symbolic link'),
    );
    if (process.getuid() === 0)
      assert.ok(statSync(join(dir, 'null')).isCharacterDevice(), 'the device is still a device');
  });

  it('--stdout naming a FIFO: start ends with exit 2 and one line naming it (no reader: not a hang in open)', async () => {
    const fifo = join(work, 'fifo.log');
    execFileSync('mkfifo', [fifo]);
    const r = await h.dk(['start', '--name', 'fifo', '--stdout', fifo, '--', 'sleep', '50']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(r.stderr.includes(fifo), r.stderr);
  });
});

describe('reopen', () => {
  const hasLogrotate = (() => {
    try {
      execFileSync('logrotate', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it('real logrotate with create + postrotate `daemonkit reopen`: nothing lost, new lines in the new file', {
    skip:
      !hasLogrotate && 'logrotate is not installed (Debian package logrotate; .ci/run installs it)',
  }, async () => {
    await start('lr', ['--', NODE, LINES, 'tick', '2']);
    const log = logOf('lr');
    await waitFor(() => numbered(read(log)).length > 50, 5000, 'lines');
    const conf = join(work, 'lr.conf');
    writeFileSync(
      conf,
      `${log} {\n  rotate 3\n  create 0640 root root\n  missingok\n  postrotate\n    ${NODE} -- ${CLI} reopen --name lr --quiet\n  endscript\n}\n`,
    );
    execFileSync('logrotate', ['-f', '-s', join(work, 'lr.state'), conf], {
      env: { ...process.env, ...h.env },
    });
    assert.ok(existsSync(`${log}.1`));
    await waitFor(() => numbered(read(log)).length > 50, 5000, 'lines in the new file');
    assert.equal(
      statSync(log).mode & 0o777,
      0o640,
      'the file logrotate created is the one we write',
    );
    assert.equal((await h.dk(['stop', '--name', 'lr'])).code, 0);
    const before = numbered(read(`${log}.1`));
    const afterRotate = numbered(read(log));
    assertSequence([...before, ...afterRotate]);
  });

  it('real logrotate with copytruncate: writing goes on at the start of the file, no hole', {
    skip: !hasLogrotate && 'logrotate is not installed',
  }, async () => {
    await start('ct', ['--', NODE, LINES, 'tick', '2']);
    const log = logOf('ct');
    await waitFor(() => numbered(read(log)).length > 50, 5000, 'lines');
    const conf = join(work, 'ct.conf');
    writeFileSync(conf, `${log} {\n  rotate 3\n  copytruncate\n}\n`);
    execFileSync('logrotate', ['-f', '-s', join(work, 'ct.state'), conf]);
    await waitFor(() => numbered(read(log)).length > 20, 5000, 'lines after the truncation');
    assert.equal((await h.dk(['stop', '--name', 'ct'])).code, 0);
    const text = read(log);
    assert.ok(!text.includes('\0'), 'no sparse hole of NULs before the new lines');
    const lines = numbered(text);
    assertSequence(lines, Number(lines[0]));
    assert.ok(
      Number(lines[0]) >= numbered(read(`${log}.1`)).length - 5,
      'the new file starts where the copy ended (give or take the copy window)',
    );
  });

  it('SIGUSR1 to the supervisor reopens too; an unopenable file is reported, the COMMAND keeps running, and nothing is lost once fixed', async () => {
    const { pid, childPid } = await start('uo', ['--', NODE, LINES, 'tick', '2']);
    const log = logOf('uo');
    await waitFor(() => numbered(read(log)).length > 20, 5000, 'lines');
    renameSync(log, `${log}.old`);
    process.kill(pid, 'SIGUSR1');
    await waitFor(() => numbered(read(log)).length > 20, 5000, 'a new file after SIGUSR1');
    // Now make the path unopenable: a directory where the file should be.
    renameSync(log, `${log}.mid`);
    mkdirSync(log);
    const r = await h.dk(['reopen', '--name', 'uo']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^daemonkit: uo: cannot open .*uo\.log: .*\n$/);
    const s = await h.dk(['status', '--name', 'uo']);
    assert.equal(s.code, 0, 'still running');
    assert.match(s.stdout, /log error: cannot open/);
    assert.equal(
      readJson(join(h.dir('uo'), 'state.json')).logError.startsWith('cannot open'),
      true,
    );
    // the COMMAND keeps writing (into the pipe)
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(isAlive(childPid));
    rmdirSync(log);
    const fixed = await h.dk(['reopen', '--name', 'uo']);
    assert.equal(fixed.code, 0, fixed.stderr);
    await waitFor(() => numbered(read(log)).length > 20, 5000, 'writing resumed');
    assert.equal(readJson(join(h.dir('uo'), 'state.json')).logError, undefined);
    assert.equal((await h.dk(['stop', '--name', 'uo'])).code, 0);
    assertSequence([`${log}.old`, `${log}.mid`, log].flatMap((f) => numbered(read(f))));
  });

  it('reopen of a service that is not running is exit 7; of no such service too, said so', async () => {
    mkdirSync(h.dir('stopped-one'), { recursive: true });
    const r = await h.dk(['reopen', '--name', 'stopped-one']);
    assert.equal(r.code, 7);
    assert.equal(r.stderr, 'daemonkit: stopped-one is not running\n');
    const n = await h.dk(['reopen', '--name', 'nothing-here']);
    assert.equal(n.code, 7);
    assert.equal(
      n.stderr,
      `daemonkit: no such service nothing-here (nothing at ${h.dir('nothing-here')})\n`,
    );
  });
});

describe('a full disk', () => {
  const root = process.getuid() === 0;
  it('blocks the COMMAND (no lines lost, no busy loop, memory flat), reports it, and resumes when space returns', {
    skip: !root && 'needs root to mount a small tmpfs',
  }, async () => {
    const mnt = join(work, 'small');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]);
    mounts.push(mnt);
    // Leave about 8 KiB free: the COMMAND fills that within a few hundred lines.
    const filler = join(mnt, 'filler');
    const { bavail, bsize } = statfsSync(mnt);
    writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - 8192)));
    const log = join(mnt, 'full.log');
    const { pid, childPid } = await start('full', [
      '--stdout',
      log,
      '--',
      NODE,
      LINES,
      'tick',
      '1',
    ]);
    const s = await waitFor(
      () => {
        const st = readJson(join(h.dir('full'), 'state.json'));
        return st?.logError ? st : null;
      },
      20000,
      'a log error in the state',
    );
    assert.match(s.logError, /no space left on device/i);
    const status = await h.dk(['status', '--name', 'full']);
    assert.equal(status.code, 0);
    assert.match(status.stdout, /log error: cannot write .*full\.log: ENOSPC/);
    // Blocked, not busy: over a second the supervisor uses next to no CPU; the COMMAND is alive.
    const ticks = (p) => {
      const f = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      return Number(f[11]) + Number(f[12]);
    };
    const t0 = ticks(pid);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.ok(
      ticks(pid) - t0 <= 10,
      `supervisor used ${ticks(pid) - t0} ticks in 1 s while the disk was full`,
    );
    assert.ok(isAlive(childPid));
    // A start into the full disk says so on its stderr (the supervisor reports it with its
    // readiness). The grace is long so a loaded machine's sh has surely echoed by then.
    const second = await h.dk([
      'start',
      '--name',
      'full2',
      '--grace',
      '1000',
      '--stdout',
      join(mnt, 'full2.log'),
      '--',
      '/bin/sh',
      '-c',
      'echo hello; exec sleep 1000',
    ]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(
      second.stderr,
      /^daemonkit: full2: cannot write .*full2\.log: ENOSPC.*; output waits in the pipe until it can be written\n$/,
    );
    assert.equal((await h.dk(['stop', '--name', 'full2'])).code, 0);
    unlinkSync(filler);
    await waitFor(
      () => readJson(join(h.dir('full'), 'state.json'))?.logError === undefined,
      10000,
      'the error cleared',
    );
    const n = numbered(read(log)).length;
    await waitFor(() => numbered(read(log)).length > n + 20, 5000, 'writing resumed');
    assert.equal((await h.dk(['stop', '--name', 'full'])).code, 0);
    assertSequence(numbered(read(log)));
    await exits(pid); // the supervisor, torn down a moment after stop returns (helpers.mjs)
  });
});

describe('logs', () => {
  it('-n N prints the last N lines; -f follows across rotations until Ctrl-C, every line once', async () => {
    await start('tail', [
      '--log-max-size',
      '16K',
      '--log-keep',
      '50',
      '--',
      NODE,
      LINES,
      'tick',
      '1',
    ]);
    const log = logOf('tail');
    await waitFor(() => numbered(read(log)).length >= 10, 5000, 'lines');
    const last = await h.dk(['logs', '--name', 'tail', '-n', '3']);
    assert.equal(last.code, 0);
    assert.equal(numbered(last.stdout).length, 3);
    assertSequence(numbered(last.stdout), Number(numbered(last.stdout)[0]));

    const follower = spawn(NODE, ['--', CLI, 'logs', '--name', 'tail', '-n', '5', '-f'], {
      env: { ...process.env, ...h.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    h.track(follower.pid);
    let out = '';
    follower.stdout.on('data', (d) => (out += d));
    // ~3 rotations at 16 KB (7 bytes a line, one a millisecond-ish)
    await waitFor(() => allFiles(log).length >= 4, 30000, 'three rotations');
    // The last whole line the files hold: NAME.log may have none yet — this look comes just after
    // a rotation (then it is not there, or empty: under load the first write after it can take a
    // while), and a number from no line (NaN) is a wait that cannot end.
    const written = read(`${log}.1`) + read(log);
    const seenUpTo = Number(numbered(written.slice(0, written.lastIndexOf('\n') + 1)).at(-1));
    assert.ok(
      Number.isInteger(seenUpTo),
      `a line in ${log}(.1): ${JSON.stringify(written.slice(-20))}`,
    );
    await waitFor(
      () => numbered(out).some((l) => Number(l) >= seenUpTo),
      10000,
      'the follower to catch up',
    );
    const exited = new Promise((resolve) =>
      follower.on('exit', (code, signal) => resolve({ code, signal })),
    );
    follower.kill('SIGINT');
    assert.deepEqual(await exited, { code: 0, signal: null });
    const lines = numbered(out);
    assertSequence(lines, Number(lines[0]));
    assert.equal((await h.dk(['stop', '--name', 'tail'])).code, 0);
  });

  it('a service with no log file: exit 1 and one line (no such service: that said)', async () => {
    mkdirSync(h.dir('never'), { recursive: true });
    const r = await h.dk(['logs', '--name', 'never']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^daemonkit: never: no log file at .*never\.log\n$/);
    const s = await h.dk(['logs', '--name', 'nevermore']);
    assert.equal(s.code, 1);
    assert.match(s.stderr, /^daemonkit: no such service nevermore \(nothing at .*nevermore\)\n$/);
  });
});

describe('foreground run', () => {
  it('--log-timestamps stamps the lines on our own stdout', async () => {
    const r = await h.dk([
      'run',
      '--name',
      'fg',
      '--grace',
      '0',
      '--log-timestamps',
      '--',
      '/bin/sh',
      '-c',
      'echo hello; echo oops >&2',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z hello\n$/);
    assert.match(commandText(r.stderr), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z oops\n$/);
  });
});

describe('validation', () => {
  it('bad log options are exit 2, every problem named', async () => {
    const r = await h.dk([
      'start',
      '--name',
      'bad',
      '--log-max-size',
      'lots',
      '--log-keep',
      'x',
      '--',
      '/bin/true',
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid --log-max-size 'lots'/);
    assert.match(r.stderr, /invalid --log-keep 'x'/);
  });
});
