// A services file, loaded and checked (src/project/): every key's line found by the scan, and a
// bad file's every problem at once, one line each, naming FILE:LINE.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { keyLines, lineOf } from '../../dist/project/toml-lines.js';
import { loadProject, peekProject } from '../../dist/project/file.js';
import { serviceOptions } from '../../dist/project/options.js';
import { changedKeys } from '../../dist/project/definition.js';

const work = mkdtempSync(join(tmpdir(), 'dk-project-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Write `text` as shop/NAME and load it: the project, or the problems. */
function load(text, name = 'daemonkit.toml') {
  const dir = join(work, 'shop');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), text);
  try {
    return { project: loadProject(join(dir, name), serviceOptions, name) };
  } catch (error) {
    return { code: error.code, problems: error.details.problems };
  }
}

describe('keyLines', () => {
  const text = [
    'project = "shop" # a comment with key = value',
    '[services.db]',
    'command = ["redis-server",',
    '  "--port", "6400"]',
    'env = { A = "1" }',
    "[ services . 'web' ]",
    'description = """',
    'not = a key',
    '"""',
    '"quoted key" = 1',
    'a.b = 2',
  ].join('\n');
  const found = keyLines(text);
  const at = (...path) => lineOf(found, path);
  it('tables, keys, quoted and dotted keys', () => {
    assert.equal(at('project'), 1);
    assert.equal(at('services', 'db'), 2);
    assert.equal(at('services', 'db', 'command'), 3);
    assert.equal(at('services', 'db', 'env'), 5);
    assert.equal(at('services', 'web'), 6);
    assert.equal(at('services', 'web', 'quoted key'), 10);
    assert.equal(at('services', 'web', 'a', 'b'), 11);
  });
  it('nothing inside a multi-line array or string; an unknown path: its nearest parent', () => {
    assert.equal(found.lines.has(['services', 'web', 'not'].join('\0')), false);
    assert.equal(at('services', 'db', 'env', 'A'), 5);
    assert.equal(at('services', 'web', 'missing'), 6);
  });
  it('a table given twice', () => {
    assert.deepEqual(keyLines('[a]\nx = 1\n[a]\n').duplicates, [
      { path: ['a'], line: 3, first: 1 },
    ]);
  });
});

