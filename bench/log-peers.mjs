// Issue 20's log budget: the relay through the supervisor against the logging peers, in one run.
// A fast writer (`cat` of a file in /dev/shm, so the writer is not the bottleneck) floods MB × 1 MiB
// of 100-byte lines into a log rotating at 64 MiB keeping 2; each contender is timed from the
// writer's release (a FIFO) until it has written everything and exited: rotatelogs (apache2-utils),
// s6-log (s6), svlogd (runit), multilog (daemontools), and `daemonkit run`; without rotation,
// `| cat > file` against `daemonkit run` with no size limit. Peers missing are installed from
// Debian (apt-get) when we can, else named in the notes. Called by logs.mjs.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  CLI,
  ENV,
  TMP,
  checkInterrupted,
  cleanupHooks,
  median,
  msBetween,
  now,
  pause,
} from './bench.mjs';
import { readState } from './supervision.mjs';

const MIB = 1024 * 1024;
const MB = Math.max(64, Number(process.env.BENCH_PEER_MB) || 256);
const RUNS = Math.max(3, Number(process.env.BENCH_PEER_RUNS) || 5);
const BYTES = MB * 10486 * 100; // as logrelay.py: MB blocks of 10,486 lines of 100 bytes
const M64 = 64 * MIB;

const PEERS = [
  {
    key: 'rotatelogs',
    exe: 'rotatelogs',
    pkg: 'apache2-utils',
    label: '`| rotatelogs -n 2 FILE 64M` (apache2-utils)',
  },
  { key: 's6-log', exe: 's6-log', pkg: 's6', label: '`| s6-log -b n2 s67108864 DIR` (s6)' },
  {
    key: 'svlogd',
    exe: 'svlogd',
    pkg: 'runit',
    label: '`| svlogd DIR`, config `s67108864` `n2` (runit)',
  },
  {
    key: 'multilog',
    exe: 'multilog',
    pkg: 'daemontools',
    label: '`| multilog s16777215 n8 DIR` (daemontools; its largest size is 16 MiB − 1)',
  },
];

const has = (exe) => spawnSync('sh', ['-c', `command -v ${exe}`], { stdio: 'ignore' }).status === 0;

/** Install the missing peers from Debian; returns the words for those still missing. */
function installPeers() {
  const missing = PEERS.filter((p) => !has(p.exe));
  if (missing.length === 0) return [];
  const pkgs = missing.map((p) => p.pkg);
  if (process.getuid?.() === 0 && has('apt-get')) {
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 300_000,
    });
  }
  return PEERS.filter((p) => !has(p.exe)).map(
    (p) =>
      `${p.exe} (Debian ${p.pkg}) is not installed and could not be installed here: not measured`,
  );
}

let serial = 0;
const live = new Set();
const killAll = async () => {
  for (const pid of live) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
};

/** Run `argv` in its own process group; resolves its exit code. */
function launch(argv, env = ENV) {
  const child = spawn(argv[0], argv.slice(1), {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  live.add(child.pid);
  let err = '';
  child.stderr.on('data', (d) => {
    err = (err + d).slice(-400);
  });
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      live.delete(child.pid);
      resolve({ code, signal, err: () => err });
    }),
  );
  return { pid: child.pid, exited };
}

/** The writer's FIFO, open for writing once the writer reads it (ENXIO until then). */
async function fifoReady(fifo) {
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await pause(5)) {
    checkInterrupted();
    try {
      return fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } catch (e) {
      if (e.code !== 'ENXIO') throw e;
    }
  }
  throw new Error('the writer did not open its FIFO within 20 s');
}

const sizeOf = (f) => {
  try {
    return fs.statSync(f).size;
  } catch {
    return 0;
  }
};

