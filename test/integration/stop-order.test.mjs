// The order at a service's end: the state final, the log's last line written, the pidfile gone,
// then the lock let go — at the end of the service's life, not at its process's exit — and only
// then does `stop` return.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE, ROOT, isAlive, makeHome, readJson, run, startedPids } from '../helpers.mjs';

const h = makeHome();
after(() => h.cleanup());

const dist = (path) => JSON.stringify(join(ROOT, 'dist', path));

describe('the end of a service', () => {
  it('lets its lock go once the service is done, while its process still runs', async () => {
    // A process running one service (as `run`, the library's supervised daemon or a shared
    // supervisor do): once `done`, the service is not running, whatever the process does next.
    const script = join(h.home, 'one-service.mjs');
    writeFileSync(
      script,
      `import { servicePaths } from ${dist('config/paths.js')};
import { Problems, validateStart } from ${dist('config/options.js')};
import { buildCommandSpec } from ${dist('config/resolve.js')};
import { runService } from ${dist('supervisor/service.js')};
import { probeLock } from ${dist('service/pidfile.js')};
const paths = servicePaths({ name: 'lib-end' });
const spec = buildCommandSpec(['/bin/sh', '-c', 'echo last words; exit 3'], validateStart({}, new Problems()), paths, { foreground: true });
const running = runService(paths, spec, () => {});
await running.done;
console.log(JSON.stringify({ held: probeLock(paths.lockfile).held, pid: process.pid }));
`,
    );
    const r = await run(NODE, [script], { env: h.env });
    assert.equal(r.code, 0, r.stderr);
    const seen = JSON.parse(r.stdout.trim().split('\n').at(-1));
    assert.equal(seen.held, false, 'the lock is free once the service is done');
    const state = readJson(join(h.dir('lib-end'), 'state.json'));
    assert.equal(state.pid, seen.pid);
    assert.equal(state.lastExit?.code, 3);
    assert.ok(!existsSync(join(h.dir('lib-end'), 'pid')), 'the pidfile is gone');
  });

  it('`stop` returns with the state saying stopped, the log complete, the pidfile gone and the lock free', async () => {
    const name = 'ordered';
    const s = await h.dk([
      'start',
      '--name',
      name,
      '--grace',
      '0',
      '--',
      '/bin/sh',
      '-c',
      'trap "echo bye; exit 0" TERM; echo hello; while :; do sleep 0.05; done',
    ]);
    assert.equal(s.code, 0, s.stderr);
    const { pid, childPid } = startedPids(s.stdout);
    const stop = await h.dk(['stop', '--name', name]);
    assert.equal(stop.code, 0, stop.stderr);
    // Read at once, with nothing waited for: all of it is true when `stop` returns.
    const state = readJson(join(h.dir(name), 'state.json'));
    const status = await h.dk(['status', '--name', name]);
    assert.equal(state.state, 'stopped');
    assert.equal(state.pid, pid);
    assert.ok(!existsSync(join(h.dir(name), 'pid')), 'the pidfile is gone');
    assert.equal(isAlive(childPid), false, 'the COMMAND is gone');
    assert.equal(status.code, 3, `status says not running (LSB 3): ${status.stdout}`);
    const log = readFileSync(join(h.dir(name), `${name}.log`), 'utf8');
    assert.match(log, /bye\n/);
    assert.match(log, /daemonkit: stopped by daemonkit stop/);
    // and the name is free for a new start at once
    const again = await h.dk(['start', '--name', name, '--grace', '0', '--', '/bin/sleep', '1000']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((await h.dk(['stop', '--name', name])).code, 0);
  });
});