describe('loadProject', () => {
  it('a good file: names, commands, options, order; relative paths from its directory', () => {
    const { project, problems } = load(
      [
        '[services.db]',
        'command = ["/bin/sleep", "100"]',
        'ready = "tcp:6400"',
        '[services.web]',
        'command = "node server.js"',
        'after = ["db"]',
        'chdir = "."',
        'grace = 0',
        'env = { NODE_ENV = "production" }',
        'log-timestamps = true',
        'log-compress = false',
      ].join('\n'),
    );
    assert.equal(problems, undefined, problems?.join('\n'));
    assert.equal(project.name, 'shop'); // the directory's name
    assert.deepEqual(project.levels, [['db'], ['web']]);
    const web = project.services.get('web');
    assert.equal(web.name, 'shop.web');
    assert.deepEqual(web.command, ['/bin/sh', '-c', 'node server.js']);
    assert.equal(web.start.chdir, join(work, 'shop'));
    assert.equal(web.start.graceMs, 0);
    assert.deepEqual(web.start.env, ['NODE_ENV=production']);
    assert.equal(web.start.logs.timestamps, true);
    assert.equal(web.start.logs.compress, false);
    assert.equal(project.services.get('db').start.chdir, '/'); // start's default
    assert.equal(web.line, 4);
  });
  it('every problem at once, one line each, FILE:LINE, in the file order', () => {
    const r = load(
      [
        'projet = "x"', // 1
        '[services.db]', // 2
        'command = ["/bin/sleep", "1000"]', // 3
        'after = ["web"]', // 4
        'umask = "999"', // 5
        'restart-dealy = "1s"', // 6
        '[services.web]', // 7
        'after = ["db"]', // 8
        'grace = true', // 9
        'env = { "1A" = "x" }', // 10
        '[services.worker]', // 11
        'command = "sleep 1"', // 12
        'after = ["dbb"]', // 13
        'limit = ["nofile=10", "nofile=20"]', // 14
      ].join('\n'),
      'bad.toml',
    );
    assert.equal(r.code, 'BAD_OPTION');
    assert.deepEqual(r.problems, [
      "bad.toml:1: unknown key 'projet': did you mean 'project'?",
      'bad.toml:4: a dependency cycle: db → web → db (each starts after the next)',
      "bad.toml:5: services.db: invalid umask '999': use an octal mask such as 022 or 0077",
      "bad.toml:6: services.db: unknown key 'restart-dealy': did you mean 'restart-delay'?",
      'bad.toml:7: services.web: no command: give command = "…" or command = ["file", "arg"]',
      'bad.toml:9: services.web: grace must be a string, as --grace takes',
      "bad.toml:10: services.web: invalid env '1A=x': use KEY=VALUE with KEY made of letters, digits and '_'",
      "bad.toml:13: services.worker: after names no service 'dbb': did you mean 'db'?",
      "bad.toml:14: services.worker: invalid limit 'nofile=20': nofile is already set by limit 'nofile=10' (give each limit once)",
    ]);
  });
  it('a syntax error: its line; a table twice: both lines', () => {
    assert.deepEqual(load('[services.a]\ncommand = \n').problems, [
      'daemonkit.toml:2: not valid TOML: invalid value',
    ]);
    assert.deepEqual(
      load('[services.a]\ncommand = "x"\n\n[services.a]\ncommand = "y"\n').problems,
      ['daemonkit.toml:4: services.a is given twice (first at line 1)'],
    );
  });
  it('no services, a bad project name, a service name that is no name', () => {
    assert.deepEqual(load('project = "a b"\n').problems, [
      "daemonkit.toml:1: invalid project name 'a b': use letters, digits, '.', '_', '@', '+' or '-', starting with a letter or digit",
      'daemonkit.toml:1: no [services.NAME] table: a project needs a service',
    ]);
    assert.deepEqual(load('[services."a.b"]\ncommand = "x"\n').problems, [
      "daemonkit.toml:1: services.a.b: invalid service name: use letters, digits, '_', '@', '+' or '-', starting with a letter or digit",
    ]);
  });
  it("checked by the option table's rows, loaded without the CLI (the default checker)", () => {
    const dir = join(work, 'lib');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'daemonkit.toml');
    writeFileSync(
      file,
      '[services.a]\ncommand = "x"\nlimit = { nofile = 64 }\nlisten = "unix:/tmp/a.sock"\nlisten-mode = "0600"\nmax-restarts = "infinity"\n',
    );
    const a = loadProject(file).services.get('a');
    assert.deepEqual(a.start.limits, [['nofile', 64, 64]]);
    assert.equal(a.start.listenMode, 0o600);
    assert.equal(a.start.restart.maxRestarts, null);
    assert.deepEqual(serviceOptions.pathKeys, ['chdir', 'stdin', 'stdout', 'stderr', 'env-file']);
  });
  it('umask and listen-mode: a string of octal digits; a TOML number is refused (it is decimal)', () => {
    const good = load('[services.a]\ncommand = "x"\numask = "022"\n');
    assert.equal(good.project.services.get('a').start.umask, 0o22);
    assert.deepEqual(
      load('[services.a]\ncommand = "x"\numask = 77\nlisten-mode = 0o600\n').problems,
      [
        'daemonkit.toml:3: services.a: umask must be a string such as "022": a TOML number is decimal (umask = 77 is 0o115)',
        'daemonkit.toml:4: services.a: listen-mode must be a string such as "022": a TOML number is decimal (listen-mode = 384 is 0o600)',
      ],
    );
  });
  it("the identity is the file's: pidfile and name are unknown keys; cross-key checks hold", () => {
    assert.deepEqual(
      load(
        '[services.a]\ncommand = "x"\npidfile = "/tmp/p"\nready-timeout = "5s"\ngroup = "nogroup"\n',
      ).problems,
      [
        "daemonkit.toml:3: services.a: unknown key 'pidfile'",
        'daemonkit.toml:4: services.a: ready-timeout needs ready',
        "daemonkit.toml:5: services.a: group nogroup needs user (the COMMAND would keep the caller's user)",
      ],
    );
  });
  it('peekProject: the names alone', () => {
    load('project = "p"\n[services.a]\n[services.b]\n', 'peek.toml');
    assert.deepEqual(peekProject(join(work, 'shop', 'peek.toml')), {
      name: 'p',
      services: ['a', 'b'],
    });
  });
});

describe('changedKeys', () => {
  it('a key changed, added or removed counts; the same value does not', () => {
    assert.deepEqual(changedKeys({ command: '1', env: 'a' }, { command: '1', env: 'a' }), []);
    assert.deepEqual(
      changedKeys({ command: '1', env: 'a', nice: '1' }, { command: '2', env: 'a', grace: '0' }),
      ['command', 'grace', 'nice'],
    );
  });
});
