// A stop waits for the service's end, not for its supervisor's teardown: the supervisor holds the
// read end of a writer-less pipe, named in its state, and closes it right after its lock
// (src/service/release.ts); `stop` opens it for writing and is woken (POLLERR) when it goes.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { NODE, ROOT, isAlive, makeHome, readJson, startedPids } from '../helpers.mjs';
import { openRelease } from '../../dist/service/release.js';
import { pidfdWaitSync } from '../../dist/sys/native.js';

const h = makeHome();
after(() => h.cleanup());

/** A process holding a release pipe (and a regular file), closing the pipe when told. */
async function holder() {
  const script = join(h.home, 'holder.mjs');
  writeFileSync(
    script,
    `import { openSync, closeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { makeRelease } from ${JSON.stringify(join(ROOT, 'dist/service/release.js'))};
const release = makeRelease();
const file = openSync(${JSON.stringify(script)}, 'r');
console.log(JSON.stringify({ ...release, file }));
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'close') { closeSync(release.fd); console.log('closed'); }
  if (line === 'exit') process.exit(0);
}
`,
  );
  const child = spawn(NODE, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => (await lines.next()).value;
  const facts = JSON.parse(await next());
  const tell = async (word) => {
    child.stdin.write(`${word}\n`);
    if (word === 'close') assert.equal(await next(), 'closed');
  };
  return { child, facts, tell };
}

describe('the release pipe', () => {
  it('opens only the very pipe the state names, and reports its closing', async () => {
    const { child, facts, tell } = await holder();
    const pid = child.pid;
    try {
      const state = { pid, releaseFd: facts.fd, releaseIno: facts.ino };
      assert.equal(
        openRelease(pid, { ...state, releaseIno: facts.ino + 1 }),
        null,
        'another inode',
      );
      assert.equal(openRelease(pid, { ...state, releaseFd: facts.file }), null, 'not a pipe');
      assert.equal(openRelease(pid + 1e6, state), null, 'another pid than the state names');
      assert.equal(openRelease(pid, { ...state, releaseFd: undefined }), null, 'named none');
      const fd = openRelease(pid, state);
      assert.notEqual(fd, null);
      try {
        assert.equal(pidfdWaitSync([fd], 0), -1, 'still held: nothing to see');
        await tell('close');
        assert.equal(pidfdWaitSync([fd], 5000), 0, 'its closing wakes the waiter');
      } finally {
        closeSync(fd);
      }
      assert.equal(openRelease(pid, state), null, 'closed: nothing to open');
    } finally {
      await tell('exit');
      if (child.exitCode === null) await once(child, 'exit');
    }
  });

  it("a supervisor names it (and its lock fd) in its state; `stop` returns with the service's end all true", async () => {
    const name = 'released';
    const s = await h.dk(['start', '--name', name, '--grace', '0', '--', '/bin/sleep', '1000']);
    assert.equal(s.code, 0, s.stderr);
    const { pid, childPid } = startedPids(s.stdout);
    const stateFile = join(h.dir(name), 'state.json');
    let state = readJson(stateFile);
    for (let i = 0; i < 200 && !state.handlesSignals; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      state = readJson(stateFile);
    }
    assert.equal(state.handlesSignals, true);
    // and the fd it holds its lock through, where a stop's inspection looks first (a hint)
    const lock = statSync(join(h.dir(name), 'pid.lock'));
    const held = statSync(`/proc/${pid}/fd/${state.lockFd}`);
    assert.deepEqual([held.dev, held.ino], [lock.dev, lock.ino], 'lockFd is the lock file');
    const st = statSync(`/proc/${pid}/fd/${state.releaseFd}`);
    assert.ok(st.isFIFO(), 'the release fd is a pipe');
    assert.equal(st.ino, state.releaseIno);
    const stop = await h.dk(['stop', '--name', name]);
    assert.equal(stop.code, 0, stop.stderr);
    // Read at once: all of it is true when `stop` returns, the supervisor's exit or not.
    const end = readJson(stateFile);
    assert.equal(end.state, 'stopped');
    assert.equal(end.lastExit?.signal, 'SIGTERM');
    assert.equal(isAlive(childPid), false, 'the COMMAND is gone');
    const status = await h.dk(['status', '--name', name]);
    assert.equal(status.code, 3, `status says not running (LSB 3): ${status.stdout}`);
  });
});
