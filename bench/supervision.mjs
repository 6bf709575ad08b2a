// The supervision part of `npm run bench` (the supervision issue's budgets): restart latency,
// the supervisor's memory, open fds and idle CPU, 200 services at once, and PM2 in the same run
// where npm can install it. Not a program of its own: bench.mjs imports it and calls
// supervision() after its own part, with its medians (for same-run ratios); the helpers, the
// daemonkit home, the subreaper and the clean-up registry are bench.mjs's.
// The method, as it goes into docs/benchmarks.md, is method() at the end.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CLI,
  ENV,
  HOME,
  SLEEP_EXE,
  TMP,
  check,
  checkInterrupted,
  cleanupHooks,
  dkServices,
  dkStart,
  dkStop,
  exeIs,
  f1,
  median,
  msBetween,
  native,
  now,
  pause,
  reapOnExit,
  run,
  when,
} from './bench.mjs';

const RUNS = Math.max(5, Number(process.env.BENCH_SUP_RUNS) || 5); // memory, CPU, crash loops, list
const LATENCY_ROUNDS = Math.max(RUNS, 9); // restart latency (cheap)
const SLEEP = ['/bin/sleep', '100000'];
const FEW_MS = 5; // "within the configured delay + a few ms"
const MEM_BUDGET_KB = 12 * 1024; // 12 MB, taken as MiB (/proc's kB are KiB)
const FLAT_KB = 1024; // ± 1 MB
const CRASH_RESTARTS = 1000;
const N_SERVICES = 200;
const PARALLEL = 8;
export const HEAD = ['measurement', 'median', '[min–max]', 'ratio (same run)', 'budget'];

// ---- /proc -------------------------------------------------------------------------------------
export const statusKb = (pid, field) =>
  Number(
    new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1],
  );
export const rssAnon = (pid) => statusKb(pid, 'RssAnon');
export const fdCount = (pid) => fs.readdirSync(`/proc/${pid}/fd`).length;
export const cpuTicks = (pid) => {
  // utime + stime (fields 14 and 15)
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
};
const childrenOf = (pid) => {
  const kids = [];
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      kids.push(
        ...fs
          .readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
          .split(' ')
          .filter(Boolean)
          .map(Number),
      );
    } catch {
      /* thread gone */
    }
  }
  return kids;
};
/** A child of `parent` other than `old` that runs /bin/sleep, else null. */
const newSleeper = (parent, old) =>
  childrenOf(parent).find((pid) => pid !== old && exeIs(pid, SLEEP_EXE)) ?? null;
/** The fewest and most fds over `n` samples ~2 ms apart (a pidfd open for a moment is not a
 *  leak). */
export async function fdRange(pid, n = 50) {
  const xs = [];
  for (let i = 0; i < n; i++) {
    xs.push(fdCount(pid));
    await pause(2);
  }
  return { min: Math.min(...xs), max: Math.max(...xs) };
}
/** Sleep in steps, so SIGINT is acted on within 200 ms. */
export async function sleepFor(ms) {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    checkInterrupted();
    await pause(Math.min(200, end - Date.now()));
  }
}

// ---- daemonkit ---------------------------------------------------------------------------------
export const readState = (name) => {
  try {
    return JSON.parse(fs.readFileSync(path.join(HOME, name, 'state.json'), 'utf8'));
  } catch {
    return null;
  }
};
async function statusJson(name) {
  const r = await run(process.execPath, [CLI, 'status', '--name', name, '--json'], {
    capture: true,
  });
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(
      `daemonkit status --name ${name} --json: exit ${r.code}, ${JSON.stringify(r.stdout)} ${r.stderr.trim()}`,
    );
  }
}
/** Start a service and wait until its supervisor is up (handles signals, watches its COMMAND). */
async function dkStartUp(command, options, name) {
  const svc = await dkStart(command, options, name);
  await when(
    () => readState(svc.name)?.handlesSignals === true,
    now(),
    `${svc.name}: supervisor up`,
  );
  const st = await statusJson(svc.name);
  if (st.pid !== svc.sup)
    throw new Error(`${svc.name}: status --json says pid ${st.pid}, start said ${svc.sup}`);
  return { ...svc, status: st };
}

/** kill -9 the COMMAND of a fresh `--restart always --restart-delay delay` service: ms until a
 *  new one runs. */
