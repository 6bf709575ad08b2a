// Text from the service reaches root's terminal only made printable, and a COMMAND's flood of
// STATUS= costs the supervisor little (issue 13, point 5). As root, the COMMAND run as nobody
// (--user) where that matters; skipped otherwise.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, makeHome, readJson, startedPids, waitFor } from '../helpers.mjs';

// A python3 nobody may run (not a shim under root's home).
const PYTHON = ['/usr/bin/python3', '/bin/python3'].find((p) => existsSync(p));
const skip =
  process.geteuid() !== 0
    ? 'needs root (the COMMAND runs as nobody)'
    : !PYTHON
      ? 'needs /usr/bin/python3'
      : false;

const h = makeHome();
let work;
before(() => {
  chmodSync(h.home, 0o755);
  work = mkdtempSync(join(tmpdir(), 'dk-text-'));
  chmodSync(work, 0o755);
});
after(async () => {
  await h.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** What a terminal acts on: C0 controls but the line ends, DEL, C1, the separators, bidi
 *  overrides. */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/;
/** The issue's STATUS: clear screen, red, window title, BEL, CR; with a C1 CSI and U+2028 too. */
const HOSTILE = 'ok \x1b[2J\x1b[31mPWNED\x1b]0;title\x07\r \u009b2J \u2028 end';
const SHOWN = 'ok \\x1b[2J\\x1b[31mPWNED\\x1b]0;title\\x07\\r \\u009b2J \\u2028 end';

/** Python source sending one datagram `text` (a JS string: sent as its UTF-8) to NOTIFY_SOCKET. */
const pySend = (text) =>
  `s.sendto(bytes.fromhex("${Buffer.from(text).toString('hex')}"), os.environ["NOTIFY_SOCKET"])`;
const PY_HEAD = 'import os, socket, time\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n';

describe("a service's STATUS= in status", { skip }, () => {
  it('status, status -v and a failed start show it escaped; --json is valid JSON with nothing raw', async () => {
    const py = `${PY_HEAD}${pySend(`READY=1\nSTATUS=${HOSTILE}`)}\nwhile True: time.sleep(1)`;
    const r = await h.dk([
      'start',
      '--name',
      'hostile',
      '--user',
      'nobody',
      '--ready',
      'notify',
      '--',
      PYTHON,
      '-c',
      py,
    ]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(
      () => readJson(join(h.dir('hostile'), 'state.json'))?.notifyStatus === HOSTILE,
      5000,
      'the status recorded',
    );
    for (const args of [[], ['-v']]) {
      const s = await h.dk(['status', '--name', 'hostile', ...args]);
      assert.equal(s.code, 0, s.stderr);
      assert.doesNotMatch(s.stdout, RAW, `status ${args}: nothing raw`);
      assert.ok(s.stdout.includes(`status: ${SHOWN}`), s.stdout);
    }
    const j = await h.dk(['status', '--name', 'hostile', '--json']);
    assert.equal(j.code, 0, j.stderr);
    assert.doesNotMatch(j.stdout, RAW, 'nothing raw in the JSON');
    assert.equal(j.stdout.trimEnd().split('\n').length, 1);
    assert.equal(
      JSON.parse(j.stdout).statusText,
      HOSTILE,
      'the same value, escaped as JSON escapes it',
    );
    const list = await h.dk(['list', '--json']);
    assert.doesNotMatch(list.stdout, RAW);
    assert.equal(JSON.parse(list.stdout).find((s) => s.name === 'hostile').statusText, HOSTILE);
    assert.equal((await h.dk(['stop', '--name', 'hostile'])).code, 0);
  });

  it("a failed start shows the stderr tail and the COMMAND's name escaped", async () => {
    // A COMMAND whose very name carries an escape sequence, and whose stderr is hostile.
    const script = join(work, 'bad\x1b[2Jname');
    writeFileSync(
      script,
      "#!/bin/sh\nprintf 'boom \\033[2J\\033]0;t\\007\\r\\n\\302\\233x \\377 end\\n' >&2\nexit 3\n",
    );
    chmodSync(script, 0o755);
    const r = await h.dk(['start', '--name', 'hostile-tail', '--user', 'nobody', '--', script]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.doesNotMatch(r.stderr, RAW, 'nothing raw on stderr');
    assert.ok(r.stderr.includes('bad\\x1b[2Jname'), r.stderr);
    assert.ok(r.stderr.includes('hostile-tail | boom \\x1b[2J\\x1b]0;t\\x07\\r\n'), r.stderr);
    assert.ok(r.stderr.includes('hostile-tail | \\u009bx \ufffd end\n'), r.stderr);
    const s = await h.dk(['status', '--name', 'hostile-tail']);
    assert.equal(s.code, 1);
    assert.doesNotMatch(s.stdout, RAW);
  });
});

/** CPU time (user + system, in clock ticks of 1/100 s) a process has used. */
function cpuTicks(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

describe('a COMMAND that sends STATUS= in a loop', { skip }, () => {
  it('has state.json written a few times a second (the last status still shown) and the supervisor at a bounded CPU', async () => {
    const py = `${PY_HEAD}${pySend('READY=1')}\ni = 0\nwhile True:\n    i += 1\n    s.sendto(b"STATUS=flood \\x1b[2J %d" % i, os.environ["NOTIFY_SOCKET"])`;
    const r = await h.dk([
      'start',
      '--name',
      'flood',
      '--user',
      'nobody',
      '--ready',
      'notify',
      '--',
      PYTHON,
      '-c',
      py,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { pid } = startedPids(r.stdout);
    const dir = h.dir('flood');
    await waitFor(() => readJson(join(dir, 'state.json'))?.notifyStatus, 5000, 'a first status');
    // Every write of the state file renames it: count those events over a window (inotify
    // merges nothing across writes, and under load it may only miss some: never invent one).
    let events = 0;
    const watcher = watch(dir, (type, name) => {
      if (name === 'state.json') events++;
    });
    const WINDOW_MS = 2000;
    const before = {
      ticks: cpuTicks(pid),
      at: process.hrtime.bigint(),
      status: readJson(join(dir, 'state.json')).notifyStatus,
    };
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
    const after = {
      ticks: cpuTicks(pid),
      at: process.hrtime.bigint(),
      status: readJson(join(dir, 'state.json')).notifyStatus,
    };
    watcher.close();
    const seconds = Number(after.at - before.at) / 1e9;
    const cpu = (after.ticks - before.ticks) / 100 / seconds;
    // A write is a rename (two events, or more): at most 4 a second leaves this far below the
    // bound.
    assert.ok(
      events <= 40,
      `state.json was replaced ${events} times (events) in ${seconds.toFixed(1)} s`,
    );
    assert.ok(cpu < 0.3, `the supervisor used ${(cpu * 100).toFixed(0)}% of a core`);
    assert.notEqual(after.status, before.status, 'later statuses are still written');
    assert.match(after.status, /^flood \x1b\[2J \d+$/);
    const s = await h.dk(['status', '--name', 'flood']);
    assert.match(s.stdout, /status: flood \\x1b\[2J \d+/);
    assert.equal(isAlive(pid), true);
    assert.equal((await h.dk(['stop', '--name', 'flood'])).code, 0);
  });
});
