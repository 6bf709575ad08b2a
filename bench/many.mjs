// Many services from one file (issue 16's budgets): `daemonkit up` of 20 and of 200 /bin/sleep
// services (one shared supervisor) beside PM2 (`pm2 start ecosystem.json`, its God daemon already
// up) and s6 (`s6-svscan`, one `s6-supervise` per service): wall time to all running, private
// memory (RssAnon) of the managers' processes; `daemonkit list` with 200 services against
// `node -e 0`; the shared supervisor's RssAnon over 1,000 crash-restarts of one of its 20
// services. Not a program of its own: bench.mjs imports it (BENCH_ONLY=many runs it alone).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  CLI,
  ENV,
  SLEEP_EXE,
  TMP,
  check,
  checkInterrupted,
  f1,
  median,
  msBetween,
  now,
  pause,
  reapOnExit,
  run,
} from './bench.mjs';
import { installPm2, rssAnon, sleepFor } from './supervision.mjs';

// BENCH_MANY_COUNTS=20: a quicker run (the 200 figures then say n/a).
const COUNTS = (process.env.BENCH_MANY_COUNTS ?? '20,200').split(',').map(Number);
const ROUNDS = 11; // list and node -e 0, in turn
const RESTARTS = 1000;
const S6_SVSCAN = ['/usr/bin/s6-svscan', '/bin/s6-svscan'].find((p) => fs.existsSync(p)) ?? null;

export const HEAD = ['measurement', ...COUNTS.map((n) => `${n} services`), 'budget'];

/** Every process: { pid, ppid, exe }. */
function procs() {
  const out = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      let exe = null;
      try {
        exe = fs.readlinkSync(`/proc/${e}/exe`);
      } catch {
        /* another user's, or a zombie */
      }
      out.push({ pid: Number(e), ppid, exe });
    } catch {
      /* gone */
    }
  }
  return out;
}
const sleepsUnder = (parents) =>
  procs().filter((p) => parents.has(p.ppid) && p.exe === SLEEP_EXE).length;