async function dkRestartLatency(delay) {
  const svc = await dkStartUp(SLEEP, ['--restart', 'always', '--restart-delay', delay]);
  try {
    const old = svc.status.childPid;
    await when(() => exeIs(old, SLEEP_EXE), now(), `${svc.name}: sleep exec`);
    const fd = native.pidfdOpen(old);
    let pid = null;
    const t0 = now();
    native.pidfdSignal(fd, 9);
    fs.closeSync(fd);
    const t1 = await when(
      () => (pid = newSleeper(svc.sup, old)) !== null,
      null,
      `${svc.name}: restarted sleep`,
    );
    await when(
      () => readState(svc.name)?.childPid === pid,
      now(),
      `${svc.name}: state.json names the new COMMAND ${pid}`,
    );
    return msBetween(t0, t1);
  } finally {
    await dkStop(svc);
  }
}

// ---- PM2 ---------------------------------------------------------------------------------------
/** Install PM2 into a temporary prefix: an object to drive it, or { error } when npm cannot
 *  install it. */
export async function installPm2() {
  const dir = fs.mkdtempSync(path.join(TMP, 'pm2-'));
  // Not the npm_* variables of `npm run bench`: they would configure the nested npm.
  const env = Object.fromEntries(Object.entries(ENV).filter(([k]) => !/^npm_/i.test(k)));
  const began = Date.now();
  // npm itself keeps NODE_EXTRA_CA_CERTS: the registry may need it (PM2's own runs do without, as
  // every contender).
  const installEnv = process.env.NODE_EXTRA_CA_CERTS
    ? { ...env, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS }
    : env;
  const r = await run('npm', ['install', '--no-audit', '--no-fund', '--prefix', dir, 'pm2'], {
    env: installEnv,
    timeoutMs: 180_000,
  }).catch((e) => ({ code: -1, stderr: e.message }));
  if (r.code !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    const why = r.stderr.trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';
    return {
      error: `npm install pm2 failed (${r.code === -1 ? why : `exit ${r.code}${why ? `: ${why}` : ''}`})`,
    };
  }
  const pm2 = {
    dir,
    bin: path.join(dir, 'node_modules/pm2/bin/pm2'),
    version: JSON.parse(fs.readFileSync(path.join(dir, 'node_modules/pm2/package.json'), 'utf8'))
      .version,
    env: { ...env, PM2_HOME: path.join(dir, 'pm2home') },
    installS: (Date.now() - began) / 1000,
    god: null,
    godFd: null,
    cmd: (args, opts = {}) =>
      run(process.execPath, [pm2.bin, ...args], { env: pm2.env, capture: true, ...opts }),
    async jlist() {
      const r = check(await pm2.cmd(['jlist']), 'pm2 jlist');
      return JSON.parse(r.stdout.slice(r.stdout.indexOf('[')));
    },
    /** `pm2 start /bin/sleep --name bench -- 100000`; the God daemon is adopted by us
     *  (subreaper). */
    async start() {
      cleanupHooks.add(pm2.stop);
      check(
        await pm2.cmd(['start', SLEEP[0], '--name', 'bench', '--', ...SLEEP.slice(1)]),
        'pm2 start',
      );
      pm2.god = Number(fs.readFileSync(path.join(pm2.env.PM2_HOME, 'pm2.pid'), 'utf8'));
      pm2.godFd = native.pidfdOpen(pm2.god);
      const app = (await pm2.jlist()).find((a) => a.name === 'bench');
      await when(() => exeIs(app.pid, SLEEP_EXE), now(), 'pm2 app: sleep exec');
    },
    /** pm2 kill, then the God daemon by its pidfd if it still lives; reap it; remove the prefix. */
    async stop() {
      cleanupHooks.delete(pm2.stop);
      if (pm2.god === null) {
        // a start cut short: the God daemon may have written its pid
        try {
          pm2.god = Number(fs.readFileSync(path.join(pm2.env.PM2_HOME, 'pm2.pid'), 'utf8')) || null;
          pm2.godFd = native.pidfdOpen(pm2.god);
        } catch {
          /* none */
        }
      }
      const reaped = pm2.god ? reapOnExit(pm2.god, 15000) : Promise.resolve();
      const r = await pm2
        .cmd(['kill'], { cleaning: true, timeoutMs: 30000 })
        .catch((e) => ({ code: -1, stderr: e.message }));
      if (r.code !== 0) console.error(`pm2 kill exited ${r.code}: ${r.stderr.trim()}`);
      if (pm2.godFd !== null) {
        if ((await native.pidfdWait([pm2.godFd], 2000)) !== 0) {
          console.error(`pm2: God daemon ${pm2.god} outlived pm2 kill: SIGKILL`);
          native.pidfdSignal(pm2.godFd, 9);
        }
        fs.closeSync(pm2.godFd);
        pm2.godFd = null;
      }
      await reaped;
      fs.rmSync(pm2.dir, { recursive: true, force: true });
    },
    async restartLatency() {
      const app = (await pm2.jlist()).find((a) => a.name === 'bench');
      if (app?.pm2_env?.status !== 'online' || !exeIs(app.pid, SLEEP_EXE))
        throw new Error(`pm2 app not online: ${JSON.stringify(app?.pm2_env?.status)}`);
      const fd = native.pidfdOpen(app.pid);
      const t0 = now();
      native.pidfdSignal(fd, 9);
      fs.closeSync(fd);
      return msBetween(
        t0,
        await when(() => newSleeper(pm2.god, app.pid) !== null, null, 'pm2: restarted sleep'),
      );
    },
    /** 200 more apps by one `pm2 start ecosystem.json`: ms until all run /bin/sleep, then
     *  RssAnon 2 s later. */
    async startMany() {
      const eco = path.join(pm2.dir, 'ecosystem.json');
      const apps = Array.from({ length: N_SERVICES }, (_, i) => ({
        name: `many-${i}`,
        script: SLEEP[0],
        args: SLEEP.slice(1).join(' '),
      }));
      fs.writeFileSync(eco, JSON.stringify({ apps }));
      const r = check(await pm2.cmd(['start', eco]), `pm2 start (${N_SERVICES} apps)`);
      const running = () =>
        childrenOf(pm2.god).filter((pid) => exeIs(pid, SLEEP_EXE)).length >= N_SERVICES + 1;
      let t = r.t1;
      for (const end = Date.now() + 30_000; !running(); t = now()) {
        checkInterrupted();
        if (Date.now() > end) throw new Error(`pm2: ${N_SERVICES} apps not running within 30 s`);
        await pause(5);
      }
      await sleepFor(2000);
      return { startMs: msBetween(r.t0, t), rss: rssAnon(pm2.god) };
    },
  };
  return pm2;
}

