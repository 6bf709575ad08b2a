// `daemonkit logs`: -f under very fast size rotation (every line once, in order), -n reaching
// into rotated and compressed files, long lines byte for byte, logrotate's rename before reopen.
// Real services started with the built CLI; the follower is the real `logs -f`.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import {
  CLI,
  NODE,
  OWN_LINE,
  commandText,
  logsFollower,
  makeHome,
  startedPids,
  waitFor,
  readText,
} from '../helpers.mjs';

const h = makeHome();
after(() => h.cleanup());
const LINES = join(import.meta.dirname, '..', 'fixtures', 'lines.mjs');
const logOf = (name) => join(h.dir(name), `${name}.log`);
const numbered = (text) => text.split('\n').filter(Boolean);
const line = (i) => String(i).padStart(6, '0');

async function start(name, args) {
  const r = await h.dk(['start', '--name', name, '--grace', '0', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return startedPids(r.stdout);
}

const follower = (name, args) => logsFollower(h, name, args);

/** NAME.log.K(.gz) … NAME.log.1, NAME.log: their content concatenated, oldest first. */
function concatenated(name) {
  const dir = h.dir(name);
  const rotated = readdirSync(dir)
    .map((f) => /^[^.]+\.log\.(\d+)(\.gz)?$/.exec(f))
    .filter(Boolean)
    .sort((a, b) => b[1] - a[1]);
  const files = [...rotated.map((m) => join(dir, m[0])), logOf(name)];
  return execFileSync('sh', [
    '-c',
    'for f; do case $f in *.gz) zcat "$f";; *) cat "$f";; esac; done',
    'sh',
    ...files,
  ]);
}

describe('logs -f', () => {
  for (const compress of [false, true]) {
    it(`100,000 lines at ~100k lines/s rotated every 4 KiB (--log-keep 50${compress ? ', --log-compress' : ''}), stopped now and then: every line exactly once, in order, nothing on stderr`, async () => {
      const name = compress ? 'fastgz' : 'fast';
      const { childPid } = await start(name, [
        '--log-max-size',
        '4K',
        '--log-keep',
        '50',
        ...(compress ? ['--log-compress'] : []),
        '--',
        NODE,
        LINES,
        'paced',
        '100000',
        '100000',
      ]);
      await waitFor(
        () => commandText(readText(logOf(name))) === 'ready\n',
        10000,
        'the writer ready',
      );
      const f = follower(name, ['-n', '1']);
      await f.until('ready\n', 'the follower');
      process.kill(childPid, 'SIGUSR2');
      // The follower is stopped now and then (a busy machine): it falls some rotations behind —
      // 50 ms is ~8 files at this rate, of the 50 kept — and catches up while rotation goes on.
      const fits = setInterval(() => {
        f.signal('SIGSTOP');
        setTimeout(() => f.signal('SIGCONT'), 50);
      }, 200);
      await f.until(`${line(99999)}\n`, 'the last line').finally(() => clearInterval(fits));
      await f.stop();
      assert.equal(f.stderr(), '');
      const lines = numbered(f.text());
      assert.equal(lines.shift(), 'ready');
      for (let i = 0; i < lines.length; i++)
        if (lines[i] !== line(i)) assert.fail(`line ${i} is ${lines[i]}`);
      assert.equal(lines.length, 100000);
      assert.ok(
        readdirSync(h.dir(name)).filter((f) => f.startsWith(`${name}.log.`)).length >= 40,
        'it did rotate, many times',
      );
      assert.equal((await h.dk(['stop', '--name', name])).code, 0);
    });
  }

  it('a 200 KiB line and the lines around it: the output is the file, byte for byte', async () => {
    const script = `process.on('SIGUSR2', () => { const w = (s) => require('fs').writeSync(1, s);
      w('x'.repeat(70000)); setTimeout(() => { w('y'.repeat(134800) + '\\n'); w('after\\n'); }, 50); });
      setInterval(() => {}, 1e9); require('fs').writeSync(1, 'ready\\n');`;
    const { childPid } = await start('long', ['--', NODE, '-e', script]);
    await waitFor(() => commandText(readText(logOf('long'))) === 'ready\n', 10000, 'ready');
    const f = follower('long', ['-n', '1']);
    await f.until('ready\n', 'the follower');
    process.kill(childPid, 'SIGUSR2');
    await f.until('after\n', 'the last line');
    await f.stop();
    const whole = readFileSync(logOf('long'));
    const file = whole.subarray(whole.indexOf('\n') + 1); // after the supervisor's line (-n 1 began at ready)
    assert.match(whole.toString('latin1', 0, whole.indexOf('\n')), OWN_LINE);
    assert.ok(file.length > 200 * 1024);
    assert.ok(f.bytes().equals(file), `follower: ${f.bytes().length} bytes, file: ${file.length}`);
    const last = await h.dk(['logs', '--name', 'long', '-n', '3']);
    assert.equal(
      last.stdout,
      file.toString().split('\n').slice(-4).join('\n'),
      'logs -n: the same lines',
    );
    assert.equal((await h.dk(['stop', '--name', 'long'])).code, 0);
  });

  it('logrotate renames the file, creates a new one, then reopens: -f reads the renamed one until the reopen', async () => {
    await start('lr', ['--', NODE, LINES, 'tick', '2']);
    const log = logOf('lr');
    await waitFor(() => numbered(readText(log)).length > 10, 5000, 'lines');
    const f = follower('lr', ['-n', '1000000']);
    await f.until('\n', 'the follower');
    renameSync(log, `${log}.1`);
    writeFileSync(log, ''); // logrotate's create; the supervisor still writes the renamed file
    const before = numbered(readText(`${log}.1`)).length;
    await waitFor(
      () => numbered(readText(`${log}.1`)).length > before + 30,
      5000,
      'lines into the renamed file',
    );
    assert.equal((await h.dk(['reopen', '--name', 'lr'])).code, 0);
    await waitFor(() => numbered(readText(log)).length > 20, 5000, 'lines in the new file');
    // The service goes on writing: caught up once the follower has printed this line, whatever
    // follows it.
    const last = numbered(readText(log)).at(-1);
    await waitFor(() => f.text().includes(`\n${last}\n`), 30000, 'the follower to catch up');
    await f.stop();
    const expected = numbered(`${readText(`${log}.1`)}${readText(log)}`);
    assert.deepEqual(numbered(f.text()), expected.slice(0, numbered(f.text()).length));
    assert.equal((await h.dk(['stop', '--name', 'lr'])).code, 0);
  });
});

describe('logs -n', () => {
  for (const compress of [false, true]) {
    it(`reaches into rotated files${compress ? ' (gzipped)' : ''}, oldest first: what tail -n prints of them concatenated`, async () => {
      const name = compress ? 'ngz' : 'nplain';
      await start(name, [
        '--log-max-size',
        '4K',
        '--log-keep',
        '50',
        ...(compress ? ['--log-compress'] : []),
        '--',
        NODE,
        LINES,
        'count',
        '20000',
      ]);
      await waitFor(
        () => readText(logOf(name)).endsWith(`${line(19999)}\n`),
        20000,
        'the last line',
      );
      const rotated = () => readdirSync(h.dir(name)).filter((f) => f.startsWith(`${name}.log.`));
      if (compress)
        await waitFor(() => rotated().every((f) => f.endsWith('.gz')), 10000, 'compression');
      assert.equal((await h.dk(['stop', '--name', name])).code, 0);
      assert.ok(rotated().length >= 30, `${rotated().length} rotated files`);
      const all = concatenated(name);
      writeFileSync(join(h.dir(name), 'all'), all);
      for (const n of [1, 600, 5000, 19999, 20000, 30000]) {
        const r = await h.dk(['logs', '--name', name, '-n', String(n)]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(
          r.stdout,
          execFileSync('tail', ['-n', String(n), join(h.dir(name), 'all')]).toString(),
          `-n ${n}`,
        );
      }
      const r = await h.dk(['logs', '--name', name, '-n', '5000']);
      const own = numbered(r.stdout).filter((l) => OWN_LINE.test(l)).length; // the stop's
      assert.equal(numbered(r.stdout)[0], line(15000 + own));
    });
  }
});

describe('logs: its output, and files that are not logs', () => {
  /** A service directory with these files (no service: `logs` reads NAME.log where it would be). */
  function files(name, content) {
    mkdirSync(h.dir(name), { recursive: true });
    for (const [file, data] of Object.entries(content))
      writeFileSync(join(h.dir(name), file), data);
  }
  const run = (args, stdio) =>
    new Promise((resolve) => {
      const child = spawn(NODE, ['--', CLI, ...args], { env: { ...process.env, ...h.env }, stdio });
      h.track(child.pid);
      const out = [];
      let err = '';
      child.stdout?.on('data', (d) => out.push(d));
      child.stderr?.on('data', (d) => (err += d));
      child.stdout?.pause(); // a slow reader: the pipe fills
      setTimeout(() => child.stdout?.resume(), 300);
      child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    });

  it('into a pipe read slowly: every byte, however full the pipe was when it ended', async () => {
    const numbers = (count) =>
      Array.from({ length: count }, (_, i) => `${String(i).padStart(9, '0')}\n`).join('');
    // 64 KiB fill the pipe (its reader waits); the last 3 KB are left to node to write later, and
    // an exit before it has would drop them.
    // A real pipe (node's own 'pipe' is a socketpair, which holds far more).
    const throughPipe = (name) =>
      execFileSync(
        'bash',
        [
          '-c',
          '"$0" -- "$1" logs --name "$2" -n 100000 | (sleep 0.3; wc -c); echo "logs exit ${PIPESTATUS[0]}"',
          NODE,
          CLI,
          name,
        ],
        { env: { ...process.env, ...h.env }, encoding: 'utf8' },
      );
    files('fits', { 'fits.log': numbers(6853) });
    assert.equal(throughPipe('fits').replace(/^ +/, ''), '68530\nlogs exit 0\n');
    const text = numbers(20000);
    files('slow', { 'slow.log': text });
    for (let round = 0; round < 4; round++)
      assert.equal(
        throughPipe('slow').replace(/^ +/, ''),
        `${text.length}\nlogs exit 0\n`,
        `round ${round}`,
      );
  });

  it('to a full disk (/dev/full): exit 1 and one line saying so; to a reader that left: exit 0, quietly', async () => {
    files('full', { 'full.log': 'a\nb\n' });
    const full = openSync('/dev/full', 'w');
    try {
      const r = await run(['logs', '--name', 'full'], ['ignore', full, 'pipe']);
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        'daemonkit: full: cannot write to stdout: no space left on device (ENOSPC)\n',
      );
    } finally {
      closeSync(full);
    }
    const head = execFileSync(
      'bash',
      [
        '-c',
        '"$0" -- "$1" logs --name slow -n 100000 2>&1 | head -1; echo "logs exit ${PIPESTATUS[0]}"',
        NODE,
        CLI,
      ],
      { env: { ...process.env, ...h.env }, encoding: 'utf8' },
    );
    assert.equal(head, '000000000\nlogs exit 0\n');
  });

  it('logs -f | head -1 on a log that has gone quiet: ends once head has, without another line to write', async () => {
    await start('quiet', ['--', '/bin/sh', '-c', 'seq 1 5; exec sleep 1000']);
    await waitFor(
      () => commandText(readText(logOf('quiet'))) === '1\n2\n3\n4\n5\n',
      5000,
      'the lines',
    );
    const r = await new Promise((resolve) => {
      const sh = spawn(
        'sh',
        ['-c', '"$0" -- "$1" logs --name quiet -n 5 -f | head -1', NODE, CLI],
        { env: { ...process.env, ...h.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
      );
      h.track(-sh.pid);
      let out = '';
      sh.stdout.on('data', (d) => (out += d));
      const timer = setTimeout(() => process.kill(-sh.pid, 'SIGKILL'), 20000);
      sh.on('close', (code, signal) => resolve({ code, signal, out, timer }));
    });
    clearTimeout(r.timer);
    assert.deepEqual([r.code, r.signal, r.out], [0, null, '1\n'], 'the pipeline ended by itself');
    assert.equal((await h.dk(['stop', '--name', 'quiet'])).code, 0);
  });

  it('a damaged .gz within reach of -n: named on stderr, what it holds skipped, the rest printed, exit 0', async () => {
    files('dmg', {
      'dmg.log.2.gz': gzipSync('a\nb\n'),
      'dmg.log.1.gz': 'not gzip at all\n',
      'dmg.log': 'last\n',
    });
    const r = await h.dk(['logs', '--name', 'dmg', '-n', '5']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'a\nb\nlast\n');
    assert.match(r.stderr, /^daemonkit: dmg: .*dmg\.log\.1\.gz: not in gzip format\n$/);
  });

  it('NAME.log a directory, or a FIFO: exit 1, one line naming it (-n, and -f)', async () => {
    mkdirSync(join(h.dir('isdir'), 'isdir.log'), { recursive: true });
    for (const args of [[], ['-n', '0'], ['-f']]) {
      const r = await h.dk(['logs', '--name', 'isdir', ...args]);
      assert.equal(r.code, 1, `${args}: ${r.stderr}`);
      assert.match(r.stderr, /^daemonkit: isdir: cannot read .*isdir\.log: it is a directory\n$/);
    }
    mkdirSync(h.dir('fifo'), { recursive: true });
    execFileSync('mkfifo', [join(h.dir('fifo'), 'fifo.log')]);
    const r = await h.dk(['logs', '--name', 'fifo']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^daemonkit: fifo: cannot read .*fifo\.log: it is not a regular file\n$/,
    );
  });
});