async function until(cond, ms, what) {
  const end = Date.now() + ms;
  while (!cond()) {
    checkInterrupted();
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000} s`);
    await pause(5);
  }
  return now();
}

/** `daemonkit up` of N services: ms until every sleep runs, the shared supervisor's RssAnon 2 s
 *  later; with `list` timed too (200). */
async function dkMany(n, withList) {
  const dir = path.join(TMP, `many-${n}`);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'daemonkit.toml');
  let text = 'project = "many"\n';
  for (let i = 0; i < n; i++)
    text += `[services.s${i}]\ncommand = ["/bin/sleep", "100000"]\ngrace = 0\n`;
  fs.writeFileSync(file, text);
  const env = { ...ENV, DAEMONKIT_HOME: path.join(dir, 'home') };
  const up = check(
    await run(process.execPath, [CLI, 'up', '-q', '-f', file], { env, timeoutMs: 120_000 }),
    'up',
  );
  const supPid = Number(
    fs.readFileSync(path.join(env.DAEMONKIT_HOME, '.projects', 'many.supervisor.pid'), 'utf8'),
  );
  const t = await until(() => sleepsUnder(new Set([supPid])) >= n, 30_000, `${n} sleeps`);
  const upMs = msBetween(up.t0, t); // t is taken after up exited;
  await sleepFor(2000);
  const out = { upMs, rss: rssAnon(supPid) };
  if (withList) {
    // `node -e 0` in turn with each `list`: the two under the same conditions (PM2's God daemon
    // is up here, and this VM's start-up time drifts by a third within minutes).
    const list = [];
    const floor = [];
    for (let i = 0; i < ROUNDS; i++) {
      const f = check(await run(process.execPath, ['-e', '0'], { env }), 'node -e 0');
      floor.push(msBetween(f.t0, f.t1));
      const r = check(await run(process.execPath, [CLI, 'list'], { env }), 'list');
      list.push(msBetween(r.t0, r.t1));
    }
    out.listMs = median(list);
    out.listFloorMs = median(floor);
  }
  const reaped = reapOnExit(supPid);
  const down = check(
    await run(process.execPath, [CLI, 'down', '-q', '-f', file], { env, timeoutMs: 120_000 }),
    'down',
  );
  out.downMs = msBetween(down.t0, down.t1); // down waits for the supervisor's exit itself
  await reaped;
  fs.rmSync(dir, { recursive: true, force: true });
  return out;
}

/** PM2 with a fresh God daemon (`pm2 ping`): `pm2 start ecosystem.json` of N apps, ms until all
 *  run, the God's RssAnon 2 s later; then `pm2 kill`. */
async function pm2Many(pm2, n) {
  check(await pm2.cmd(['ping']), 'pm2 ping');
  const god = Number(fs.readFileSync(path.join(pm2.env.PM2_HOME, 'pm2.pid'), 'utf8'));
  const eco = path.join(pm2.dir, `eco-${n}.json`);
  const apps = Array.from({ length: n }, (_, i) => ({
    name: `m${i}`,
    script: '/bin/sleep',
    args: '100000',
  }));
  fs.writeFileSync(eco, JSON.stringify({ apps }));
  const r = check(await pm2.cmd(['start', eco], { timeoutMs: 120_000 }), 'pm2 start');
  const t = await until(() => sleepsUnder(new Set([god])) >= n, 60_000, `pm2: ${n} apps`);
  const startMs = msBetween(r.t0, t); // t is taken after it exited;
  await sleepFor(2000);
  const rss = rssAnon(god);
  const reaped = reapOnExit(god);
  await pm2.cmd(['kill'], { cleaning: true, timeoutMs: 60_000 });
  await reaped;
  return { startMs, rss };
}

/** s6-svscan on N service directories: ms until every sleep runs under its s6-supervise, the
 *  RssAnon of s6-svscan and every s6-supervise 2 s later. */
async function s6Many(n) {
  const dir = path.join(TMP, `s6-${n}`);
  for (let i = 0; i < n; i++) {
    fs.mkdirSync(path.join(dir, `s${i}`), { recursive: true });
    fs.writeFileSync(path.join(dir, `s${i}`, 'run'), '#!/bin/sh\nexec /bin/sleep 100000\n', {
      mode: 0o755,
    });
  }
  const t0 = now();
  const scan = spawn(S6_SVSCAN, [dir], { stdio: 'ignore', env: ENV });
  const exited = new Promise((resolve) => scan.on('exit', resolve));
  const supervisors = () =>
    new Set(
      procs()
        .filter((p) => p.ppid === scan.pid)
        .map((p) => p.pid),
    );
  const t = await until(() => sleepsUnder(supervisors()) >= n, 60_000, `s6: ${n} services`);
  await sleepFor(2000);
  const rss = [scan.pid, ...supervisors()].reduce((sum, pid) => sum + rssAnon(pid), 0);
  await run('s6-svscanctl', ['-t', dir], { cleaning: true });
  await exited;
  fs.rmSync(dir, { recursive: true, force: true });
  return { startMs: msBetween(t0, t), rss };
}

/** 19 sleeping services and one of /bin/true restarting at once: the shared supervisor's RssAnon
 *  when the loop begins, after 100 restarts and after 1,000 more. */
async function crashFlat() {
  const dir = path.join(TMP, 'flat');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'daemonkit.toml');
  let text = 'project = "flat"\n';
  for (let i = 0; i < 19; i++)
    text += `[services.s${i}]\ncommand = ["/bin/sleep", "100000"]\ngrace = 0\n`;
  text +=
    '[services.crash]\ncommand = ["/bin/true"]\ngrace = 0\nrestart = "always"\nrestart-delay = "1ms"\nrestart-max-delay = "1ms"\nmax-restarts = "10"\nrestart-window = "1ms"\n';
  fs.writeFileSync(file, text);
  const env = { ...ENV, DAEMONKIT_HOME: path.join(dir, 'home') };
  check(await run(process.execPath, [CLI, 'up', '-q', '-f', file], { env }), 'up');
  const sup = Number(
    fs.readFileSync(path.join(env.DAEMONKIT_HOME, '.projects', 'flat.supervisor.pid'), 'utf8'),
  );
  const state = () =>
    JSON.parse(fs.readFileSync(path.join(env.DAEMONKIT_HOME, 'flat.crash', 'state.json'), 'utf8'));
  const restarts = () => {
    try {
      return state().restarts ?? 0;
    } catch {
      return 0; // being replaced
    }
  };
  const rss0 = rssAnon(sup);
  await until(() => restarts() >= 100, 120_000, `100 restarts (${JSON.stringify(state())})`);
  const rss100 = rssAnon(sup);
  const n100 = restarts();
  await until(() => restarts() >= n100 + RESTARTS, 300_000, `${RESTARTS} more restarts`);
  const rss1 = rssAnon(sup);
  const n1 = restarts();
  const reaped = reapOnExit(sup);
  check(
    await run(process.execPath, [CLI, 'down', '-q', '-f', file], { env, timeoutMs: 60_000 }),
    'down',
  );
  await reaped;
  fs.rmSync(dir, { recursive: true, force: true });
  return { rss0, rss100, n100, rss1, n1 };
}

const mib = (kb) => `${(kb / 1024).toFixed(1)} MiB`;
const verdict = (ok) => (ok ? 'met' : 'NOT met');

export async function many() {
  const pm2Got = await installPm2();
  const pm2 = 'error' in pm2Got ? null : pm2Got;
  const dk = {};
  const pm = {};
  const s6 = {};
  try {
    for (const n of COUNTS) {
      dk[n] = await dkMany(n, n === 200);
      if (pm2) pm[n] = await pm2Many(pm2, n);
      if (S6_SVSCAN) s6[n] = await s6Many(n);
    }
  } finally {
    if (pm2) await pm2.stop();
  }
  const nodeMs = dk[200].listFloorMs;
  const flat = await crashFlat();

  const both = (f) => COUNTS.map((n) => f(n));
  const rows = [
    [
      'daemonkit up (one file, wall time to all running)',
      ...both((n) => `${f1(dk[n].upMs)} ms`),
      '≤ PM2',
    ],
    [
      'PM2 `pm2 start ecosystem.json` (God already up)',
      ...both((n) => (pm[n] ? `${f1(pm[n].startMs)} ms` : 'n/a')),
      '',
    ],
    ['s6-svscan (to all running)', ...both((n) => (s6[n] ? `${f1(s6[n].startMs)} ms` : 'n/a')), ''],
    [
      'daemonkit RssAnon (the shared supervisor: all its processes)',
      ...both((n) => mib(dk[n].rss)),
      '≤ 0.5× PM2',
    ],
    ['PM2 God daemon RssAnon', ...both((n) => (pm[n] ? mib(pm[n].rss) : 'n/a')), ''],
    [
      's6 RssAnon (s6-svscan + every s6-supervise)',
      ...both((n) => (s6[n] ? mib(s6[n].rss) : 'n/a')),
      '',
    ],
    [
      'daemonkit ÷ PM2 RssAnon',
      ...both((n) => (pm[n] ? `${(dk[n].rss / pm[n].rss).toFixed(2)}×` : 'n/a')),
      '≤ 0.5×',
    ],
    [
      'daemonkit up ÷ PM2 start',
      ...both((n) => (pm[n] ? `${(dk[n].upMs / pm[n].startMs).toFixed(2)}×` : 'n/a')),
      '≤ 1×',
    ],
  ];
  const notes = [];
  for (const n of COUNTS)
    if (pm[n]) {
      notes.push(
        `${n} services: up ${verdict(dk[n].upMs <= pm[n].startMs)} (${f1(dk[n].upMs)} ms vs PM2 ${f1(pm[n].startMs)} ms); memory ${verdict(dk[n].rss <= 0.5 * pm[n].rss)} (${mib(dk[n].rss)} vs 0.5 × ${mib(pm[n].rss)})`,
      );
    }
  if (dk[200])
    notes.push(
      `daemonkit list with 200 services: ${f1(dk[200].listMs)} ms = ${(dk[200].listMs / nodeMs).toFixed(2)}× node -e 0 (${f1(nodeMs)} ms; budget ≤ 2×: ${verdict(dk[200].listMs <= 2 * nodeMs)})`,
    );
  for (const n of COUNTS)
    notes.push(
      `daemonkit down of ${n} services (wall time until it has exited): ${f1(dk[n].downMs)} ms`,
    );
  const diff = flat.rss1 - flat.rss0;
  notes.push(
    `shared supervisor RssAnon over crash-restarts of one of its 20 services: ${mib(flat.rss0)} at the start, ${mib(flat.rss100)} after ${flat.n100}, ${mib(flat.rss1)} after ${flat.n1} (${flat.n1 - flat.n100} more): ${diff >= 0 ? '+' : ''}${diff} kB since the start, ${flat.rss1 - flat.rss100 >= 0 ? '+' : ''}${flat.rss1 - flat.rss100} kB over the last ${flat.n1 - flat.n100} (budget flat ± 1 MiB: ${verdict(Math.abs(diff) <= 1024)})`,
  );
  if (!pm2) notes.push(`PM2 not measured: ${pm2Got.error}`);
  if (!S6_SVSCAN) notes.push("s6 not measured: s6-svscan not installed (Debian's s6 package)");
  const method = [
    'N services of `/bin/sleep 100000` from one daemonkit.toml (`grace = 0`), `daemonkit up -q -f FILE` with no supervisor running: wall time from spawn until up has exited and every sleep runs under the shared supervisor (/proc).',
    'PM2: a fresh God daemon (`pm2 ping`), then `pm2 start ecosystem.json` of the same N apps, timed the same way (until every sleep runs under the God daemon); `pm2 kill` between counts.',
    's6: `s6-svscan DIR` on N service directories (`run`: `exec /bin/sleep 100000`), until every sleep runs under its s6-supervise.',
    'Memory: RssAnon (/proc/PID/status) 2 s after all run: daemonkit the shared supervisor (the only daemonkit process left), PM2 its God daemon, s6 s6-svscan and every s6-supervise summed.',
    `\`daemonkit list\` with the 200 services up: median of ${ROUNDS} runs; \`node -e 0\` median of ${ROUNDS} runs, each run just before a \`list\` (same moment, same machine state).`,
    'Crash-restarts: 19 sleeping services and one of `/bin/true` with `restart = "always"`, `restart-delay = "1ms"`: the shared supervisor RssAnon when the loop begins, after 100 restarts, and after 1,000 more.',
  ];
  return { rows, notes, method, head: HEAD };
}