// ---- the measurements --------------------------------------------------------------------------
/** Idle: RUNS services, RssAnon and fds 2 s after each start, then CPU ticks over one 5 s window
 *  (PM2's God daemon alongside, idle with its one app). */
async function idle(pm2) {
  if (pm2) await pm2.start();
  const pm2Started = now();
  const svcs = [];
  for (let i = 0; i < RUNS; i++)
    svcs.push(await dkStartUp(SLEEP, ['--restart', 'always'], `idle-${i}`));
  for (const s of svcs) {
    // 2 s after its start returned
    await sleepFor(2000 - msBetween(s.r.t1, now()));
    s.rss = rssAnon(s.sup);
    s.fds = fdCount(s.sup);
  }
  const out = { rss: svcs.map((s) => s.rss), fds: svcs.map((s) => s.fds) };
  const pm2Rss = [];
  if (pm2) await sleepFor(2000 - msBetween(pm2Started, now()));
  const ticks0 = svcs.map((s) => cpuTicks(s.sup));
  const godTicks0 = pm2 ? cpuTicks(pm2.god) : null;
  for (let i = 0; i < 5; i++) {
    // the 5 s window; PM2's RssAnon once a second
    if (pm2) pm2Rss.push(rssAnon(pm2.god));
    await sleepFor(1000);
  }
  out.ticks = svcs.map((s, i) => cpuTicks(s.sup) - ticks0[i]);
  if (pm2)
    Object.assign(out, {
      pm2Rss,
      pm2Ticks: cpuTicks(pm2.god) - godTicks0,
      pm2Fds: fdCount(pm2.god),
    });
  for (const s of svcs) await dkStop(s);
  return out;
}

/** Restart latency, rounds rotating daemonkit 1ms, daemonkit 100ms and PM2. */
async function restarts(pm2) {
  const contenders = [
    async () => ({ dk1: await dkRestartLatency('1ms') }),
    async () => ({ dk100: await dkRestartLatency('100ms') }),
    ...(pm2 ? [async () => ({ pm2: await pm2.restartLatency() })] : []),
  ];
  const samples = {};
  for (let round = 0; round < LATENCY_ROUNDS; round++) {
    const k = round % contenders.length;
    for (const fn of [...contenders.slice(k), ...contenders.slice(0, k)]) {
      for (const [key, v] of Object.entries(await fn())) (samples[key] ??= []).push(v);
    }
  }
  return samples;
}

