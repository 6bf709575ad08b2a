// A services file with real processes: `up` in dependency order (each level once the one before
// is ready), a second `up` that changes nothing, a changed service restarted alone, a removed one
// stopped, `down` in reverse order, `status -f`, short names, `list` by project, a failure with
// its stderr tail while the rest stay up, a standalone service's name refused, bad files.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isAlive, makeHome, readJson } from '../helpers.mjs';

const h = makeHome();
const dir = join(h.home, '..', `${h.home.split('/').pop()}-shop`);
mkdirSync(dir);
after(async () => {
  await h.cleanup();
  rmSync(dir, { recursive: true, force: true });
});
const file = join(dir, 'daemonkit.toml');
const events = join(dir, 'events');

/** A service that logs its start, is ready after a moment (fd 3), and logs its stop. */
const service = (name, extra = '') => `[services.${name}]
command = "trap 'echo ${name}-stop >> ${events}; exit 0' TERM; echo ${name}-start >> ${events}; sleep 0.2; echo ${name}-ready >> ${events}; echo >&3; sleep 1000 & wait"
ready = "fd:3"
${extra}
`;
const write = (text) => writeFileSync(file, `project = "shop"\n${text}`);
const order = () => readFileSync(events, 'utf8').trim().split('\n');
// A service's own process: its COMMAND (the project's supervisor is shared by them all).
const statePid = (name) => readJson(join(h.home, `shop.${name}`, 'state.json'))?.childPid;
const dk = (args) => h.dk(args, { cwd: dir });

