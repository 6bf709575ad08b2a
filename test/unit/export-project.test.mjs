// export systemd -f FILE, pure: `run`'s options from a service's keys (the restart keys left to
// systemd), and which node paths a version manager moves.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { projectUnits, runOptions, versionManager } from '../../dist/export/project.js';
import { loadProject } from '../../dist/project/file.js';

const dir = mkdtempSync(join(tmpdir(), 'dk-xp-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('export systemd -f FILE (pure)', () => {
  writeFileSync(
    join(dir, 'daemonkit.toml'),
    'project = "p"\n[services.a]\ncommand = "x"\nchdir = "sub"\nenv = { B = "2", A = 1 }\nlimit = ["nofile=64"]\nclear-env = true\nlog-compress = false\nrestart = "always"\nmax-restarts = 3\n[services.b]\ncommand = ["/bin/true"]\nafter = ["a"]\n',
  );
  const project = loadProject(join(dir, 'daemonkit.toml'));
  it("run's options: the keys as given, paths absolute, switches bare, no restart keys", () => {
    assert.deepEqual(runOptions(project.services.get('a')), [
      '--name',
      'p.a',
      `--chdir=${join(dir, 'sub')}`,
      '--env=A=1',
      '--env=B=2',
      '--limit=nofile=64',
      '--clear-env',
    ]);
  });
  it('the restart keys become Restart= and the start limit; b requires a', () => {
    const [a, b, target] = projectUnits(project, { node: '/n', cli: '/c', userUnit: true });
    assert.match(a.text, /^Restart=always$/m);
    assert.match(a.text, /^StartLimitBurst=4$/m);
    assert.doesNotMatch(a.text, /After=network\.target/); // a user unit
    assert.match(b.text, /^Requires=p\.a\.service$/m);
    assert.deepEqual(
      [target.file, /WantedBy=(.*)/.exec(target.text)[1]],
      ['p.target', 'default.target'],
    );
  });
  const cases = [
    ['/home/u/.nvm/versions/node/v20.11.0/bin/node', 'nvm'],
    ['/home/u/.local/share/fnm/node-versions/v20.11.0/installation/bin/node', 'fnm'],
    ['/home/u/.volta/tools/image/node/20.11.0/bin/node', 'volta'],
    ['/home/u/.asdf/installs/nodejs/20.11.0/bin/node', 'asdf'],
    ['/usr/local/n/versions/node/20.11.0/bin/node', 'n'],
    ['/usr/bin/node', null],
    ['/usr/local/bin/node', null],
    ['/home/u/.nvm/nvm.sh', null],
  ];
  for (const [path, want] of cases)
    it(`${path}: ${want ?? 'stays'}`, () => assert.equal(versionManager(path), want));
});
