// Helpers for the fault and abuse suite, on top of ../helpers.mjs (which stays as it is).
// Everything here finds processes by pid through /proc, never by name: a service's processes
// are recognised by the DAEMONKIT_HOME=<this test's home> entry in their environment, which
// the launcher, the supervisor, the COMMAND and every descendant inherit.
import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import {
  CLI,
  NODE,
  groupPids,
  isAlive,
  makeHome,
  procStat,
  procStatus,
  readJson,
  waitFor,
} from '../helpers.mjs';
import { userOrSkip } from '../service-user.mjs';

export const FAULTS = dirname(fileURLToPath(import.meta.url));
export const HUP_COUNTER = join(FAULTS, 'fixtures', 'hup-counter.mjs');
export const IS_ROOT = process.getuid?.() === 0;
export const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p)) ?? null;
export const PERL = ['/usr/bin/perl', '/bin/perl'].find((p) => existsSync(p)) ?? null;
/** Why the "act as nobody" cases cannot run here, or false when they can. */
export const NO_NOBODY = !IS_ROOT
  ? 'needs root (to act as nobody through setpriv)'
  : !SETPRIV
    ? 'needs setpriv (util-linux)'
    : false;
export const NOBODY = 65534;

/** The service user (test/service-user.mjs) for the security faults, which start a service --user
 *  and act as that user through setpriv: its ids (u) and why they are skipped (skip). */
export const serviceUser = () =>
  userOrSkip(
    !IS_ROOT && 'needs root (to start a service --user and act as that user)',
    !SETPRIV && 'needs setpriv (util-linux)',
  );

/** The service user `u` runs `file` with `args`. */
export const asUserRun = (u, file, args, options) =>
  runT(
    SETPRIV,
    ['--reuid', String(u.uid), '--regid', String(u.gid), '--clear-groups', file, ...args],
    options,
  );

/** The service user `u` runs a shell script (args as $1, $2, …). */
export const asUserSh = (u, script, ...args) =>
  asUserRun(u, '/bin/sh', ['-c', script, 'sh', ...args]);

/** A root-only file with `text` in a root-only directory in `parent`: what the service user must
 *  never read or change. */
export function rootOnlyFile(parent, text, { dir = 'vault', file = 'secret' } = {}) {
  const vault = join(parent, dir);
  mkdirSync(vault, { mode: 0o700 });
  const path = join(vault, file);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

/** A directory `name` in `parent` the service user `u` owns, 0755. */
export function userDir(u, parent, name) {
  const dir = join(parent, name);
  mkdirSync(dir, { mode: 0o755 });
  chownSync(dir, u.uid, u.gid);
  return dir;
}

/** What must not change about a file: content, size, mode, owner (not its link count). */
export function fingerprint(path) {
  const st = lstatSync(path);
  return {
    sha1: createHash('sha1').update(readFileSync(path)).digest('hex'),
    size: st.size,
    mode: st.mode,
    uid: st.uid,
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export { sleep };

function allPids() {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number);
}

function environOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
  } catch {
    return null;
  }
}

export function argsOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0$/, '').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** Live (non-zombie) processes whose environment says DAEMONKIT_HOME=home: [{ pid, args, stat
 *  }]. */
export function homeProcs(home) {
  const marker = `DAEMONKIT_HOME=${home}`;
  const out = [];
  for (const pid of allPids()) {
    if (pid === process.pid) continue;
    const env = environOf(pid);
    if (!env?.includes(marker)) continue;
    const stat = procStat(pid);
    if (!stat || stat.state === 'Z' || stat.state === 'X') continue;
    out.push({ pid, args: argsOf(pid), stat });
  }
  return out;
}

export function describeProcs(list) {
  return list
    .map(
      (p) => `${p.pid} (ppid ${p.stat.ppid}, pgrp ${p.stat.pgrp}, sid ${p.stat.session}) ${p.args}`,
    )
    .join('\n');
}

/** Pids of processes that have `path` open (compared by device and inode, through /proc/PID/fd). */
export function fdHolders(path) {
  let target;
  try {
    target = statSync(path);
  } catch {
    return [];
  }
  const holders = [];
  for (const pid of allPids()) {
    let fds;
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const st = statSync(`/proc/${pid}/fd/${fd}`);
        if (st.ino === target.ino && st.dev === target.dev) {
          holders.push(pid);
          break;
        }
      } catch {
        // closed meanwhile, or not stat-able
      }
    }
  }
  return holders;
}

