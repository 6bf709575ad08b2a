// A process's memory in `status`, `list` and `top`: VmRSS, read from /proc/PID/statm (the same
// kernel counters, summed; ~30 bytes instead of status' ~1.4 KB).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { pageSize, residentBytes } from '../../dist/sys/resident.js';

const vmRssBytes = (pid) =>
  Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;

test("the page size is the kernel's (getconf PAGESIZE)", () => {
  assert.equal(pageSize(), Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' })));
});

test("a sleeping process's resident bytes are its VmRSS, to the page", async () => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    await once(child, 'spawn'); // exec'd
    // Right after exec the loader may still be faulting pages in: compare at a moment the
    // memory held still across the status read.
    let seen;
    for (let i = 0; i < 1000; i++) {
      const before = residentBytes(child.pid);
      const rss = vmRssBytes(child.pid);
      if (before === residentBytes(child.pid)) {
        seen = [before, rss];
        break;
      }
    }
    assert.ok(seen, 'the memory held still once');
    assert.equal(seen[0], seen[1]);
  } finally {
    child.kill('SIGKILL');
  }
});

test('a process that is gone has none', async () => {
  const child = spawn('true', { stdio: 'ignore' });
  await new Promise((r) => child.on('exit', r));
  await new Promise((r) => setTimeout(r, 50)); // reaped by node
  assert.equal(residentBytes(child.pid), null);
});
