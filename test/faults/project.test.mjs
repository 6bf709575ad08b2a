// Fault suite, services files: concurrent `up`s of one file never make two of anything (the
// project's lock, then each service's own); a `down` racing them leaves nothing behind.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertNothingLeft, describeProcs, faultHome, guarded } from './helpers.mjs';

const h = faultHome();
after(() => h.cleanup());

describe('concurrent ups of one file', () => {
  it(
    '6 concurrent ups of 3 services (one after another): all exit 0, one supervisor and one COMMAND each; then down leaves nothing',
    guarded(h, async () => {
      const dir = h.work();
      const file = join(dir, 'daemonkit.toml');
      // Each COMMAND is told apart by its argument; ready at once on fd 3.
      const svc = (name, n, after) =>
        `[services.${name}]\ncommand = "echo >&3; exec /bin/sleep ${n}"\nready = "fd:3"\n${after ? `after = ["${after}"]\n` : ''}`;
      writeFileSync(
        file,
        `project = "race"\n${svc('db', 4001)}${svc('web', 4002, 'db')}${svc('worker', 4003, 'web')}`,
      );
      const ups = await Promise.all(Array.from({ length: 6 }, () => h.dkT(['up', '-f', file])));
      for (const r of ups) assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
      const started = ups.flatMap((r) =>
        r.stdout.split('\n').filter((l) => l.includes(': started')),
      );
      assert.equal(started.length, 3, ups.map((r) => r.stdout).join('---\n'));
      const procs = h.leftovers();
      for (const [name, n] of [
        ['db', 4001],
        ['web', 4002],
        ['worker', 4003],
      ]) {
        const commands = procs.filter((p) => p.args === `/bin/sleep ${n}`);
        assert.equal(commands.length, 1, `one ${name} COMMAND:\n${describeProcs(procs)}`);
      }
      // One supervisor for the whole project (and none per service).
      const supervisors = procs.filter((p) => p.args.trim().startsWith('daemonkit:'));
      assert.deepEqual(
        supervisors.map((p) => p.args.trim()),
        ['daemonkit: project race'],
        describeProcs(procs),
      );
      // Changed: 4 concurrent ups restart it once between them (each waits for the project's lock,
      // then finds it as the file has it).
      const webPid = procs.find((p) => p.args === '/bin/sleep 4002').pid;
      writeFileSync(
        file,
        `project = "race"\n${svc('db', 4001)}${svc('web', 4002, 'db')}nice = 1\n${svc('worker', 4003, 'web')}`,
      );
      const again = await Promise.all(Array.from({ length: 4 }, () => h.dkT(['up', '-f', file])));
      for (const r of again) assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
      const restarted = again.flatMap((r) =>
        r.stdout.split('\n').filter((l) => l.includes('restarted')),
      );
      assert.deepEqual(
        restarted.map((l) => l.replace(/, pid \d+$/, '')),
        ['race.web: restarted (changed: nice)'],
      );
      const now = h.leftovers().filter((p) => p.args === '/bin/sleep 4002');
      assert.equal(now.length, 1);
      assert.notEqual(now[0].pid, webPid);
      const down = await h.dkT(['down', '-f', file]);
      assert.equal(down.code, 0, down.stderr);
      await assertNothingLeft(h, 'left after down');
    }),
  );
});
