// A services file's keys with real processes: checked by the option table's rows (no CLI tokens
// between), each reaching the COMMAND as `start`'s option does (its umask, its limits and env
// from a TOML table); an octal key given as a TOML number refused before anything starts.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { makeHome, procStatus, readJson } from '../helpers.mjs';

const h = makeHome();
const dir = join(h.home, '..', `${h.home.split('/').pop()}-opts`);
mkdirSync(dir);
after(async () => {
  await h.cleanup();
  rmSync(dir, { recursive: true, force: true });
});
const file = join(dir, 'daemonkit.toml');
const dk = (args) => h.dk(args, { cwd: dir });

describe('a service file: its keys reach the COMMAND', () => {
  it('umask as a string of octal digits, limit and env as TOML tables', async () => {
    writeFileSync(
      file,
      `project = "opts"
[services.a]
command = ["/bin/sleep", "1000"]
umask = "027"
limit = { nofile = 77 }
env = { GREETING = "hi there", N = 5 }
`,
    );
    const r = await dk(['up']);
    assert.equal(r.code, 0, r.stderr);
    const pid = readJson(join(h.home, 'opts.a', 'state.json')).childPid; // the COMMAND
    assert.equal(procStatus(pid).Umask, '0027');
    const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
    assert.match(limits, /Max open files +77 +77 /);
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    assert.ok(env.includes('GREETING=hi there') && env.includes('N=5'), env.join(' '));
  });

  it('umask = 27 (a TOML number): exit 2 naming FILE:LINE, nothing started or stopped', async () => {
    const before = readdirSync(h.home).sort();
    const pid = readJson(join(h.home, 'opts.a', 'state.json')).pid;
    writeFileSync(
      file,
      'project = "opts"\n[services.a]\ncommand = ["/bin/sleep", "1000"]\numask = 27\n[services.b]\ncommand = "sleep 1000"\n',
    );
    const r = await dk(['up']);
    assert.deepEqual(
      [r.code, r.stdout, r.stderr],
      [
        2,
        '',
        'daemonkit: daemonkit.toml:4: services.a: umask must be a string such as "022": a TOML number is decimal (umask = 27 is 0o33)\n',
      ],
    );
    assert.deepEqual(readdirSync(h.home).sort(), before);
    assert.equal(readJson(join(h.home, 'opts.a', 'state.json')).pid, pid);
    assert.equal((await dk(['down'])).code, 2); // the file is still bad: down refuses it too
    writeFileSync(file, 'project = "opts"\n[services.a]\ncommand = ["/bin/sleep", "1000"]\n');
    assert.equal((await dk(['down'])).code, 0);
  });
});
