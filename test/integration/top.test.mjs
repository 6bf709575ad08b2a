// `daemonkit top` for real: in tmux (a private server), sized 80x24; keys sent with send-keys, the
// screen read with capture-pane, the terminal's state asked of tmux (alternate screen, cursor) and
// of stty. Real services, restarted by a key.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI, NODE, makeHome, readJson, waitFor } from '../helpers.mjs';

const exec = promisify(execFile);
const h = makeHome();
const work = mkdtempSync(join(tmpdir(), 'dk-top-'));
// A tmux server of our own (its socket in our temp directory): its sessions, its environment,
// nobody else's.
const SOCKET = join(work, 'tmux.sock');
const SESSION = 'top';
const tmux = async (...args) => (await exec('tmux', ['-S', SOCKET, ...args])).stdout;
// (capture-pane ends each line at its last non-blank, and the screen with a newline)
const screen = async () => (await tmux('capture-pane', '-p', '-t', SESSION)).replace(/\n$/, '');
const flags = async () =>
  (await tmux('display', '-p', '-t', SESSION, '#{alternate_on} #{cursor_flag}')).trim();
const paneShell = async () =>
  Number((await tmux('display', '-p', '-t', SESSION, '#{pane_pid}')).trim());
/** The process the pane's shell runs now (top), by /proc: never by name. */
function shellChild(shell) {
  for (const e of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === shell) return Number(e);
    } catch {
      // gone
    }
  }
  return null;
}
/** Until the screen matches (polled: no event tells us of tmux's screen). */
async function until(re, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = await screen();
    if (typeof re === 'function' ? re(text) : re.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} on:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const type = (text) => tmux('send-keys', '-t', SESSION, '-l', text);
const enter = () => tmux('send-keys', '-t', SESSION, 'Enter');
const key = (...keys) => tmux('send-keys', '-t', SESSION, ...keys);
/** Run a shell line in the pane, with a marker to wait for. */
async function shell(line) {
  const mark = `done-${Math.random().toString(36).slice(2, 8)}`;
  await type(`${line}; echo ${mark}`);
  await enter();
  await until(new RegExp(`^${mark}$`, 'm'));
}
const TOP = `${NODE} -- ${CLI} top`;

before(async () => {
  const loop = ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo "line $i"; sleep 0.2; done'];
  for (const [name, cmd] of [
    ['alpha', loop],
    ['beta', ['/bin/sleep', '1000']],
    ['gamma', ['sh', '-c', 'exit 3']],
  ]) {
    const r = await h.dk(['start', '--name', name, '--grace', '0', '--', ...cmd]);
    assert.equal(r.code, 0, r.stderr);
  }
  await waitFor(
    () => readJson(join(h.dir('gamma'), 'state.json'))?.state === 'failed',
    10000,
    'gamma failed',
  );
  await tmux(
    '-f',
    '/dev/null',
    'new-session',
    '-d',
    '-s',
    SESSION,
    '-x',
    '80',
    '-y',
    '24',
    '-e',
    `DAEMONKIT_HOME=${h.home}`,
    'bash --norc --noprofile',
  );
  await tmux('set-option', '-t', SESSION, 'window-size', 'manual');
  await shell("PS1='$ '");
});
after(async () => {
  await tmux('kill-session', '-t', SESSION).catch(() => undefined);
  await tmux('kill-server').catch(() => undefined); // our own server (-S), nobody else's
  await h.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('daemonkit top in tmux (80x24)', () => {
  it("shows every service: its state, pid, restarts, CPU and memory of the COMMAND's group; the key help last", async () => {
    await shell('clear');
    await type(TOP);
    await enter();
    const text = await until(
      /^> alpha +running +\d+ +(?:\d+ms|\d+(?:\.\d)?s|\d+m\d\ds) +0 +\d+\.\d +[\d.]+[KMG] /m,
    );
    const lines = text.split('\n');
    assert.match(lines[0], /^daemonkit top: 3 services, 2 running, 1 failed/);
    assert.match(lines[1], /^ {2}NAME +STATE +PID UPTIME +RST +CPU% +MEM CPU 1m +MEM 1m$/);
    const pid = readJson(join(h.dir('beta'), 'state.json')).pid;
    assert.match(
      text,
      new RegExp(`^ {2}beta +running +${pid} +(?:\\d+ms|\\d+(?:\\.\\d)?s|\\d+m\\d\\ds) +0 `, 'm'),
    ); // uptime: tenths below 10 s
    assert.match(text, /^ {2}gamma +failed +- +- +0 +- +-$/m);
    assert.match(lines[20], /^alpha: running, pid \d+, command pid \d+/);
    assert.match(lines[23], /^ ↑\/↓ j\/k select {2}r restart {2}s stop\/start {2}l log {2}q quit/);
    assert.equal(lines.length, 24);
    assert.equal(await flags(), '1 0', 'the alternate screen, the cursor hidden');
    // the log line follows the service's log
    await until(/^log: line \d+$/m);
  });

  it('r restarts the selected service: its COMMAND pid changes, the result is shown', async () => {
    const before = readJson(join(h.dir('alpha'), 'state.json'));
    await key('r');
    const text = await until(/^alpha: restarted, pid \d+ *$/m, 30000);
    const after = readJson(join(h.dir('alpha'), 'state.json'));
    assert.notEqual(after.childPid, before.childPid);
    assert.equal(Number(/alpha: restarted, pid (\d+)/.exec(text)[1]), after.pid);
    await until(new RegExp(`^> alpha +running +${after.pid} `, 'm'));
  });

  it('j selects the next row; s stops it, s again starts it', async () => {
    await key('j');
    await until(/^> beta +running/m);
    await key('s');
    await until(/^> beta +stopped +- /m, 30000);
    assert.equal(readJson(join(h.dir('beta'), 'state.json')).state, 'stopped');
    await key('s');
    await until(/^> beta +running +\d+/m, 30000);
    await key('k');
    await until(/^> alpha/m);
  });

  it('l opens the log pane with the end of the log; l closes it', async () => {
    await key('l');
    const text = await until(/^ log of alpha \(l closes\)/m);
    const lines = text.split('\n');
    const title = lines.findIndex((l) => l.startsWith(' log of alpha'));
    // The end of the log, filled from the pane's top: its last line is the COMMAND's latest (the
    // first may be the restart's "daemonkit: started" line, when the restart above was lately).
    const pane = lines.slice(title + 1, -2).filter((l) => l.trim() !== '');
    assert.match(pane.at(-1), /^line \d+$/);
    await key('l');
    await until(/^log: line \d+$/m);
  });

  it('redraws on a resize (SIGWINCH)', async () => {
    await tmux('resize-window', '-t', SESSION, '-x', '100', '-y', '30');
    // the header reaches the new right edge, the key help the new last line
    const text = await until(
      (t) => t.split('\n')[0].length === 100 && /^ ↑\/↓ j\/k select/.test(t.split('\n')[29] ?? ''),
    );
    const lines = text.split('\n');
    assert.match(lines[0], /^daemonkit top: 3 services, .* every 1s {2}\d\d:\d\d:\d\d$/);
    assert.match(lines[1], /^ {2}NAME +STATE +PID UPTIME +RST +CPU% +MEM CPU 1m {15}MEM 1m$/);
    assert.equal(lines.length, 30);
    await tmux('resize-window', '-t', SESSION, '-x', '80', '-y', '24');
    await until(/^ {2}NAME +STATE +PID UPTIME +RST +CPU% +MEM CPU 1m +MEM 1m$/m);
  });

  it('Ctrl-Z gives the terminal back while it is stopped; fg takes it again', async () => {
    await key('C-z');
    await until(/Stopped/);
    assert.equal(await flags(), '0 1');
    await type('fg');
    await enter();
    await until(/^> alpha/m);
    assert.equal(await flags(), '1 0');
  });

  it('q quits (exit 0): the normal screen back, the cursor shown, the terminal out of raw mode', async () => {
    await key('q');
    await until(/^\$$/m);
    assert.equal(await flags(), '0 1');
    await shell(
      'echo "rc=$?"; stty -a | tr " " "\\n" | grep -E "^-?(icanon|echo|isig)$" | tr "\\n" " "; echo',
    );
    const text = await screen();
    assert.match(text, /^rc=0$/m);
    assert.match(text, /^isig icanon echo$/m);
  });

  it('SIGTERM restores the terminal too (exit 143)', async () => {
    await shell('clear');
    await type(TOP);
    await enter();
    await until(/^> alpha/m);
    const top = shellChild(await paneShell());
    assert.ok(top, 'top runs');
    process.kill(top, 'SIGTERM');
    await until(/^\$$/m);
    assert.equal(await flags(), '0 1');
    await shell(
      'echo "rc=$?"; stty -a | tr " " "\\n" | grep -E "^-?(icanon|echo)$" | tr "\\n" " "; echo',
    );
    const text = await screen();
    assert.match(text, /^rc=143$/m);
    assert.match(text, /^icanon echo$/m);
  });

  it('a crash restores the terminal first, then says one line (exit 1)', async () => {
    // An exception thrown in a timer of top's process, after its first draw (a preloaded module).
    const crash = join(work, 'crash.cjs');
    writeFileSync(crash, "setTimeout(() => { throw new Error('boom in a timer'); }, 1500);\n");
    await shell('clear');
    await type(`${NODE} --require ${crash} -- ${CLI} top`);
    await enter();
    await until(/^> alpha/m);
    await until(/^daemonkit: boom in a timer$/m);
    assert.equal(await flags(), '0 1');
    await shell('echo "rc=$?"');
    assert.match(await screen(), /^rc=1$/m);
  });

  it('costs no CPU between refreshes: no thread of it wakes while it waits', async () => {
    const wakeups = async (interval) => {
      await shell('clear');
      await type(`${TOP} --interval ${interval}`);
      await enter();
      await until(/^> alpha/m);
      const top = shellChild(await paneShell());
      const switches = () =>
        readdirSync(`/proc/${top}/task`).reduce((sum, t) => {
          const status = readFileSync(`/proc/${top}/task/${t}/status`, 'utf8');
          return (
            sum +
            Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)[1]) +
            Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)[1])
          );
        }, 0);
      await new Promise((r) => setTimeout(r, 500));
      const first = switches();
      await new Promise((r) => setTimeout(r, 2000));
      const n = switches() - first;
      await key('q');
      await until(/^\$$/m);
      return n;
    };
    // The measure sees wake-ups: refreshing every 100 ms, ~20 in 2 s.
    assert.ok((await wakeups('100ms')) >= 10);
    // Every 30 s: none in 2 s (one or two allowed for V8's own delayed tasks, e.g. its memory
    // reducer).
    const idle = await wakeups('30s');
    assert.ok(idle <= 2, `${idle} wake-ups in 2 s between refreshes`);
  });

  it('not a terminal: exit 2 with one line', async () => {
    const r = await h.dk(['top']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      "daemonkit: top needs a terminal (its stdin and stdout); for scripts use 'daemonkit list' (--json)\n",
    );
  });

  it('bad arguments: every problem at once, exit 2', async () => {
    const r = await h.dk(['top', '--interval', '0', '--name', 'x', '--intervall', '1s'], {
      env: { DAEMONKIT_HOME: 'rel' },
    });
    assert.equal(r.code, 2);
    assert.deepEqual(r.stderr.trim().split('\n'), [
      "daemonkit: option --name does not apply to 'top'",
      'daemonkit: unknown option --intervall: did you mean --interval?',
      "daemonkit: invalid DAEMONKIT_HOME 'rel': it must be an absolute path",
      "daemonkit: invalid --interval '0': a duration from 100ms to 1h, such as 500ms or 2s (a bare number is seconds)",
    ]);
  });
});