describe('daemonkit up / down / status -f', () => {
  it('up: each level once the one before it is ready; a second up changes nothing', async () => {
    write(
      service('db') +
        service('web', 'after = ["db"]\nenv = { A = "1" }') +
        service('worker', 'after = ["web"]'),
    );
    const r = await dk(['up']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      r.stdout.split('\n').map((l) => l.replace(/, pid \d+$/, '')),
      ['shop.db: started', 'shop.web: started', 'shop.worker: started', ''],
    );
    assert.deepEqual(order(), [
      'db-start',
      'db-ready',
      'web-start',
      'web-ready',
      'worker-start',
      'worker-ready',
    ]);
    const again = await dk(['up']);
    assert.deepEqual(
      [again.code, again.stdout, again.stderr],
      [0, 'shop: nothing changed (3 services running)\n', ''],
    );
  });

  it('status -f: one line each, exit 0 when all run; short names; list by project', async () => {
    const s = await dk(['status', '-f', file]);
    assert.equal(s.code, 0, s.stderr);
    assert.match(
      s.stdout,
      /^shop\.db: running.*\nshop\.web: running.*\nshop\.worker: running.*\n$/,
    );
    const short = await dk(['status', 'web']); // inside the file's directory
    assert.equal(short.code, 0, short.stderr);
    assert.match(short.stdout, /^shop\.web: running/);
    const elsewhere = await h.dk(['status', '-f', file, 'worker']);
    assert.match(elsewhere.stdout, /^shop\.worker: running/);
    const list = await h.dk(['list']);
    assert.match(list.stdout, new RegExp(`\\nproject shop \\(${file}\\):\\nshop\\.db +running`));
    const json = JSON.parse((await h.dk(['list', '--json'])).stdout);
    assert.deepEqual(json[0].project, { project: 'shop', service: 'db', file });
  });

  it('a changed service is restarted alone, saying which keys changed', async () => {
    const before = { db: statePid('db'), web: statePid('web'), worker: statePid('worker') };
    write(
      service('db') +
        service('web', 'after = ["db"]\nenv = { A = "2" }') +
        service('worker', 'after = ["web"]'),
    );
    const r = await dk(['up']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^shop\.web: restarted \(changed: env\), pid \d+\n$/);
    assert.equal(statePid('db'), before.db);
    assert.equal(statePid('worker'), before.worker);
    assert.notEqual(statePid('web'), before.web);
    assert.ok(!isAlive(before.web));
  });

  it('daemonkit restart keeps a service in its project; with options, the next up restarts it', async () => {
    const same = await dk(['restart', 'web']);
    assert.equal(same.code, 0, same.stderr);
    assert.equal((await dk(['up'])).stdout, 'shop: nothing changed (3 services running)\n');
    const changed = await dk(['restart', 'web', '--nice', '1']);
    assert.equal(changed.code, 0, changed.stderr);
    const r = await dk(['up']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^shop\.web: restarted \(changed: \(changed by daemonkit restart\)\), pid \d+\n$/,
    );
  });

  it('a service the file no longer has is stopped, and said so', async () => {
    const worker = statePid('worker');
    write(service('db') + service('web', 'after = ["db"]\nenv = { A = "2" }'));
    const r = await dk(['up']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'shop.worker: stopped (no longer in daemonkit.toml)\n');
    assert.ok(!isAlive(worker));
    const s = await dk(['status', '-f', file]);
    assert.equal(s.code, 0); // the file's two run
  });

  it('down: reverse order, exit 0 once nothing runs; status -f then exits 3', async () => {
    write(
      service('db') +
        service('web', 'after = ["db"]\nenv = { A = "2" }') +
        service('worker', 'after = ["web"]'),
    );
    assert.equal((await dk(['up'])).code, 0);
    writeFileSync(events, '');
    const pids = ['db', 'web', 'worker'].map(statePid);
    const r = await dk(['down']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'shop.worker: stopped\nshop.web: stopped\nshop.db: stopped\n');
    assert.deepEqual(order(), ['worker-stop', 'web-stop', 'db-stop']);
    for (const pid of pids) assert.ok(!isAlive(pid));
    const s = await dk(['status', '-f', file]);
    assert.equal(s.code, 3);
    assert.equal(s.stdout.split('\n').length, 4);
  });

  it('a failing service: exit 1 with its stderr tail, what comes after it not started, the rest up', async () => {
    write(
      `${service('db')}[services.bad]\ncommand = "echo boom-on-stderr >&2; exit 3"\ngrace = "300ms"\n${service('web', 'after = ["bad"]')}`,
    );
    const r = await dk(['up']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /shop\.bad: .*exit/);
    assert.match(r.stderr, /boom-on-stderr/);
    assert.match(r.stderr, /shop\.web: not started: it comes after bad, which did not start/);
    assert.match(r.stdout, /^shop\.db: started/);
    assert.equal((await dk(['status', 'db'])).code, 0);
    assert.notEqual((await dk(['status', 'web'])).code, 0);
    assert.equal((await dk(['down'])).code, 0);
  });

  it("a standalone service's name is refused by up and left alone by down", async () => {
    const s = await h.dk([
      'start',
      '--name',
      'shop.web',
      '--grace',
      '0',
      '--',
      '/bin/sleep',
      '1000',
    ]);
    assert.equal(s.code, 0, s.stderr);
    write(service('db') + service('web'));
    const r = await dk(['up']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /shop\.web: not started: a standalone service of that name exists/);
    assert.match(r.stdout, /^shop\.db: started/);
    const d = await dk(['down']);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stderr, /shop\.web: left alone: a standalone service/);
    assert.equal((await h.dk(['status', 'shop.web'])).code, 0);
    assert.equal((await h.dk(['stop', 'shop.web'])).code, 0);
  });

  it('a bad file: exit 2, every problem with FILE:LINE, nothing started or stopped', async () => {
    write(service('db'));
    assert.equal((await dk(['up'])).code, 0);
    const db = statePid('db');
    const services = () =>
      readdirSync(h.home)
        .filter((n) => !n.startsWith('.'))
        .sort();
    const known = services();
    for (const [text, want] of [
      [
        '[services.db]\ncomand = "x"\n',
        /^daemonkit: daemonkit\.toml:2: services\.db: no command: .*\ndaemonkit: daemonkit\.toml:3: services\.db: unknown key 'comand': did you mean 'command'\?\n$/,
      ],
      [
        '[services.a]\ncommand = "x"\nafter = ["b"]\n[services.b]\ncommand = "y"\nafter = ["a"]\n',
        /daemonkit\.toml:4: a dependency cycle: a → b → a/,
      ],
      ['[services.a]\ncommand = [\n', /^daemonkit: daemonkit\.toml:\d+: not valid TOML/],
      [
        '[services.new]\ncommand = "sleep 1"\nnice = 99\n',
        /daemonkit\.toml:4: services\.new: invalid nice '99'/,
      ],
      [
        '[services.new]\ncommand = ["/no/such/program"]\n',
        /daemonkit\.toml:2: services\.new: COMMAND \/no\/such\/program does not exist/,
      ],
    ]) {
      write(text);
      const r = await dk(['up']);
      assert.notEqual(r.code, 0, text);
      assert.match(r.stderr, want, text);
      assert.equal(r.stdout, '');
      assert.deepEqual(services(), known, 'nothing new started');
      assert.equal(statePid('db'), db);
      assert.ok(isAlive(db), 'nothing stopped');
    }
    const dirAsFile = await h.dk(['up', '-f', dir]);
    assert.deepEqual(
      [dirAsFile.code, dirAsFile.stderr],
      [2, `daemonkit: cannot use --file ${dir}: it is a directory\n`],
    );
    assert.equal(existsSync(join(h.home, 'shop.new')), false);
    write(service('db'));
    assert.equal((await dk(['down'])).code, 0);
  });
});