/** State and pending-signal masks of a process, from /proc/PID/status. */
export function signalState(pid) {
  const s = procStatus(pid);
  if (!s) return null;
  return {
    state: s.State,
    sigPnd: BigInt(`0x${s.SigPnd}`),
    shdPnd: BigInt(`0x${s.ShdPnd}`),
    sigBlk: BigInt(`0x${s.SigBlk}`),
  };
}

/** Names of the signals in a pending mask (bit N-1 is signal N). */
export function maskSignals(mask) {
  const names = {
    1: 'HUP',
    2: 'INT',
    3: 'QUIT',
    9: 'KILL',
    10: 'USR1',
    12: 'USR2',
    15: 'TERM',
    18: 'CONT',
    19: 'STOP',
  };
  const out = [];
  for (let n = 1; n <= 64; n++) if (mask & (1n << BigInt(n - 1))) out.push(names[n] ?? String(n));
  return out;
}

/**
 * Assert that a bystander was never signalled: it still runs, and no signal is pending for it.
 * Bystanders block every signal (see bystander()), so anything sent to them stays pending and
 * shows in SigPnd/ShdPnd instead of vanishing into a handler.
 */
export function assertUntouched(pid, what = 'bystander') {
  const s = signalState(pid);
  assert.ok(s, `${what} ${pid} has disappeared`);
  assert.ok(!/^[ZX]/.test(s.state), `${what} ${pid} is dead (${s.state})`);
  assert.equal(
    s.sigPnd | s.shdPnd,
    0n,
    `${what} ${pid} was signalled: pending ${maskSignals(s.sigPnd | s.shdPnd).join(',')}`,
  );
}

/**
 * A live process that is not a daemonkit service and must never be signalled: /bin/sleep 1000
 * with every signal blocked (perl blocks them, then execs sleep; the mask survives exec), so a
 * signal sent to it stays visible as pending. Without perl, a plain sleep (then only "still
 * alive" can be checked). With `stdin`, that file is open on its fd 0. Resolves with its pid
 * once it runs /bin/sleep.
 */
export async function bystander(h, { stdin } = {}) {
  const fd = stdin === undefined ? null : openSync(stdin, 'r');
  const stdio = [fd ?? 'ignore', 'ignore', 'ignore'];
  let child;
  try {
    child = PERL
      ? spawn(
          PERL,
          [
            '-e',
            'use POSIX; my $s = POSIX::SigSet->new(); $s->fillset; sigprocmask(SIG_BLOCK, $s) or die; exec "/bin/sleep", "1000" or die',
          ],
          { stdio },
        )
      : spawn('/bin/sleep', ['1000'], { stdio });
  } finally {
    if (fd !== null) closeSync(fd);
  }
  h.track(child.pid);
  h.bystanders.add(child.pid);
  await waitFor(() => argsOf(child.pid).startsWith('/bin/sleep'), 5000, 'bystander exec');
  if (PERL) await waitFor(() => signalState(child.pid)?.sigBlk !== 0n, 5000, 'bystander mask');
  return child.pid;
}

/** Run a command with a time limit: SIGKILLed (by its pid) when it runs longer; { timedOut }
 *  says so. */
export function runT(file, args, { env = {}, cwd, timeoutMs = 20000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: { ...process.env, ...env },
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        child.kill('SIGKILL');
      } catch {
        // gone
      }
    }, timeoutMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, pid: child.pid });
    });
  });
}

/**
 * A private DAEMONKIT_HOME (from ../helpers.mjs makeHome) plus:
 * - dkT(args, opts): the CLI with a time limit (default 20 s: no command may hang);
 * - asNobody(args, opts): the CLI run as uid/gid 65534 through setpriv (root only);
 * - work(): a scratch directory for pidfiles and the like (removed at cleanup);
 * - leftovers(): this home's live processes; reap(): SIGKILL them by pid, return what was found;
 * - cleanup(): stop recorded services (makeHome's cleanup), then reap, then remove the dirs.
 */