/** RUNS crash loops of /bin/true, one at a time: RssAnon and fds before and after 1,000
 *  restarts. */
async function crashLoops() {
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const svc = await dkStartUp(
      ['/bin/true'],
      [
        '--restart',
        'always',
        '--restart-delay',
        '1ms',
        '--restart-max-delay',
        '1ms',
        '--max-restarts',
        '10',
        '--restart-window',
        '1ms',
      ],
      `crash-${i}`,
    );
    const pid = svc.status.pid;
    const rec = {
      rss0: rssAnon(pid),
      fds0: await fdRange(pid),
      restarts0: readState(svc.name)?.restarts ?? 0,
      curve: [],
    };
    const began = Date.now();
    let marks = [100, 250, 500, 750];
    for (;;) {
      checkInterrupted();
      const st = readState(svc.name);
      const n = st?.restarts ?? 0;
      if (marks.length && n >= marks[0]) {
        rec.curve.push([n, rssAnon(pid)]);
        marks = marks.filter((m) => m > n);
      }
      if (n >= CRASH_RESTARTS) break;
      if (st && !['running', 'starting', 'backoff'].includes(st.state)) {
        rec.error = `crash-${i}: state ${st.state} after ${n} restarts (${st.error ?? ''})`;
        break;
      }
      if (Date.now() - began > 120_000) {
        rec.error = `crash-${i}: only ${n} restarts in 120 s`;
        break;
      }
      await pause(20);
    }
    if (!rec.error) {
      rec.rss1 = rssAnon(pid);
      rec.fds1 = await fdRange(pid);
      rec.curve.push([readState(svc.name).restarts, rec.rss1]);
      const st = await statusJson(svc.name); // the count `status --json` reports
      if (st.restarts < CRASH_RESTARTS)
        rec.error = `crash-${i}: status --json says ${st.restarts} restarts, state.json said ≥ ${CRASH_RESTARTS}`;
      rec.perS = (st.restarts - rec.restarts0) / ((Date.now() - began) / 1000);
    }
    await dkStop(svc);
    runs.push(rec);
  }
  return runs;
}

/** Run fn over items, `width` at a time; stop taking new ones after a failure, let the rest
 *  finish. */
async function pool(items, width, fn) {
  let next = 0,
    failed = false;
  const out = new Array(items.length);
  const results = await Promise.allSettled(
    Array.from({ length: width }, async () => {
      while (!failed && next < items.length) {
        const i = next++;
        try {
          out[i] = await fn(items[i], i);
        } catch (e) {
          failed = true;
          throw e;
        }
      }
    }),
  );
  const bad = results.find((r) => r.status === 'rejected');
  if (bad) throw bad.reason;
  return out;
}

/** 200 services: start (sequential, then 8 in parallel), list, list --json, stop (8 in
 *  parallel). */
async function many() {
  const names = Array.from({ length: N_SERVICES }, (_, i) => `many-${String(i).padStart(3, '0')}`);
  const startOne = async (name) => {
    const svc = await dkStart(SLEEP, [], name);
    const t = await when(() => exeIs(svc.child, SLEEP_EXE), svc.r.t1, `${name}: sleep exec`);
    return { ...svc, ms: msBetween(svc.r.t0, t) };
  };
  const stopOne = async (svc) => {
    const t0 = now();
    await dkStop(svc);
    return msBetween(t0, now());
  };
  const batch = async (fn) => {
    const t0 = now();
    const each = await fn();
    return { totalMs: msBetween(t0, now()), each };
  };
  const out = {};
  // `list` shows stopped services too: clear out the ones stopped earlier, so it lists just these.
  for (const entry of fs.readdirSync(HOME))
    if (!dkServices.has(entry)) fs.rmSync(path.join(HOME, entry), { recursive: true, force: true });

  out.startSeq = await batch(async () => {
    const svcs = [];
    for (const n of names) svcs.push(await startOne(n));
    return svcs;
  });
  let svcs = out.startSeq.each;
  out.startSeq.each = svcs.map((s) => s.ms);
  out.rssTotal = svcs.reduce((sum, s) => sum + rssAnon(s.sup), 0);
  for (const json of [false, true]) {
    const xs = [];
    for (let i = 0; i < RUNS; i++) {
      const r = check(
        await run(process.execPath, [CLI, 'list', ...(json ? ['--json'] : [])], { capture: true }),
        'daemonkit list',
      );
      const count = json ? JSON.parse(r.stdout).length : r.stdout.trim().split('\n').length - 1;
      if (count !== N_SERVICES)
        throw new Error(
          `daemonkit list${json ? ' --json' : ''}: ${count} services, expected ${N_SERVICES}`,
        );
      xs.push(msBetween(r.t0, r.t1));
    }
    out[json ? 'listJson' : 'list'] = xs;
  }
  out.stop1 = await batch(() => pool(svcs, PARALLEL, stopOne));
  out.startPar = await batch(() => pool(names, PARALLEL, startOne));
  svcs = out.startPar.each;
  out.startPar.each = svcs.map((s) => s.ms);
  out.stop2 = await batch(() => pool(svcs, PARALLEL, stopOne));
  return out;
}