/** One timed run: the contender's argv from (dir, writer); `ready()` before the trigger. */
async function timed(build, { daemonkit = null, check } = {}) {
  const dir = fs.mkdtempSync(path.join(TMP, `peer-${++serial}-`));
  const fifo = path.join(dir, 'go.fifo');
  execFileSync('mkfifo', [fifo]);
  const writer = `read _ < ${fifo}; exec cat ${SRC}`;
  try {
    const c = launch(build(dir, writer));
    const fd = await fifoReady(fifo);
    if (daemonkit) {
      for (
        const deadline = Date.now() + 20_000;
        readState(daemonkit)?.handlesSignals !== true;
        await pause(5)
      ) {
        if (Date.now() > deadline)
          throw new Error(`${daemonkit}: the supervisor not up within 20 s`);
      }
    } else await pause(100); // the logger's exec, beside the writer's
    execFileSync('sync');
    fs.writeSync(fd, 'go\n');
    const t0 = now();
    fs.closeSync(fd);
    const r = await c.exited;
    const t1 = now();
    if (r.code !== 0)
      throw new Error(
        `${build(dir, writer).join(' ')} exited ${r.code ?? r.signal}: ${r.err().trim()}`,
      );
    check?.(dir);
    return msBetween(t0, t1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

let SRC = null;
const sh = (script) => ['/bin/sh', '-c', script];
const dkRun = (name, dir, writer, extra) => [
  process.execPath,
  CLI,
  'run',
  '--name',
  name,
  '--stdout',
  path.join(dir, 'dk.log'),
  ...extra,
  '--',
  '/bin/sh',
  '-c',
  writer,
];
/** The whole output, exactly, in FILE (no rotation). */
const exact = (file) => (dir) => {
  const n = sizeOf(path.join(dir, file));
  if (n !== BYTES) throw new Error(`${file}: ${n} bytes, expected ${BYTES}`);
};
/** Rotation kept NAME and 2 more: the newest bytes, no file over 64 MiB, the last line whole. */
const rotated = (dir) => {
  const files = fs.readdirSync(dir).filter((f) => /^dk\.log(\.\d+)?$/.test(f));
  const total = files.reduce((s, f) => s + sizeOf(path.join(dir, f)), 0);
  if (
    files.length !== 3 ||
    total < 2 * M64 - MIB ||
    files.some((f) => sizeOf(path.join(dir, f)) > M64)
  )
    throw new Error(`daemonkit's rotation: ${files.join(', ')} hold ${total} bytes`);
};

export async function peers() {
  cleanupHooks.add(killAll);
  SRC = path.join('/dev/shm', `daemonkit-bench-src-${process.pid}`);
  const block = Buffer.from(`${'x'.repeat(99)}\n`.repeat(10486));
  const fd = fs.openSync(SRC, 'w');
  for (let i = 0; i < MB; i++) fs.writeSync(fd, block);
  fs.closeSync(fd);
  const notes = installPeers();
  const present = PEERS.filter((p) => has(p.exe));
  const contenders = {
    cat: {
      label: '`| cat > FILE` (a C read/write relay), no rotation',
      argv: (d, w) => sh(`(${w}) | cat > ${d}/out.log`),
      check: exact('out.log'),
    },
    dkPlain: {
      label: '`daemonkit run --stdout FILE` (no rotation)',
      dk: [],
      check: exact('dk.log'),
    },
    dkRotate: {
      label: '`daemonkit run --stdout FILE --log-max-size 64M --log-keep 2`',
      dk: ['--log-max-size', '64M', '--log-keep', '2'],
      check: rotated,
    },
    rotatelogs: { argv: (d, w) => sh(`(${w}) | rotatelogs -n 2 ${d}/rl.log 64M`) },
    // Reported, not a budget's peer: the writer in a session of its own, as a supervisor runs a
    // service (daemonkit's COMMAND; supervisors commonly do the same). With the kernel's
    // autogroups (a session each, in the root cgroup), every wake-up between writer and logger
    // then crosses groups: under load that costs the pipeline (docs/benchmarks.md).
    rotatelogsSession: {
      label: '`setsid -w WRITER | rotatelogs -n 2 FILE 64M` (the writer in a session of its own)',
      argv: (d, w) => sh(`setsid -w sh -c '${w}' | rotatelogs -n 2 ${d}/rl.log 64M`),
    },
    's6-log': { argv: (d, w) => sh(`(${w}) | s6-log -b n2 s${M64} ${d}/s6`) },
    svlogd: {
      argv: (d, w) =>
        sh(
          `mkdir -p ${d}/sv && printf 's${M64}\\nn2\\n' > ${d}/sv/config && (${w}) | svlogd ${d}/sv`,
        ),
    },
    multilog: { argv: (d, w) => sh(`(${w}) | multilog s16777215 n8 ${d}/ml`) },
  };
  const session = present.some((p) => p.key === 'rotatelogs') && has('setsid');
  const keys = [
    'cat',
    'dkPlain',
    'dkRotate',
    ...present.map((p) => p.key),
    ...(session ? ['rotatelogsSession'] : []),
  ];
  const ms = Object.fromEntries(keys.map((k) => [k, []]));
  try {
    for (let round = 0; round < RUNS; round++) {
      const k0 = round % keys.length;
      for (const key of [...keys.slice(k0), ...keys.slice(0, k0)]) {
        const c = contenders[key];
        if (c.dk) {
          const name = `peer-${serial + 1}`;
          ms[key].push(
            await timed((d, w) => dkRun(name, d, w, c.dk), { daemonkit: name, check: c.check }),
          );
        } else ms[key].push(await timed(c.argv, { check: c.check }));
      }
    }
  } finally {
    fs.rmSync(SRC, { force: true });
  }
  const rate = (key) => BYTES / MIB / (median(ms[key]) / 1000);
  const range = (key) =>
    `[${(BYTES / MIB / (Math.max(...ms[key]) / 1000)).toFixed(0)}–${(BYTES / MIB / (Math.min(...ms[key]) / 1000)).toFixed(0)}]`;
  const rows = [];
  const best = present.map((p) => p.key).sort((a, b) => rate(b) - rate(a))[0] ?? null;
  const ratio = best ? rate('dkRotate') / rate(best) : null;
  const verdict =
    ratio === null ? 'no peer measured' : `≥ 1.00× ${best}: ${ratio >= 1 ? 'met' : 'NOT met'}`;
  rows.push([
    `${contenders.dkRotate.label}, ${MB} MiB from \`cat\` of /dev/shm (writer released → every byte written and exited)`,
    `${rate('dkRotate').toFixed(0)} MiB/s`,
    range('dkRotate'),
    best ? `${ratio.toFixed(2)}× ${best}` : '',
    verdict,
  ]);
  for (const p of present)
    rows.push([
      `  peer: ${p.label}`,
      `${rate(p.key).toFixed(0)} MiB/s`,
      range(p.key),
      `${(rate('dkRotate') / rate(p.key)).toFixed(2)}× (daemonkit ÷ it)`,
      '',
    ]);
  if (session)
    rows.push([
      `  reported: ${contenders.rotatelogsSession.label}`,
      `${rate('rotatelogsSession').toFixed(0)} MiB/s`,
      range('rotatelogsSession'),
      `${(rate('dkRotate') / rate('rotatelogsSession')).toFixed(2)}× (daemonkit ÷ it)`,
      '(reported)',
    ]);
  const plain = rate('dkPlain') / rate('cat');
  rows.push([
    `  ${contenders.dkPlain.label}`,
    `${rate('dkPlain').toFixed(0)} MiB/s`,
    range('dkPlain'),
    `${plain.toFixed(2)}× \`| cat >\``,
    '(reported)',
  ]);
  rows.push([
    `  ${contenders.cat.label}`,
    `${rate('cat').toFixed(0)} MiB/s`,
    range('cat'),
    '1.00×',
    '',
  ]);
  const budget =
    ratio === null
      ? `log relay against the peers: none of them could be measured`
      : `log relay with rotation = ${rate('dkRotate').toFixed(0)} MiB/s vs the best peer, ${best}, ${rate(best).toFixed(0)} MiB/s = ${ratio.toFixed(2)}× (budget ≥ 1.00×: ${ratio >= 1 ? 'met' : 'NOT met'}); without rotation ${rate('dkPlain').toFixed(0)} MiB/s vs \`| cat >\` ${rate('cat').toFixed(0)} MiB/s = ${plain.toFixed(2)}×`;
  const method = `Relay against the peers (issue 20): ${RUNS} rounds, each running every contender once, the order rotated each round; medians.
  The writer is \`sh -c 'read _ < FIFO; exec cat SRC'\`, SRC ${MB} × 10,486 lines of 100 bytes (${BYTES.toLocaleString('en')} bytes) in /dev/shm; each
  contender is started, the writer opens its FIFO (and, for daemonkit, the supervisor handles signals), \`sync\`, then the timer runs from the
  FIFO's write until the contender has exited (the writer done, every byte written). Peers run as \`sh -c '(WRITER) | PEER …'\`; daemonkit as
  \`daemonkit run --name N --stdout DIR/dk.log [--log-max-size 64M --log-keep 2] -- sh -c WRITER\` (its time includes the supervisor's exit).
  Checked: the unrotated files hold every byte; daemonkit's rotation left dk.log and 2 rotated files, none over 64 MiB.
  Reported beside the budget: rotatelogs with its writer under \`setsid -w\` (a session, so an autogroup, of its own, as daemonkit's COMMAND
  and a supervision suite's service are; the pipeline peers' writer shares their session).`;
  return { rows, budget, notes, method };
}
