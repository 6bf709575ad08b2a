// Rolling restarts under load (BENCH_ONLY=rolling): requests/s, failed requests and latency while
// a 2-instance HTTP server is replaced again and again, daemonkit (`--instances 2 --listen`,
// `restart --rolling`) against PM2's cluster mode (`pm2 start -i 2`, `pm2 reload`) in the same run,
// the same server file (bench/rolling-server.cjs). A client (test/load-client.mjs) keeps 4
// requests in flight, one connection each, on loopback; first BASE_S seconds with no restart (the
// baseline), then ROLLS restarts back to back. Extra latency: a percentile during the restarts
// minus the same percentile of the baseline.
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { CLI, check, pause, run } from './bench.mjs';
import { installPm2 } from './supervision.mjs';
import { loadClient } from '../test/load-client.mjs';

const SERVER = fileURLToPath(new URL('rolling-server.cjs', import.meta.url));
const ROLLS = Math.max(3, Number(process.env.BENCH_ROLLS) || 10);
const BASE_S = 3;
export const HEAD = [
  'contender',
  'phase',
  'requests',
  'req/s',
  'failed',
  'p50 ms',
  'p99 ms',
  'max ms',
];

const METHOD = [
  'The same HTTP server file (bench/rolling-server.cjs, node `http`, one response per connection) as 2 instances: daemonkit `start --instances 2 --listen tcp:127.0.0.1:PORT --ready fd:4` (ready once it listens), replaced by `restart --rolling`; PM2 `start -i 2` (cluster mode), replaced by `pm2 reload` (its graceful reload: SIGINT to each old worker once its new one listens).',
  `A client in the bench process keeps 4 requests in flight on loopback, one connection each (no keep-alive), timeout 10 s: first ${BASE_S} s with no restart (baseline), then ${ROLLS} restarts back to back, each command waited for.`,
  'failed: refused, reset, timed out or not HTTP 200. Latency: from the request to the end of its response, percentiles over every request of the phase.',
];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const pct = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** The client's figures over `seconds`. */
function figures(result, seconds) {
  const lat = [...result.latencies].sort((a, b) => a - b);
  return {
    requests: result.ok + result.failures.length,
    rps: result.ok / seconds,
    failed: result.failures.length,
    why: [...new Set(result.failures)].join(', '),
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    max: lat.at(-1) ?? NaN,
  };
}

/** Baseline, then `roll()` ROLLS times under the same client. */
async function measure(port, roll) {
  let client = loadClient(port);
  const t0 = Date.now();
  await pause(BASE_S * 1000);
  const base = figures(await client.stop(), (Date.now() - t0) / 1000);
  client = loadClient(port);
  const t1 = Date.now();
  for (let i = 0; i < ROLLS; i++) await roll(i);
  const during = figures(await client.stop(), (Date.now() - t1) / 1000);
  during.rollMs = (Date.now() - t1) / ROLLS;
  return { base, during };
}

async function daemonkit() {
  const port = await freePort();
  const dk = (args) => run(process.execPath, [CLI, ...args], { capture: true, timeoutMs: 120_000 });
  check(
    await dk([
      'start',
      '--name',
      'bench-roll',
      '--instances',
      '2',
      '--listen',
      `tcp:127.0.0.1:${port}`,
      '--ready',
      'fd:4',
      '--',
      process.execPath,
      SERVER,
    ]),
    'daemonkit start',
  );
  try {
    return await measure(port, async () =>
      check(
        await dk(['restart', '--rolling', '--name', 'bench-roll']),
        'daemonkit restart --rolling',
      ),
    );
  } finally {
    await dk(['stop', '--name', 'bench-roll']);
  }
}

async function pm2Cluster(pm2) {
  const port = await freePort();
  const env = { ...pm2.env, PORT: String(port) };
  const cmd = (args) =>
    run(process.execPath, [pm2.bin, ...args], { env, capture: true, timeoutMs: 120_000 });
  check(await cmd(['start', SERVER, '-i', '2', '--name', 'bench-roll']), 'pm2 start -i 2');
  // Both workers listening before the baseline begins.
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.destroy();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
    if (ok) break;
    await pause(100);
  }
  await pause(1000);
  try {
    return await measure(port, async () =>
      check(await cmd(['reload', 'bench-roll']), 'pm2 reload'),
    );
  } finally {
    await cmd(['delete', 'bench-roll']);
  }
}

const row = (who, phase, f) => [
  who,
  phase,
  String(f.requests),
  f.rps.toFixed(0),
  `${f.failed}${f.why ? ` (${f.why})` : ''}`,
  f.p50.toFixed(1),
  f.p99.toFixed(1),
  f.max.toFixed(1),
];

export async function rolling() {
  const rows = [];
  const notes = [];
  const dk = await daemonkit();
  rows.push(row('daemonkit --instances 2', 'baseline', dk.base));
  rows.push(row('daemonkit --instances 2', `${ROLLS} × restart --rolling`, dk.during));
  const pm2 = await installPm2();
  let pm;
  if (pm2.error) notes.push(`PM2: not measured: ${pm2.error}`);
  else {
    try {
      await pm2.start(); // the God daemon, adopted by the bench (its cleanup kills it)
      pm = await pm2Cluster(pm2);
      rows.push(row(`PM2 ${pm2.version} cluster -i 2`, 'baseline', pm.base));
      rows.push(row(`PM2 ${pm2.version} cluster -i 2`, `${ROLLS} × pm2 reload`, pm.during));
    } finally {
      await pm2.stop();
    }
  }
  const extra = (r) =>
    `p50 +${(r.during.p50 - r.base.p50).toFixed(1)} ms, p99 +${(r.during.p99 - r.base.p99).toFixed(1)} ms`;
  notes.push(
    `Extra latency during the restarts (vs. the baseline): daemonkit ${extra(dk)}${pm ? `; PM2 ${extra(pm)}` : ''}.`,
  );
  notes.push(
    `One restart took ${dk.during.rollMs.toFixed(0)} ms with daemonkit${pm ? `, ${pm.during.rollMs.toFixed(0)} ms with pm2 reload` : ''} (the command's wall time).`,
  );
  return { head: HEAD, rows, notes, method: METHOD };
}
