// Fault suite: a report (`list`, `status -f`) reads every service's files ahead in one call;
// what it then says of a service must still be what that service's own files and lock say
// together. A stop landing between the read-ahead and the look at the lock (held there by strace)
// is a stopped service (3), never a daemon that "died without cleaning up" (1).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, NODE, waitFor } from '../helpers.mjs';
import { assertNothingLeft, faultHome, guarded } from './helpers.mjs';

const h = faultHome();
after(() => h.cleanup());
const STRACE = ['/usr/bin/strace', '/bin/strace'].find((p) => existsSync(p));

/** The traced `daemonkit` (strace's child once it runs node: strace first forks a short-lived
 *  child of its own, to test ptrace) while it is stopped in the held open: found stopped by its
 *  tracer ('t') on the same syscall for 300 ms, as no other open of it is. */
async function heldInOpen(tracer) {
  const child = () =>
    readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .find((pid) => {
        try {
          const parent = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1];
          return (
            parent === String(tracer.pid) &&
            readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] === NODE
          );
        } catch {
          return false;
        }
      });
  const pid = await waitFor(child, 10_000, 'the traced CLI');
  const stopped = () => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0] === 't';
    } catch {
      return false;
    }
  };
  let since = 0;
  await waitFor(
    () => {
      if (!stopped()) since = 0;
      else if (since === 0) since = Date.now();
      return since !== 0 && Date.now() - since >= 300;
    },
    15_000,
    'the CLI held in its open of the lock file',
  );
}

/** `args` of the CLI, its every open of `path` held back `ms` by strace; its stdout. */
function tracedCli(path, ms, args) {
  const tracer = spawn(
    STRACE,
    ['-f', '-qq', '-o', '/dev/null', '-P', path, '-e', 'trace=openat'].concat([
      '-e',
      `inject=openat:delay_enter=${ms * 1000}`,
      NODE,
      CLI,
      ...args,
    ]),
    { env: { ...process.env, ...h.env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  h.track?.(tracer.pid);
  let out = '';
  tracer.stdout.on('data', (d) => (out += d));
  const done = new Promise((resolve) => tracer.on('exit', () => resolve(out)));
  return { tracer, done };
}

describe('a report and a stop at the same moment', () => {
  it(
    'list: a service stopped between the read-ahead and its lock probe is stopped (3), not dead',
    guarded(h, async (t) => {
      if (!STRACE) return t.skip('no strace');
      const start = await h.dkT(['start', '-q', '--name', 'race', '--', '/bin/sleep', '5301']);
      assert.equal(start.code, 0, start.stderr);
      const lock = join(h.dir('race'), 'pid.lock');
      const { tracer, done } = tracedCli(lock, 3000, ['list', '--json']);
      await heldInOpen(tracer); // the state file was read ahead by now: it said running
      const stop = await h.dkT(['stop', '-q', '--name', 'race']);
      assert.equal(stop.code, 0, stop.stderr);
      const race = JSON.parse(await done).find((s) => s.name === 'race');
      assert.deepEqual([race.state, race.code, race.reason], ['stopped', 3, null]);
      await assertNothingLeft(h);
    }),
  );

  it(
    'status -f: a project service stopped between the read-ahead and the proof of its lock is stopped (3)',
    guarded(h, async (t) => {
      if (!STRACE) return t.skip('no strace');
      const dir = h.work();
      const file = join(dir, 'daemonkit.toml');
      writeFileSync(
        file,
        'project = "rr"\n[services.w]\ncommand = ["/bin/sleep", "5302"]\ngrace = 0\n',
      );
      const up = await h.dkT(['up', '-q', '-f', file]);
      assert.equal(up.code, 0, up.stderr);
      const st = JSON.parse(readFileSync(join(h.dir('rr.w'), 'state.json'), 'utf8'));
      // The second read-ahead (the supervisor's fdinfo) held: the stop lands after the first.
      const fdinfo = `/proc/${st.pid}/fdinfo/${st.lockFd}`;
      const { tracer, done } = tracedCli(fdinfo, 3000, ['status', '-f', file, '--json']);
      await heldInOpen(tracer);
      const stop = await h.dkT(['stop', '-q', '--name', 'rr.w']);
      assert.equal(stop.code, 0, stop.stderr);
      const [w] = JSON.parse(await done);
      assert.deepEqual([w.state, w.code], ['stopped', 3], JSON.stringify(w));
      const down = await h.dkT(['down', '-q', '-f', file]);
      assert.equal(down.code, 0, down.stderr);
      await assertNothingLeft(h);
    }),
  );
});