// ---- report ------------------------------------------------------------------------------------
const range = (xs, fmt) => `[${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}]`;
const ms = (x) => `${f1(x)} ms`;
const sec = (x) => `${(x / 1000).toFixed(2)} s`;
const mib = (kb) => `${(kb / 1024).toFixed(2)} MiB`;
const signedKb = (kb) => `${kb >= 0 ? '+' : '−'}${Math.abs(Math.round(kb))} kB`;
const verdict = (ok, what) => `${what}: ${ok ? 'met' : 'NOT met'}`;
const times = (a, b) => (b ? `${(a / b).toFixed(2)}×` : '');

/**
 * Run the supervision measurements. `part1` holds bench.mjs's medians (ms): floor (node -e 0),
 * dkStart, dkStopSleep. Returns { head, rows, notes, method } for bench.mjs to print and record.
 */
export async function supervision(part1) {
  const notes = [];
  const budgets = [];
  const rows = [];
  const began = Date.now();
  const step = (what) =>
    process.stdout.write(`${what} (${((Date.now() - began) / 1000).toFixed(0)} s) `);

  const pm2Got = await installPm2();
  const pm2 = pm2Got.error ? null : pm2Got;
  step(pm2 ? `pm2 ${pm2.version} installed in ${pm2.installS.toFixed(1)} s;` : `${pm2Got.error};`);
  if (!pm2) notes.push(`PM2 not measured: ${pm2Got.error}.`);

  const load0 = os.loadavg()[0];
  let idleOut,
    lat,
    pm2Many = null;
  try {
    idleOut = await idle(pm2);
    step('idle;');
    lat = await restarts(pm2);
    step('restarts;');
    if (pm2) {
      pm2Many = await pm2.startMany();
      step(`pm2 ${N_SERVICES} apps;`);
    }
  } finally {
    if (pm2) await pm2.stop();
  }
  let crash = await crashLoops();
  step('crash loops;');
  const m = await many();
  step('200 services;');
  process.stdout.write('\n');
  const load1 = os.loadavg()[0];

  const pm2Label = pm2 ? `pm2 ${pm2.version}` : 'pm2';
  const noPm2 = ['not measured', '', '', 'PM2 not installed: see notes'];

  // restart latency
  const medPm2 = lat.pm2 ? median(lat.pm2) : null;
  for (const [key, delay] of [
    ['dk1', 1],
    ['dk100', 100],
  ]) {
    const med = median(lat[key]);
    const ok = med <= delay + FEW_MS;
    rows.push([
      `restart latency, --restart-delay ${delay}ms (kill -9 → new sleep exec'd)`,
      ms(med),
      range(lat[key], f1),
      delay === 1 ? (medPm2 ? `${times(med, medPm2)} pm2` : '') : `${times(med, delay)} the delay`,
      verdict(ok, `≤ ${delay} + ${FEW_MS} ms`),
    ]);
    budgets.push(
      `restart latency with --restart-delay ${delay}ms = ${ms(med)} (budget: the delay + a few ms, taken as ≤ ${delay + FEW_MS} ms: ${ok ? 'met' : 'NOT met'})`,
    );
  }
  rows.push(
    lat.pm2
      ? [
          `${pm2Label} restart latency (same kill, same poll)`,
          ms(medPm2),
          range(lat.pm2, f1),
          '1.00×',
          '',
        ]
      : [`${pm2Label} restart latency`, ...noPm2],
  );

  // memory and CPU
  const rssIdle = median(idleOut.rss);
  const pm2Rss = idleOut.pm2Rss ? median(idleOut.pm2Rss) : null;
  rows.push([
    'supervisor RssAnon, idle, 2 s after start',
    mib(rssIdle),
    range(idleOut.rss, (kb) => (kb / 1024).toFixed(2)),
    pm2Rss ? `${times(rssIdle, pm2Rss)} pm2 God` : '',
    verdict(rssIdle <= MEM_BUDGET_KB, '≤ 12 MiB'),
  ]);
  rows.push(
    pm2Rss
      ? [
          `${pm2Label} God daemon RssAnon, idle, 1 app (5 samples, 1 s apart)`,
          mib(pm2Rss),
          range(idleOut.pm2Rss, (kb) => (kb / 1024).toFixed(2)),
          '1.00×',
          '',
        ]
      : [`${pm2Label} God daemon RssAnon, idle, 1 app`, ...noPm2],
  );
  const failedRuns = crash.filter((r) => r.error);
  crash = crash.filter((r) => !r.error);
  if (crash.length === 0)
    throw new Error(
      `no crash loop reached ${CRASH_RESTARTS} restarts: ${failedRuns.map((r) => r.error).join('; ')}`,
    );
  const rss1 = crash.map((r) => r.rss1);
  const rssAfter = median(rss1);
  const diff = rssAfter - rssIdle;
  const flat = Math.abs(diff) <= FLAT_KB;
  rows.push([
    `supervisor RssAnon after ${CRASH_RESTARTS.toLocaleString('en')} crash-restarts`,
    mib(rssAfter),
    range(rss1, (kb) => (kb / 1024).toFixed(2)),
    `${times(rssAfter, rssIdle)} idle`,
    verdict(rssAfter <= MEM_BUDGET_KB, '≤ 12 MiB'),
  ]);
  rows.push([
    `  difference: after ${CRASH_RESTARTS.toLocaleString('en')} restarts − idle`,
    signedKb(diff),
    range(
      rss1.map((x) => x - rssIdle),
      (kb) => signedKb(kb).replace(' kB', ''),
    ),
    '',
    verdict(flat, 'flat, ± 1 MiB'),
  ]);
  const growth = crash.map((r) => {
    const [n0, k0] = r.curve[0];
    const [n1, k1] = r.curve.at(-1);
    return ((k1 - k0) / (n1 - n0)) * 1000;
  });
  rows.push([
    `  growth per 1,000 restarts (from ${crash[0].curve[0][0]}+ restarts on)`,
    signedKb(median(growth)),
    range(growth, (kb) => signedKb(kb).replace(' kB', '')),
    '',
    '',
  ]);
  const fdsIdle = median(idleOut.fds);
  const fds0 = crash.map((r) => r.fds0.min),
    fds1 = crash.map((r) => r.fds1.min);
  const fdsFlat = crash.every((r) => r.fds1.min <= r.fds0.min);
  rows.push([
    'supervisor open fds: idle / before → after crash-restarts (fewest of 50 samples)',
    `${fdsIdle} / ${median(fds0)} → ${median(fds1)}`,
    `[${Math.min(...fds0)}–${Math.max(...fds0)}] → [${Math.min(...fds1)}–${Math.max(...fds1)}]`,
    idleOut.pm2Fds ? `pm2 God: ${idleOut.pm2Fds}` : '',
    verdict(fdsFlat, 'flat'),
  ]);
  const idleTicks = Math.max(...idleOut.ticks);
  rows.push([
    'supervisor CPU ticks (utime+stime) over 5 s idle',
    String(median(idleOut.ticks)),
    `[${Math.min(...idleOut.ticks)}–${idleTicks}]`,
    idleOut.pm2Ticks !== undefined ? `pm2 God: ${idleOut.pm2Ticks}` : '',
    verdict(idleTicks === 0, '0 (every run)'),
  ]);
  budgets.push(
    `supervisor RssAnon idle = ${mib(rssIdle)} (budget ≤ 12 MiB: ${rssIdle <= MEM_BUDGET_KB ? 'met' : 'NOT met'})`,
  );
  budgets.push(
    `supervisor RssAnon after ${CRASH_RESTARTS} crash-restarts = ${mib(rssAfter)}, ${signedKb(diff)} from idle (budget flat, ± 1 MiB: ${flat ? 'met' : 'NOT met'})`,
  );
  budgets.push(
    `supervisor open fds idle ${fdsIdle}, before ${median(fds0)} → after ${median(fds1)} crash-restarts (budget flat, no run with more after: ${fdsFlat ? 'met' : 'NOT met'})`,
  );
  budgets.push(
    `supervisor CPU over 5 s idle = ${idleTicks} ticks at most (budget 0: ${idleTicks === 0 ? 'met' : 'NOT met'})`,
  );

  // 200 services
  const perSeq = m.startSeq.totalMs / N_SERVICES,
    perPar = m.startPar.totalMs / N_SERVICES;
  const stopTotals = [m.stop1.totalMs, m.stop2.totalMs];
  const perStop = median(stopTotals) / N_SERVICES;
  const vsPm2 = (x) => (pm2Many ? `, ${times(x, pm2Many.startMs)} pm2` : '');
  rows.push([
    `${N_SERVICES} services: start all, sequentially (1 batch)`,
    sec(m.startSeq.totalMs),
    '',
    vsPm2(m.startSeq.totalMs).slice(2),
    '',
  ]);
  rows.push([
    '  per service: batch ÷ 200 / each start (median of 200)',
    `${ms(perSeq)} / ${ms(median(m.startSeq.each))}`,
    range(m.startSeq.each, f1),
    `${times(median(m.startSeq.each), part1.dkStart)} lone start`,
    '',
  ]);
  rows.push([
    `${N_SERVICES} services: start all, ${PARALLEL} in parallel (1 batch)`,
    sec(m.startPar.totalMs),
    '',
    `${times(m.startPar.totalMs, m.startSeq.totalMs)} sequential${vsPm2(m.startPar.totalMs)}`,
    '',
  ]);
  rows.push([
    '  per service: batch ÷ 200 / each start (median of 200)',
    `${ms(perPar)} / ${ms(median(m.startPar.each))}`,
    range(m.startPar.each, f1),
    `${times(perPar, part1.dkStart)} lone start`,
    '',
  ]);
  rows.push(
    pm2Many
      ? [
          `${pm2Label}: start ${N_SERVICES} apps, one \`pm2 start ecosystem.json\` (1 batch)`,
          sec(pm2Many.startMs),
          '',
          '1.00×',
          '',
        ]
      : [`${pm2Label}: start ${N_SERVICES} apps`, ...noPm2],
  );
  rows.push([
    `daemonkit list, ${N_SERVICES} services`,
    ms(median(m.list)),
    range(m.list, f1),
    `${times(median(m.list), part1.floor)} node -e 0`,
    '',
  ]);
  rows.push([
    `daemonkit list --json, ${N_SERVICES} services`,
    ms(median(m.listJson)),
    range(m.listJson, f1),
    `${times(median(m.listJson), part1.floor)} node -e 0`,
    '',
  ]);
  rows.push([
    '  list per service: (list − node -e 0) ÷ 200',
    ms((median(m.list) - part1.floor) / N_SERVICES),
    '',
    '',
    '',
  ]);
  rows.push([
    `${N_SERVICES} services: stop all, ${PARALLEL} in parallel (2 batches)`,
    sec(median(stopTotals)),
    range(stopTotals, (x) => (x / 1000).toFixed(2)),
    '',
    '',
  ]);
  const stopEach = [...m.stop1.each, ...m.stop2.each];
  rows.push([
    '  per service: batch ÷ 200 / each stop (median of 400)',
    `${ms(perStop)} / ${ms(median(stopEach))}`,
    range(stopEach, f1),
    `${times(perStop, part1.dkStopSleep)} lone stop`,
    '',
  ]);
  rows.push([
    `${N_SERVICES} idle supervisors: RssAnon, total`,
    mib(m.rssTotal),
    '',
    pm2Many ? `${times(m.rssTotal, pm2Many.rss)} pm2 God` : '',
    '',
  ]);
  rows.push(
    pm2Many
      ? [
          `${pm2Label} God daemon RssAnon with ${N_SERVICES + 1} apps`,
          mib(pm2Many.rss),
          '',
          '1.00×',
          '',
        ]
      : [`${pm2Label} God daemon RssAnon with ${N_SERVICES} apps`, ...noPm2],
  );

  // observations
  for (const r of failedRuns) notes.push(`Crash loop failed, left out of the figures: ${r.error}.`);
  const curve = crash.map((r) =>
    r.curve.map(([n, kb]) => `${n}: ${(kb / 1024).toFixed(2)}`).join(', '),
  );
  notes.push(
    `Supervisor RssAnon (MiB) by restarts, per crash-loop run: ${curve.map((c) => `(${c})`).join('; ')}; just after start: ${crash.map((r) => (r.rss0 / 1024).toFixed(2)).join(', ')}.`,
  );
  notes.push(
    `Crash-restart rate: ${median(crash.map((r) => r.perS)).toFixed(0)} restarts/s (median of ${RUNS} runs).`,
  );
  const first = m.startSeq.each.slice(0, 20),
    last = m.startSeq.each.slice(-20);
  notes.push(
    `Sequential starts: the first 20 ${ms(median(first))}, the last 20 (199 services already running) ${ms(median(last))} (medians).`,
  );
  notes.push(
    `Load average (1 min) at the start of this part ${load0.toFixed(2)}, at its end ${load1.toFixed(2)}, on ${os.availableParallelism()} CPUs.`,
  );
  if (pm2)
    notes.push(
      `PM2's God daemon is one process for all of a user's apps; daemonkit runs one supervisor (a node process) per service.`,
    );
  return { head: HEAD, rows, notes: [...budgets, ...notes], method: method(pm2, pm2Got) };
}