export function faultHome() {
  const h = makeHome();
  chmodSync(h.home, 0o755); // so that nobody can traverse into it where a case needs that
  const dirs = [];
  h.bystanders = new Set();
  h.dkT = (args, opts = {}) =>
    runT(NODE, [CLI, ...args], { ...opts, env: { ...h.env, ...(opts.env ?? {}) } });
  h.asNobody = (args, opts = {}) =>
    runT(
      SETPRIV,
      ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', NODE, CLI, ...args],
      { ...opts, env: { ...h.env, ...(opts.env ?? {}) } },
    );
  h.work = () => {
    const d = mkdtempSync(join(tmpdir(), 'dk-faults-work-'));
    chmodSync(d, 0o755);
    dirs.push(d);
    return d;
  };
  h.leftovers = () => homeProcs(h.home);
  h.reap = async () => {
    const found = homeProcs(h.home);
    for (const p of found) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await waitFor(() => found.every((p) => !isAlive(p.pid)), 5000, 'reaped').catch(() => undefined);
    return found;
  };
  const baseCleanup = h.cleanup;
  h.cleanup = async () => {
    // Services filed under .pidfile/<hash>/ are not seen by makeHome's cleanup: stop them here.
    const pidfileDir = join(h.home, '.pidfile');
    if (existsSync(pidfileDir)) {
      for (const hash of readdirSync(pidfileDir)) {
        const state = readJson(join(pidfileDir, hash, 'state.json'));
        if (state?.childPgid)
          for (const pid of groupPids(state.childPgid))
            if (procStat(pid)?.session === state.childPgid) safeKill(pid);
        if (state?.pid && procStat(state.pid)?.startTime === state.pidStartTime)
          safeKill(state.pid);
      }
    }
    await h.reap();
    await baseCleanup();
    await h.reap();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  return h;
}

function safeKill(pid) {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/**
 * Assert nothing of this home (nor of `otherHomes`) runs any more (zombies excepted: they have
 * exited); whatever is found is SIGKILLed by pid, so a failure never leaks into later cases.
 */
export async function assertNothingLeft(h, what = 'processes left behind', otherHomes = []) {
  const find = () => [...h.leftovers(), ...otherHomes.flatMap((home) => homeProcs(home))];
  let left = find();
  if (left.length > 0) {
    // A stop may still be finishing a descendant's exit: give it a moment before judging.
    await waitFor(() => find().length === 0, 2000).catch(() => undefined);
    left = find();
  }
  if (left.length > 0) {
    const shown = describeProcs(left);
    await h.reap();
    for (const p of left) safeKill(p.pid);
    assert.fail(`${what}:\n${shown}`);
  }
}

/** stderr is exactly one line starting with "daemonkit: " (and it mentions each of `mentions`). */
export function assertOneLine(stderr, ...mentions) {
  const lines = stderr.replace(/\n$/, '').split('\n');
  assert.equal(lines.length, 1, `expected one line on stderr, got ${lines.length}:\n${stderr}`);
  assert.match(lines[0], /^daemonkit: \S/, stderr);
  for (const m of mentions)
    assert.ok(lines[0].includes(m), `stderr should name ${JSON.stringify(m)}: ${stderr}`);
}

/**
 * A snapshot of a directory tree: every entry's relative path, type, mode, size, mtime and,
 * for small regular files, a content hash; symlinks with their target. Compare two with
 * assert.deepEqual to prove nothing was created, removed or changed.
 */
export function snapshot(root) {
  const out = {};
  const walk = (dir, rel) => {
    let entries;
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries.sort()) {
      const path = join(dir, name);
      const key = rel ? `${rel}/${name}` : name;
      let st;
      try {
        st = lstatSync(path);
      } catch {
        continue;
      }
      const type = st.isSymbolicLink()
        ? 'link'
        : st.isDirectory()
          ? 'dir'
          : st.isFIFO()
            ? 'fifo'
            : st.isFile()
              ? 'file'
              : 'other';
      const entry = {
        type,
        mode: (st.mode & 0o7777).toString(8),
        size: type === 'dir' ? 0 : st.size,
        mtimeMs: st.mtimeMs,
      };
      if (type === 'link') entry.target = readlinkSync(path);
      if (type === 'file' && st.size <= 1 << 20)
        entry.sha1 = createHash('sha1').update(readFileSync(path)).digest('hex');
      out[key] = entry;
      if (type === 'dir') walk(path, key);
    }
  };
  walk(root, '');
  return out;
}

/** Wait until a JSON file exists and satisfies pred; returns its content. */
export function waitJson(file, pred = () => true, ms = 5000) {
  return waitFor(
    () => {
      const v = readJson(file);
      return v && pred(v) ? v : null;
    },
    ms,
    `${file}`,
  );
}

/**
 * Wrap a test body so that, pass or fail, whatever it left running in this home (and every
 * bystander it spawned) is SIGKILLed by pid afterwards: one failing case never spoils the next.
 */
export function guarded(h, fn) {
  return async (t) => {
    try {
      await fn(t);
    } finally {
      await h.reap();
      for (const pid of h.bystanders) safeKill(pid);
      h.bystanders.clear();
    }
  };
}
