// `daemonkit logs`: -f under very fast size rotation (every line once, in order), -n reaching
// into rotated and compressed files, long lines byte for byte, logrotate's rename before reopen.
// Real services started with the built CLI; the follower is the real `logs -f`.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, NODE, makeHome, startedPids, waitFor, readText } from '../helpers.mjs';

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

/** A running `logs -f`, its output collected. */
function follower(name, args = []) {
  const child = spawn(NODE, ['--', CLI, 'logs', '--name', name, ...args, '-f'], { env: { ...process.env, ...h.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  h.track(child.pid);
  const out = [];
  let err = '';
  child.stdout.on('data', (d) => out.push(d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const bytes = () => Buffer.concat(out);
  return {
    bytes,
    text: () => bytes().toString(),
    stderr: () => err,
    signal: (sig) => child.kill(sig),
    until: (s, what) => waitFor(() => bytes().toString('latin1').endsWith(s), 30000, what),
    async stop() {
      child.kill('SIGINT');
      assert.deepEqual(await exited, { code: 0, signal: null }, err);
    },
  };
}

/** NAME.log.K(.gz) … NAME.log.1, NAME.log: their content concatenated, oldest first. */
function concatenated(name) {
  const dir = h.dir(name);
  const rotated = readdirSync(dir).map((f) => /^[^.]+\.log\.(\d+)(\.gz)?$/.exec(f)).filter(Boolean).sort((a, b) => b[1] - a[1]);
  const files = [...rotated.map((m) => join(dir, m[0])), logOf(name)];
  return execFileSync('sh', ['-c', 'for f; do case $f in *.gz) zcat "$f";; *) cat "$f";; esac; done', 'sh', ...files]);
}

describe('logs -f', () => {
  for (const compress of [false, true]) {
    it(`100,000 lines at ~100k lines/s rotated every 4 KiB (--log-keep 50${compress ? ', --log-compress' : ''}), stopped now and then: every line exactly once, in order, nothing on stderr`, async () => {
      const name = compress ? 'fastgz' : 'fast';
      const { childPid } = await start(name, ['--log-max-size', '4K', '--log-keep', '50', ...(compress ? ['--log-compress'] : []), '--', NODE, LINES, 'paced', '100000', '100000']);
      await waitFor(() => readText(logOf(name)) === 'ready\n', 10000, 'the writer ready');
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
      for (let i = 0; i < lines.length; i++) if (lines[i] !== line(i)) assert.fail(`line ${i} is ${lines[i]}`);
      assert.equal(lines.length, 100000);
      assert.ok(readdirSync(h.dir(name)).filter((f) => f.startsWith(`${name}.log.`)).length >= 40, 'it did rotate, many times');
      assert.equal((await h.dk(['stop', '--name', name])).code, 0);
    });
  }

  it('a 200 KiB line and the lines around it: the output is the file, byte for byte', async () => {
    const script = `process.on('SIGUSR2', () => { const w = (s) => require('fs').writeSync(1, s);
      w('x'.repeat(70000)); setTimeout(() => { w('y'.repeat(134800) + '\\n'); w('after\\n'); }, 50); });
      setInterval(() => {}, 1e9); require('fs').writeSync(1, 'ready\\n');`;
    const { childPid } = await start('long', ['--', NODE, '-e', script]);
    await waitFor(() => readText(logOf('long')) === 'ready\n', 10000, 'ready');
    const f = follower('long', ['-n', '1']);
    await f.until('ready\n', 'the follower');
    process.kill(childPid, 'SIGUSR2');
    await f.until('after\n', 'the last line');
    await f.stop();
    const file = readFileSync(logOf('long'));
    assert.ok(file.length > 200 * 1024);
    assert.ok(f.bytes().equals(file), `follower: ${f.bytes().length} bytes, file: ${file.length}`);
    const last = await h.dk(['logs', '--name', 'long', '-n', '3']);
    assert.equal(last.stdout, file.toString().split('\n').slice(-4).join('\n'), 'logs -n: the same lines');
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
    await waitFor(() => numbered(readText(`${log}.1`)).length > before + 30, 5000, 'lines into the renamed file');
    assert.equal((await h.dk(['reopen', '--name', 'lr'])).code, 0);
    await waitFor(() => numbered(readText(log)).length > 20, 5000, 'lines in the new file');
    // The service goes on writing: caught up once the follower has printed this line, whatever follows it.
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
      await start(name, ['--log-max-size', '4K', '--log-keep', '50', ...(compress ? ['--log-compress'] : []), '--', NODE, LINES, 'count', '20000']);
      await waitFor(() => readText(logOf(name)).endsWith(`${line(19999)}\n`), 20000, 'the last line');
      const rotated = () => readdirSync(h.dir(name)).filter((f) => f.startsWith(`${name}.log.`));
      if (compress) await waitFor(() => rotated().every((f) => f.endsWith('.gz')), 10000, 'compression');
      assert.equal((await h.dk(['stop', '--name', name])).code, 0);
      assert.ok(rotated().length >= 30, `${rotated().length} rotated files`);
      const all = concatenated(name);
      writeFileSync(join(h.dir(name), 'all'), all);
      for (const n of [1, 600, 5000, 19999, 20000, 30000]) {
        const r = await h.dk(['logs', '--name', name, '-n', String(n)]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, execFileSync('tail', ['-n', String(n), join(h.dir(name), 'all')]).toString(), `-n ${n}`);
      }
      const r = await h.dk(['logs', '--name', name, '-n', '5000']);
      assert.equal(numbered(r.stdout)[0], line(15000));
    });
  }
});
