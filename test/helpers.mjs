// Test helpers: run the CLI against a private DAEMONKIT_HOME, read /proc, clean up by pid.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { after } from 'node:test';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(here, '..');
export const CLI = join(ROOT, 'dist', 'cli', 'main.cjs');
export const REPORTER = join(here, 'fixtures', 'reporter.mjs');
export const NODE = process.execPath;

/** Run a command; resolves with { code, signal, stdout, stderr }. */
export function run(file, args, { env = {}, stdio, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: { ...process.env, ...env },
      stdio: stdio ?? ['ignore', 'pipe', 'pipe'],
      cwd,
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, pid: child.pid }));
  });
}

/** A private DAEMONKIT_HOME with a `dk(...args)` runner and a cleanup that stops everything. */
export function makeHome() {
  const home = mkdtempSync(join(tmpdir(), 'dk-test-'));
  const env = { DAEMONKIT_HOME: home };
  const extraPids = new Set();
  return {
    home,
    env,
    // `node --`, as the CLI's own shebang does (Node 20 would take an --env-file for itself).
    dk: (args, opts = {}) =>
      run(NODE, ['--', CLI, ...args], { ...opts, env: { ...env, ...(opts.env ?? {}) } }),
    dir: (name) => join(home, name),
    track: (pid) => extraPids.add(pid),
    async cleanup() {
      // Stop every service under this home (by its own verified pids), then anything we spawned.
      for (const name of readdirSync(home)) {
        const state = readJson(join(home, name, 'state.json'));
        if (state) await killService(state);
      }
      for (const pid of extraPids) safeKill(pid, 'SIGKILL');
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

function safeKill(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
    // gone
  }
}

/** Kill a service's supervisor and its COMMAND's group, only if they are still the recorded
 *  ones. */
export async function killService(state) {
  if (state.childPgid && procStat(state.childPgid)?.startTime === state.childStartTime)
    safeKill(-state.childPgid, 'SIGKILL');
  if (state.childPgid) {
    for (const pid of groupPids(state.childPgid)) {
      if (procStat(pid)?.session === state.childPgid) safeKill(pid, 'SIGKILL');
    }
  }
  if (state.pid && procStat(state.pid)?.startTime === state.pidStartTime)
    safeKill(state.pid, 'SIGKILL');
  await waitFor(
    () => !isAlive(state.pid) && (!state.childPgid || groupPids(state.childPgid).length === 0),
    5000,
  ).catch(() => undefined);
}

export function procStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return {
      pid,
      state: f[0],
      ppid: +f[1],
      pgrp: +f[2],
      session: +f[3],
      ttyNr: +f[4],
      startTime: +f[19],
    };
  } catch {
    return null;
  }
}

export function procStatus(pid) {
  try {
    return Object.fromEntries(
      readFileSync(`/proc/${pid}/status`, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
    );
  } catch {
    return null;
  }
}

export function fdTargets(pid) {
  const out = {};
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      out[fd] = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

export function isAlive(pid) {
  const st = procStat(pid);
  return st !== null && st.state !== 'Z' && st.state !== 'X';
}

/** `stop` returns once the service is done (its COMMAND gone, its state final, its lock free):
 *  its supervisor's process ends a moment later, once the kernel has torn it down (~2 ms, see
 *  docs/cli.md, stop). Wait for that, within `ms`. */
export async function exits(pid, ms = 2000) {
  await waitFor(() => !isAlive(pid), ms, `pid ${pid} to exit`);
}

/** Live members of a process group. */
export function groupPids(pgid) {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => {
      const st = procStat(pid);
      return st && st.pgrp === pgid && st.state !== 'Z';
    });
}

/**
 * A child's output line by line: the function returned resolves with its next whole line, or
 * null once the stream has ended. Pieces are joined: a line may come in more than one read
 * (python with PYTHONUNBUFFERED, as CI sets it, writes "ok" and "\n" apart).
 */
export function lines(stream) {
  let rest = '';
  let ended = false;
  const ready = [];
  const waiting = [];
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    rest += chunk;
    for (let at = rest.indexOf('\n'); at >= 0; at = rest.indexOf('\n')) {
      const line = rest.slice(0, at);
      rest = rest.slice(at + 1);
      const waiter = waiting.shift();
      if (waiter) waiter(line);
      else ready.push(line);
    }
  });
  stream.on('end', () => {
    ended = true;
    for (const waiter of waiting.splice(0)) waiter(null);
  });
  return () =>
    ready.length > 0
      ? Promise.resolve(ready.shift())
      : ended
        ? Promise.resolve(null)
        : new Promise((resolve) => waiting.push(resolve));
}

