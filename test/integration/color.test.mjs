// Colour on a terminal (script(1) gives the command a pseudo-terminal), none elsewhere: states in
// status and list, dimmed --log-timestamps prefixes in logs; NO_COLOR, --no-color and TERM=dumb
// turn it off; a pipe gets the plain text.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, NODE, makeHome, readJson, run, waitFor } from '../helpers.mjs';

const h = makeHome();
after(() => h.cleanup());
before(async () => {
  for (const [name, args] of [
    ['up', ['--log-timestamps', '--', 'sh', '-c', 'echo hello; echo world; exec sleep 1000']],
    ['down', ['--', 'sh', '-c', 'exit 3']],
  ]) {
    const r = await h.dk(['start', '--name', name, '--grace', '0', ...args]);
    assert.equal(r.code, 0, r.stderr);
  }
  await waitFor(
    () => readJson(join(h.dir('down'), 'state.json'))?.state === 'failed',
    10000,
    'down failed',
  );
  await waitFor(
    () => readFileSync(join(h.dir('up'), 'up.log'), 'utf8').includes('world'),
    10000,
    'the log',
  );
});

const q = (word) => `'${word.replaceAll("'", "'\\''")}'`;
/** The CLI on a terminal: its output as the terminal got it (script's CRLF made LF). */
async function onTty(args, env = {}) {
  const r = await run(
    'script',
    ['-qec', [NODE, '--', CLI, ...args].map(q).join(' '), '/dev/null'],
    { env: { ...h.env, TERM: 'xterm', NO_COLOR: '', ...env } },
  );
  return r.stdout.replaceAll('\r\n', '\n');
}
const GREEN = '\x1b[32m';
const RED = '\x1b[31m';
const RESET = '\x1b[0m';

describe('status', () => {
  test('on a terminal: the state words coloured', async () => {
    assert.match(await onTty(['status', '--name', 'up']), /^up: \x1b\[32mrunning\x1b\[0m, pid \d+/);
    assert.match(
      await onTty(['status', '--name', 'down']),
      /^down: \x1b\[31mdead \(failed\)\x1b\[0m; last exit/,
    );
  });
  for (const [what, args, env] of [
    ['NO_COLOR=1', [], { NO_COLOR: '1' }],
    ['--no-color', ['--no-color'], {}],
    ['TERM=dumb', [], { TERM: 'dumb' }],
  ]) {
    test(`${what}: none`, async () => {
      const out = await onTty(['status', '--name', 'up', ...args], env);
      assert.match(out, /^up: running, pid/);
      assert.ok(!out.includes('\x1b'), JSON.stringify(out));
    });
  }
  test('not a terminal: none', async () => {
    const r = await h.dk(['status', '--name', 'up']);
    assert.match(r.stdout, /^up: running, pid/);
    assert.ok(!r.stdout.includes('\x1b'));
  });
});

describe('list', () => {
  test('on a terminal: the STATE cells coloured, the columns still aligned', async () => {
    const lines = (await onTty(['list'])).trim().split('\n');
    assert.match(lines[0], /^NAME +STATE/);
    assert.ok(lines[1].startsWith(`down  ${RED}failed${RESET}  `), JSON.stringify(lines[1]));
    assert.ok(lines[2].startsWith(`up    ${GREEN}running${RESET} `), JSON.stringify(lines[2]));
    const plain = (await h.dk(['list'])).stdout.trim().split('\n');
    // without its SGR sequences, each line's NAME, STATE and PID cells are where the plain table
    // has them
    const cells = (l) =>
      l
        .replace(/\x1b\[\d+m/g, '')
        .split(/(?<=\S)(?= )/)
        .slice(0, 3)
        .join('');
    assert.deepEqual(lines.map(cells), plain.map(cells));
  });
  test('--no-color, or a pipe: none', async () => {
    assert.ok(!(await onTty(['list', '--no-color'])).includes('\x1b'));
    assert.ok(!(await h.dk(['list'])).stdout.includes('\x1b'));
  });
});

describe('logs', () => {
  test('on a terminal: each --log-timestamps prefix dimmed, the text as it is', async () => {
    const out = await onTty(['logs', '--name', 'up']);
    // The supervisor's own start line first (stamped like the rest), then the COMMAND's.
    assert.match(
      out,
      /^\x1b\[2m[-\dT:.Z]{24} \x1b\[22mdaemonkit: started [^\n]*\n\x1b\[2m\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \x1b\[22mhello\n\x1b\[2m[-\dT:.Z]{24} \x1b\[22mworld\n$/,
    );
  });
  test("a pipe, or NO_COLOR: the file's bytes", async () => {
    const file = readFileSync(join(h.dir('up'), 'up.log'), 'utf8');
    assert.equal((await h.dk(['logs', '--name', 'up'])).stdout, file);
    assert.equal(await onTty(['logs', '--name', 'up'], { NO_COLOR: '1' }), file);
    assert.equal(await onTty(['logs', '--name', 'up', '--no-color']), file);
  });
});
