// The `top` part of `npm run bench` (BENCH_ONLY=top: alone, printed): top's CPU per refresh with
// 200 services under $DAEMONKIT_HOME. Starting 200 daemons for it would cost ~8 GB of supervisors
// on a shared machine, so: a few real running services (BENCH_TOP_REAL, default 10: each a
// supervisor and a `sh` loop that logs a line a second) and the rest fake service directories
// (a state.json of a stopped, exited or failed service, a lock file nobody holds, a spec and a
// log), as many as make 200. Two measures:
//  - in top's own process: dist/cli/top's refresh (sample: every service read as `list` reads it
//    and one /proc scan for the process groups; the selected service's log; render) timed by
//    process.cpuUsage(), per refresh, RUNS times after a warm-up; and each kind of service alone,
//    so the cost of a running service and of a stopped one can be told apart;
//  - the real program: `daemonkit top --interval 1s` on a pseudo-terminal (script(1)), its CPU
//    ticks (/proc utime + stime) over 10 refreshes after it settled, terminal output included.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  CLI,
  ENV,
  HOME,
  cleanupHooks,
  dkServices,
  dkStart,
  f1,
  median,
  pause,
  reapOnExit,
  run,
} from './bench.mjs';
import { cpuTicks } from './supervision.mjs';

const N_SERVICES = 200;
const REAL = Math.max(1, Number(process.env.BENCH_TOP_REAL) || 10);
const RUNS = Math.max(10, Number(process.env.BENCH_TOP_RUNS) || 50);
const PROGRAM_REFRESHES = 10;
export const HEAD = ['measurement', 'median', '[min–max]', 'per service'];

/** A stopped, exited or failed service's directory, as a supervisor leaves it. */
function fakeService(name, i) {
  const dir = path.join(HOME, name);
  fs.mkdirSync(dir);
  const state = ['stopped', 'exited', 'failed'][i % 3];
  const exit = {
    code: state === 'failed' ? 3 : state === 'exited' ? 0 : null,
    signal: state === 'stopped' ? 'SIGTERM' : null,
    at: Date.now() - 1000,
    uptimeMs: 5000,
    byStop: state === 'stopped',
  };
  fs.writeFileSync(
    path.join(dir, 'state.json'),
    JSON.stringify({
      version: 1,
      kind: 'supervisor',
      state,
      pid: 4_000_000 + i,
      pidStartTime: 1,
      command: ['/bin/sleep', '1000'],
      pidfile: path.join(dir, 'pid'),
      startedAt: Date.now() - 10_000,
      updatedAt: Date.now(),
      restarts: i % 4,
      exits: [exit],
      lastExit: exit,
      handlesSignals: true,
      ...(state === 'failed' ? { error: 'exited with code 3' } : {}),
    }),
  );
  fs.writeFileSync(path.join(dir, 'pid.lock'), '');
  fs.writeFileSync(
    path.join(dir, `${name}.log`),
    Array.from({ length: 100 }, (_, k) => `line ${k} of ${name}\n`).join(''),
  );
}

async function refreshCost(home, runs, top) {
  const history = new top.History(1000);
  const once = (i) => {
    const t = process.cpuUsage();
    const services = top.sample(home, history, Date.now() + i * 1000);
    const s = services[0];
    const log = s?.paths ? top.lastLines(top.logSource(s.paths), 1) : [];
    top.render({
      cols: 80,
      lines: 24,
      color: true,
      rows: services.map((x) => x.row),
      selected: 0,
      scroll: 0,
      home,
      clock: 'every 1s  00:00:00',
      detail: '',
      log,
      pane: false,
      message: null,
      window: history.size,
    });
    const d = process.cpuUsage(t);
    return { ms: (d.user + d.system) / 1000, n: services.length };
  };
  for (let i = 0; i < 3; i++) once(i); // warm-up: the JIT, the page cache
  const xs = [];
  let n = 0;
  for (let i = 0; i < runs; i++) {
    const r = once(i + 3);
    xs.push(r.ms);
    n = r.n;
    await pause(5);
  }
  return { xs, n };
}

/** One scan of /proc, as a refresh makes it (every process's stat read once). */
async function scanCost(runs) {
  const { withOneProcScan } = await import('../dist/sys/proc.js');
  const { groupMembers } = await import('../dist/sys/proc-groups.js');
  const xs = [];
  for (let i = 0; i < runs + 3; i++) {
    const t = process.cpuUsage();
    withOneProcScan(() => groupMembers(process.pid)); // the first question reads every stat
    const d = process.cpuUsage(t);
    if (i >= 3) xs.push((d.user + d.system) / 1000);
    await pause(5);
  }
  return { xs, procs: fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).length };
}

