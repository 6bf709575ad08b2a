// `logs` of several services (`logs --file FILE`, `logs web worker`): each one's last lines with
// its name in front, then with -f their lines interleaved as they arrive, each whole (a line
// longer than a block read is not cut by a name); on a terminal the names coloured and
// the lines made printable. Real services from a services file, fed through FIFOs.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, NODE, commandText, makeHome, run, waitFor } from '../helpers.mjs';

const h = makeHome();
const dir = join(h.home, '..', `${h.home.split('/').pop()}-mlogs`);
mkdirSync(dir);
const file = join(dir, 'daemonkit.toml');
const fifo = (name) => join(dir, `${name}.fifo`);
const logOf = (name) => join(h.home, `mlogs.${name}`, `mlogs.${name}.log`);
/** Have `name` print `text` (printf %b: `\\n` is a newline, `\\033` an ESC; none: no newline). */
const say = (name, text) => writeFileSync(fifo(name), `${text}\n`);
const logged = (name, text) =>
  waitFor(() => commandText(readFileSync(logOf(name), 'utf8')).includes(text), 10000, text);

before(async () => {
  const service = (name) => `[services.${name}]
command = ["sh", "-c", "exec <>${fifo(name)}; while IFS= read -r l; do printf '%b' \\"$l\\"; done"]
`;
  for (const name of ['web', 'worker']) spawnSync('mkfifo', [fifo(name)]);
  writeFileSync(file, `project = "mlogs"\n${service('web')}${service('worker')}`);
  const r = await h.dk(['up'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  say('web', 'web one\\n');
  say('web', 'web two\\n');
  say('worker', 'worker one\\n');
  await logged('web', 'web two\n');
  await logged('worker', 'worker one\n');
});
after(async () => {
  await h.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** The service's lines of `logs` output (the supervisor's own lines left out). */
const own = (stdout) =>
  stdout
    .split('\n')
    .filter((l) => l !== '' && !/\| daemonkit: /.test(l))
    .join('\n');

describe('logs of several services', () => {
  it('--file FILE: every service, its last N lines each, its name in front', async () => {
    const r = await h.dk(['logs', '--file', file, '-n', '50']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(own(r.stdout), 'web    | web one\nweb    | web two\nworker | worker one');
  });

  it('several names (short names inside the directory); -n per service', async () => {
    const r = await h.dk(['logs', 'worker', 'web', '-n', '1'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'worker | worker one\nweb    | web two\n');
  });

  it('a line longer than a block of reading is still one line, with one name', async () => {
    const [a, b] = ['a'.repeat(40000), 'b'.repeat(40000)];
    say('web', `${a}\\n${b}\\n`);
    await logged('web', `${b}\n`);
    const r = await h.dk(['logs', 'web', 'worker', '-n', '2'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(own(r.stdout).split('\n'), [
      `web    | ${a}`,
      `web    | ${b}`,
      'worker | worker one',
    ]);
  });

  it('-f: every service followed, in the order they arrive, until Ctrl-C (exit 0)', async () => {
    // Each one's last line is printed first; from where it was read, it is followed.
    say('web', 'web ready\\n');
    say('worker', 'worker ready\\n');
    await logged('web', 'web ready\n');
    await logged('worker', 'worker ready\n');
    const child = spawn(NODE, ['--', CLI, 'logs', '--file', file, '-n', '1', '-f'], {
      env: { ...process.env, ...h.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    h.track(child.pid);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve([code, sig])));
    await waitFor(() => out.includes('worker ready') && out.includes('web ready'), 15000, 'ready');
    say('worker', 'worker between\\n');
    await waitFor(() => out.includes('worker | worker between\n'), 15000, 'between');
    say('web', 'web after\\n');
    await waitFor(() => out.includes('web    | web after\n'), 15000, 'after');
    child.kill('SIGINT');
    assert.deepEqual(await exited, [0, null], err);
    assert.deepEqual(own(out).split('\n'), [
      'web    | web ready',
      'worker | worker ready',
      'worker | worker between',
      'web    | web after',
    ]);
  });

  it('a name that is no service: said, exit 1, nothing shown; a bad file: exit 2', async () => {
    const r = await h.dk(['logs', 'web', 'nope'], { cwd: dir });
    assert.deepEqual([r.code, r.stdout], [1, '']);
    assert.match(r.stderr, /^daemonkit: no such service nope /);
    const bad = join(dir, 'bad.toml');
    writeFileSync(bad, '[services.a]\ncommand = \n');
    const b = await h.dk(['logs', '--file', bad]);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /bad\.toml:2: not valid TOML/);
  });
});

describe('on a terminal', () => {
  const q = (word) => `'${word.replaceAll("'", "'\\''")}'`;
  const onTty = async (args, env = {}) => {
    const cmd = [NODE, '--', CLI, ...args].map(q).join(' ');
    const r = await run('script', ['-qec', cmd, '/dev/null'], {
      env: { ...h.env, TERM: 'xterm', NO_COLOR: '', ...env },
    });
    return r.stdout.replaceAll('\r\n', '\n');
  };
  before(async () => {
    say('web', 'esc \\033[31mred\\n');
    say('worker', 'worker last\\n');
    await logged('web', 'esc \x1b[31mred\n');
    await logged('worker', 'worker last\n');
  });
  it("the names coloured, each in its own; the service's control characters escaped", async () => {
    const out = await onTty(['logs', '--file', file, '-n', '1']);
    assert.equal(
      own(out),
      '\x1b[36mweb    | \x1b[0mesc \\x1b[31mred\n\x1b[33mworker | \x1b[0mworker last',
    );
  });
  it('NO_COLOR: no colour, still escaped; through a pipe: the bytes as they are', async () => {
    const out = await onTty(['logs', '--file', file, '-n', '1'], { NO_COLOR: '1' });
    assert.equal(own(out), 'web    | esc \\x1b[31mred\nworker | worker last');
    const piped = await h.dk(['logs', '--file', file, '-n', '1']);
    assert.equal(own(piped.stdout), 'web    | esc \x1b[31mred\nworker | worker last');
  });
});
