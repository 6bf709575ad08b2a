// Started from a terminal, or in the foreground from a messy caller: nothing leaks through.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CLI,
  NODE,
  commandText,
  fdTargets,
  makeHome,
  procStat,
  readJson,
  run,
  startedPids,
  waitFor,
} from '../helpers.mjs';

const h = makeHome();
const work = mkdtempSync(join(tmpdir(), 'dk-tty-'));
after(async () => {
  await h.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('from a terminal', () => {
  it('neither the supervisor nor the COMMAND holds the terminal', async () => {
    // script(1) gives the command a pseudo-terminal as its controlling terminal and stdio.
    const cmd = `${NODE} ${CLI} start --name tty --grace 0 -- /bin/sleep 1000`;
    const r = await run('script', ['-qec', cmd, '/dev/null'], { env: h.env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const { pid, childPid } = startedPids(r.stdout);
    for (const p of [pid, childPid]) {
      assert.equal(procStat(p).ttyNr, 0, `pid ${p} has a controlling terminal`);
      const ttys = Object.values(fdTargets(p)).filter(
        (t) => t.startsWith('/dev/pts') || t === '/dev/tty' || t.startsWith('/dev/ptmx'),
      );
      assert.deepEqual(ttys, [], `pid ${p} holds ${ttys.join(', ')}`);
    }
  });
});

describe('--stdout and --stderr', () => {
  it('append to separate files; stderr defaults to the stdout file', async () => {
    const out = join(work, 'out.log');
    const err = join(work, 'err.log');
    writeFileSync(out, 'earlier\n');
    const r = await h.dk([
      'start',
      '--name',
      'split',
      '--stdout',
      out,
      '--stderr',
      err,
      '--',
      'sh',
      '-c',
      'echo to-out; echo to-err >&2; exec sleep 1000',
    ]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(
      () =>
        readFileSync(out, 'utf8').includes('to-out') &&
        existsSync(err) &&
        readFileSync(err, 'utf8').includes('to-err'),
      5000,
      'output',
    );
    assert.equal(readFileSync(out, 'utf8'), 'earlier\nto-out\n');
    assert.equal(commandText(readFileSync(err, 'utf8')), 'to-err\n'); // the supervisor's own lines go to the stderr file
    const both = join(work, 'both.log');
    const s = await h.dk([
      'start',
      '--name',
      'joined',
      '--stdout',
      both,
      '--',
      'sh',
      '-c',
      'echo a; echo b >&2; exec sleep 1000',
    ]);
    assert.equal(s.code, 0, s.stderr);
    await waitFor(
      () => existsSync(both) && commandText(readFileSync(both, 'utf8')).split('\n').length === 3,
      5000,
      'joined output',
    );
    assert.deepEqual(commandText(readFileSync(both, 'utf8')).split('\n').sort(), ['', 'a', 'b']);
  });
});

describe('run in the foreground from a messy caller', () => {
  it('the COMMAND gets no inherited fd and no ignored signal', async () => {
    const leak = join(work, 'leak');
    writeFileSync(leak, '');
    const probe = join(work, 'probe.json');
    // The COMMAND reports its own fds and signal dispositions, then exits 0.
    const report = `import fs from 'node:fs'; const s = fs.readFileSync('/proc/self/status','utf8'); fs.writeFileSync(${JSON.stringify(probe)}, JSON.stringify({ fds: fs.readdirSync('/proc/self/fd').map(f => { try { return fs.readlinkSync('/proc/self/fd/' + f); } catch { return null; } }), ign: /SigIgn:\\s*(\\w+)/.exec(s)[1], blk: /SigBlk:\\s*(\\w+)/.exec(s)[1] }));`;
    const script = `exec 42>>'${leak}'; trap '' HUP USR2 40; exec "$@"`;
    const r = await run(
      'bash',
      [
        '-c',
        script,
        'bash',
        NODE,
        CLI,
        'run',
        '--name',
        'fgclean',
        '--grace',
        '0',
        '--',
        NODE,
        '--input-type=module',
        '-e',
        report,
      ],
      { env: h.env },
    );
    assert.equal(r.code, 0, r.stderr);
    const p = readJson(probe);
    assert.ok(!p.fds.includes(leak), `the COMMAND got the caller's fd: ${p.fds.join(', ')}`);
    // A Node COMMAND ignores SIGPIPE and SIGXFSZ by itself; HUP, USR2 and RT 40 must be default.
    const ign = BigInt(`0x${p.ign}`);
    assert.equal(ign & ((1n << 0n) | (1n << 11n) | (1n << 39n)), 0n, `SigIgn ${p.ign}`);
    assert.equal(p.blk, '0000000000000000');
  });
});

describe('privilege', {
  skip: process.getuid() !== 0 && 'needs root to switch to an unprivileged user',
}, () => {
  it('exit 4 naming the directory when the pidfile cannot be written', async (t) => {
    const canRun = await run('setpriv', [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      NODE,
      '-e',
      `require('fs').accessSync(${JSON.stringify(CLI)}, 4)`,
    ]);
    if (canRun.code !== 0) return t.skip('the unprivileged user cannot read this checkout');
    const locked = join(work, 'root-only');
    mkdirSync(locked, { mode: 0o755 });
    const r = await run(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        NODE,
        CLI,
        'start',
        '--pidfile',
        join(locked, 'app.pid'),
        '--',
        '/bin/sleep',
        '1000',
      ],
      {
        env: { ...h.env, DAEMONKIT_HOME: join(work, 'nobody-home') },
      },
    );
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assert.match(r.stderr, /root-only.*permission denied/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