/**
 * A python process running `script` (a lock holder) on files `names` made empty in a fresh
 * directory, the first `argc` of them as its arguments; killed, and the directory removed, after
 * the test. Resolves once it said its first "ok": `ack` waits for the next, `id` gives a file's
 * device and inode (bigint), `files` the paths by name.
 */
export async function pythonHolder(t, { prefix, script, names, argc = names.length }) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const files = Object.fromEntries(names.map((n) => [n, join(dir, n)]));
  for (const p of Object.values(files)) writeFileSync(p, '');
  const args = names.slice(0, argc).map((n) => files[n]);
  const child = spawn('python3', ['-c', script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const line = lines(child.stdout);
  const ack = async () => assert.equal(await line(), 'ok');
  await ack();
  const id = (p) => {
    const st = statSync(p, { bigint: true });
    return [st.dev, st.ino];
  };
  return { files, child, ack, id };
}

/** Wait until cond() is truthy (checked every 5 ms), or reject after `ms`. Returns its value. */
export async function waitFor(cond, ms = 5000, what = 'condition') {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = cond();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Wait for the reporter fixture's JSON report (optionally one matching a predicate). */
export function waitReport(file, pred = () => true, ms = 5000) {
  return waitFor(
    () => {
      const r = existsSync(file) ? readJson(file) : null;
      return r && pred(r) ? r : null;
    },
    ms,
    `report ${file}`,
  );
}

export function startedPids(stdout) {
  const m = /pid (\d+)(?: \(command pid (\d+)\))?/.exec(stdout);
  return m ? { pid: Number(m[1]), childPid: m[2] ? Number(m[2]) : null } : null;
}

/**
 * A service manager's notify socket, independent of the code under test
 * (fixtures/notify-listener.py
 * at `path`): `messages()` from anyone, with the sender's pid from the kernel; `waitFor(pred)`.
 */
export async function pyListener(home, path) {
  const child = spawn('python3', [join(here, 'fixtures', 'notify-listener.py'), path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  home.track(child.pid);
  const lines = [];
  let buffer = '';
  child.stdout.on('data', (d) => {
    buffer += d;
    for (let nl; (nl = buffer.indexOf('\n')) >= 0; buffer = buffer.slice(nl + 1))
      lines.push(JSON.parse(buffer.slice(0, nl)));
  });
  await waitFor(() => lines.some((l) => l.listening), 10000, 'python listener');
  const messages = () => lines.filter((l) => l.text !== undefined);
  return {
    path,
    messages,
    texts: () => messages().map((m) => m.text),
    waitFor: (pred, what) => waitFor(() => messages().find(pred), 10000, what),
    count: (text) => messages().filter((m) => m.text === text).length,
  };
}

/** A file's text, or '' while it does not exist (a log between rotation's rename and its
 *  reopen). */
export function readText(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') return '';
    throw error;
  }
}

/** A maker of fresh log paths (DIR/tN/app.log, each in a directory of its own) in one temp
 *  directory, removed after the calling test file's tests. */
export function logPaths(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  return () => {
    const d = join(dir, `t${++n}`);
    mkdirSync(d);
    return join(d, 'app.log');
  };
}

/** A running `daemonkit logs --name NAME ARGS -f` under `home` (makeHome() or faultHome()), its
 *  output collected; stop() sends SIGINT and expects exit 0. */
export function logsFollower(home, name, args = []) {
  const child = spawn(NODE, ['--', CLI, 'logs', '--name', name, ...args, '-f'], {
    env: { ...process.env, ...home.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  home.track(child.pid);
  const out = [];
  let err = '';
  child.stdout.on('data', (d) => out.push(d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const bytes = () => Buffer.concat(out);
  return {
    bytes,
    text: () => bytes().toString(),
    stderr: () => err,
    signal: (sig) => child.kill(sig),
    until: (s, what) => waitFor(() => bytes().toString('latin1').endsWith(s), 30000, what),
    async stop() {
      child.kill('SIGINT');
      const how = await exited;
      if (how.code !== 0 || how.signal !== null)
        throw new Error(`logs -f ended with ${JSON.stringify(how)}: ${err}`);
    },
  };
}

/** A line the supervisor wrote into a service's log itself (`daemonkit: …`, stamped or not). */
export const OWN_LINE = /^(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z )?daemonkit: /;

/** A log's text without the supervisor's own lines: what the COMMAND wrote. */
export function commandText(text) {
  return text
    .split('\n')
    .filter((line) => !OWN_LINE.test(line))
    .join('\n');
}