function method(pm2, pm2Got) {
  return [
    `Restart latency: median of ${LATENCY_ROUNDS} rounds, each running daemonkit (1ms), daemonkit (100ms)${pm2 ? ' and PM2' : ''} once, the order rotated each round.
  daemonkit: a fresh \`start --name N --grace 0 --restart always --restart-delay D -- /bin/sleep 100000\` per sample (a service's
  later restarts wait twice as long each, below --min-uptime), once the supervisor handles signals; the COMMAND's pid from
  \`status --json\` (childPid) is sent SIGKILL through a pidfd, and /proc is polled every 1 ms until a new child of the supervisor
  has exec'd /bin/sleep (state.json's childPid is then checked to be that pid).${
    pm2
      ? `
  PM2 ${pm2.version} (installed in this run by \`npm install --no-audit --no-fund --prefix TMP pm2\`, PM2_HOME in TMP): one app,
  \`pm2 start /bin/sleep --name bench -- 100000\`; pid from \`pm2 jlist\`, the same SIGKILL and the same poll on the God daemon's children.
  Then ${N_SERVICES} more PM2 apps (/bin/sleep 100000) by one \`pm2 start ecosystem.json\`: timed until all run /bin/sleep; the God
  daemon's RssAnon 2 s later. At the end \`pm2 kill\`, the God daemon killed by its pidfd if still alive, the prefix removed.`
      : `
  PM2: not measured (${pm2Got.error}).`
  }
  Budget "the configured delay + a few ms" is taken as ≤ delay + ${FEW_MS} ms.`,
    `Idle: ${RUNS} services \`start --grace 0 --restart always -- /bin/sleep 100000\`; each supervisor's (pid from \`status --json\`)
  RssAnon (/proc/PID/status) and /proc/PID/fd count 2 s after its start, then utime+stime ticks (/proc/PID/stat) over one 5 s
  window for all.${pm2 ? " PM2's God daemon (pid from PM2_HOME/pm2.pid), with its one app, over the same window: RssAnon sampled once a second." : ''}
  12 MB is taken as 12 MiB (12288 kB), ± 1 MB as ± 1024 kB.`,
    `Crash-restarts: ${RUNS} runs, one at a time, of \`start --grace 0 --restart always --restart-delay 1ms --restart-max-delay 1ms
  --max-restarts 10 --restart-window 1ms -- /bin/true\`; state.json's restarts polled every 20 ms until ≥ ${CRASH_RESTARTS}, then RssAnon and
  fds again, and \`status --json\` for the restart count. "Difference" compares with the idle supervisors' median; fds are the fewest
  (and most) of 50 samples ~2 ms apart, right after start and after the restarts (a pidfd for the live COMMAND comes and goes).`,
    `${N_SERVICES} services (\`start --grace 0 -- /bin/sleep 100000\`): one batch each of starting them sequentially and ${PARALLEL} at a time,
  two batches of stopping them ${PARALLEL} at a time (a batch of 200 takes seconds, so not ${RUNS}); each command is timed alone too (spawn to
  exit, start also until the sleep has exec'd; stop until the supervisor is reaped), so per-service figures are medians of 200.
  \`list\` and \`list --json\` with all ${N_SERVICES} running: median of ${RUNS}. Ratios to "lone" figures use the first part's medians.`,
  ];
}