/** The real program on a pseudo-terminal: CPU ms per refresh at --interval 1s. */
async function programCost() {
  const child = spawn(
    'script',
    ['-qfec', `exec ${process.execPath} -- ${CLI} top --interval 1s`, '/dev/null'],
    { env: { ...ENV, TERM: 'xterm' }, stdio: ['ignore', 'ignore', 'ignore'] },
  );
  const stop = async () => {
    try {
      process.kill(child.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
    await exited;
  };
  const exited = new Promise((resolve) => child.on('exit', resolve));
  cleanupHooks.add(stop);
  try {
    let top = null;
    for (let i = 0; i < 200 && !top; i++) {
      // script's child: top itself (exec)
      await pause(25);
      try {
        top =
          Number(
            fs
              .readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8')
              .trim()
              .split(' ')[0],
          ) || null;
      } catch {
        /* not yet */
      }
    }
    if (!top) throw new Error('top did not start under script(1)');
    await pause(3000); // started, settled
    const t0 = cpuTicks(top);
    await pause(PROGRAM_REFRESHES * 1000);
    const ticks = cpuTicks(top) - t0;
    return (ticks * 10) / PROGRAM_REFRESHES;
  } finally {
    await stop();
    cleanupHooks.delete(stop);
  }
}

export async function top() {
  const top = {
    ...(await import('../dist/cli/top/sample.js')),
    ...(await import('../dist/cli/top/history.js')),
    ...(await import('../dist/cli/top/layout.js')),
    ...(await import('../dist/cli/top/tail.js')),
  };
  const real = [];
  for (let i = 0; i < REAL; i++)
    real.push(
      await dkStart(['sh', '-c', 'while :; do echo tick; sleep 1; done'], [], `top-real-${i}`),
    );
  const fakes = [];
  const present = fs.readdirSync(HOME).length;
  for (let i = 0; fakes.length < N_SERVICES - present; i++)
    fakes.push(`top-fake-${String(i).padStart(3, '0')}`);
  for (const [i, name] of fakes.entries()) fakeService(name, i);
  const removeFakes = async () => {
    for (const name of fakes) fs.rmSync(path.join(HOME, name), { recursive: true, force: true });
  };
  cleanupHooks.add(removeFakes);
  try {
    const all = await refreshCost(HOME, RUNS, top);
    const scan = await scanCost(RUNS);
    const program = await programCost();
    // each kind alone: the fakes moved aside (to a home of their own) for the running ones
    const aside = path.join(path.dirname(HOME), 'top-fakes');
    fs.mkdirSync(aside, { recursive: true });
    for (const name of fakes) fs.renameSync(path.join(HOME, name), path.join(aside, name));
    const running = await refreshCost(HOME, RUNS, top);
    const stopped = await refreshCost(aside, RUNS, top);
    for (const name of fakes) fs.renameSync(path.join(aside, name), path.join(HOME, name));
    fs.rmSync(aside, { recursive: true, force: true });
    const range = (xs) => `[${f1(Math.min(...xs))}–${f1(Math.max(...xs))}]`;
    const per = (xs, n) => `${(median(xs) / n).toFixed(3)} ms`;
    const rows = [
      [
        `top refresh, ${all.n} services (${REAL} running, ${fakes.length} fake stopped/exited/failed): CPU ms`,
        f1(median(all.xs)),
        range(all.xs),
        per(all.xs, all.n),
      ],
      [
        `  the program (daemonkit top --interval 1s on a pty): CPU ms per refresh over ${PROGRAM_REFRESHES}`,
        f1(program),
        '',
        '',
      ],
      [
        `  of which one /proc scan for the process groups (${scan.procs} processes): CPU ms`,
        f1(median(scan.xs)),
        range(scan.xs),
        '',
      ],
      [
        `  the ${running.n} running services alone: CPU ms`,
        f1(median(running.xs)),
        range(running.xs),
        per(running.xs, running.n),
      ],
      [
        `  the ${stopped.n} stopped services alone: CPU ms`,
        f1(median(stopped.xs)),
        range(stopped.xs),
        per(stopped.xs, stopped.n),
      ],
    ];
    // The scan is paid once per refresh, whatever the number of services.
    const perRunning = Math.max(0, median(running.xs) - median(scan.xs)) / running.n;
    const perStopped = median(stopped.xs) / stopped.n;
    const notes = [
      `${REAL} real services and ${fakes.length} fake ones (state files): starting 200 daemons for this part would take ~8 GB of supervisors; say BENCH_TOP_REAL=200 for real ones.`,
      `Estimated for 200 running services (the scan + 200 × a running service's share, ${perRunning.toFixed(3)} ms): ${f1(median(scan.xs) + perRunning * 200)} ms of CPU per refresh, ${f1((median(scan.xs) + perRunning * 200) / 10)} % of a core at --interval 1s; 200 stopped ones: ${f1(perStopped * 200)} ms.`,
      "Between refreshes top costs nothing: a timer, no polling (test/integration/top.test.mjs counts its threads' context switches).",
    ];
    return {
      head: HEAD,
      rows,
      notes,
      method: [
        `Each in-process figure is the median of ${RUNS} refreshes after 3 untimed ones, timed by process.cpuUsage() (user + system) around sample + the log line + render; the program figure is /proc utime + stime of the real top over ${PROGRAM_REFRESHES} refreshes at 1 s, terminal output included.`,
      ],
    };
  } finally {
    for (const svc of real) {
      const reaped = reapOnExit(svc.sup);
      await run(process.execPath, [CLI, 'stop', '--name', svc.name], { cleaning: true });
      dkServices.delete(svc.name);
      await reaped;
    }
    await removeFakes();
    cleanupHooks.delete(removeFakes);
  }
}
