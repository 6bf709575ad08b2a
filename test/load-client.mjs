// A client that keeps sending requests to 127.0.0.1:PORT (one connection each: no keep-alive),
// from `workers` loops at once, until stopped: for the rolling-restart proofs and the bench. It
// counts what failed (refused, reset, timed out, a non-200), what each version answered, and each
// request's latency.
import http from 'node:http';

/** Start it; `stop()` resolves with { ok, failures: [why…], versions: Map, latencies: [ms…] }. */
export function loadClient(port, { workers = 4, timeoutMs = 10_000 } = {}) {
  const result = { ok: 0, failures: [], versions: new Map(), latencies: [] };
  let running = true;
  const one = () =>
    new Promise((resolve) => {
      const t0 = process.hrtime.bigint();
      const done = (why, body) => {
        if (why) result.failures.push(why);
        else {
          result.ok++;
          result.latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          const v = JSON.parse(body).version;
          result.versions.set(v, (result.versions.get(v) ?? 0) + 1);
        }
        resolve();
      };
      const req = http.get(
        { host: '127.0.0.1', port, path: '/', agent: false, timeout: timeoutMs },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (body += d));
          res.on('end', () => done(res.statusCode === 200 ? null : `HTTP ${res.statusCode}`, body));
          res.on('error', (e) => done(e.code ?? e.message));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (e) => done(e.code ?? e.message));
    });
  const loops = Array.from({ length: workers }, async () => {
    while (running) await one();
  });
  return {
    result,
    async stop() {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}
