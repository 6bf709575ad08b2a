// Unit tests for src/config/paths.ts (service names, file locations, the daemonkit home).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  checkName,
  daemonkitHome,
  fnv1a64,
  printable,
  servicePaths,
} from '../../dist/config/paths.js';

const RULE = "use 1-64 letters, digits, '.', '_', '@', '+' or '-', starting with a letter or digit";

describe('checkName', () => {
  const valid = [
    'web',
    'a',
    '0',
    'A',
    'my-app.v2',
    'svc@1',
    'a+b',
    'a_b',
    'a..b',
    'x-',
    'a'.repeat(64),
    `9${'z'.repeat(63)}`,
  ];
  for (const name of valid) {
    test(`valid ${JSON.stringify(name)}`, () => assert.equal(checkName(name), null));
  }
  const invalid = [
    ['../x', '../x'],
    ['a/b', 'a/b'],
    ['/abs', '/abs'],
    ['a b', 'a b'],
    [' web', ' web'],
    ['a\nb', 'a\\nb'],
    ['web\n', 'web\\n'],
    ['a\0b', 'a\\u0000b'],
    ['', ''],
    ['.hidden', '.hidden'],
    ['.', '.'],
    ['..', '..'],
    ['-x', '-x'],
    ['_x', '_x'],
    ['@x', '@x'],
    ['a:b', 'a:b'],
    ['caf\u00e9', 'caf\u00e9'],
    ['a'.repeat(65), 'a'.repeat(65)],
    ['a'.repeat(300), `${'a'.repeat(77)}...`],
  ];
  for (const [name, shown] of invalid) {
    test(`invalid ${JSON.stringify(name.length > 20 ? `${name.slice(0, 10)}...(${name.length})` : name)}`, () => {
      assert.equal(checkName(name), `invalid --name '${shown}': ${RULE}`);
    });
  }
});

describe('printable', () => {
  const cases = [
    ['plain', 'plain'],
    ['', ''],
    ['a\nb\tc', 'a\\nb\\tc'],
    ['q"uote\\', 'q\\"uote\\\\'],
    ['\0', '\\u0000'],
    ['x'.repeat(80), 'x'.repeat(80)],
    ['x'.repeat(81), `${'x'.repeat(77)}...`],
  ];
  for (const [input, expected] of cases) {
    test(
      JSON.stringify(input.length > 20 ? `${input.slice(0, 5)}...(${input.length})` : input),
      () => {
        assert.equal(printable(input), expected);
      },
    );
  }
});

// 64-bit FNV-1a, written out independently of src/config/paths.ts.
const hash16 = (text) => {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(text, 'utf8'))
    h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
};

describe('servicePaths', () => {
  test('by name', () => {
    assert.deepEqual(servicePaths({ name: 'web' }, '/h', '/cwd'), {
      display: 'web',
      name: 'web',
      dir: '/h/web',
      pidfile: '/h/web/pid',
      lockfile: '/h/web/pid.lock',
      statefile: '/h/web/state.json',
      specfile: '/h/web/spec.json',
      logfile: '/h/web/web.log',
      stopRequest: '/h/web/stop.json',
      reopenRequest: '/h/web/reopen.json',
      rollRequest: '/h/web/roll.json',
      restartLock: '/h/web/restart.lock',
    });
  });

  test("a service's directory is join(home, name) for any spelling of the home", () => {
    const homes = ['/h', '/h/', '//h//x/', '/', '/a/../b', '/a/./b/', 'rel/h', '.', ''];
    for (const home of homes)
      for (const name of ['web', 'a.b', 'x-y', '..', '.', 'a/b'])
        assert.equal(
          servicePaths({ name }, home, '/cwd').dir,
          join(home, name),
          `${home} + ${name}`,
        );
  });

  test('by name with an explicit (relative) pidfile', () => {
    assert.deepEqual(servicePaths({ name: 'web', pidfile: 'run/web.pid' }, '/h', '/srv'), {
      display: 'web',
      name: 'web',
      dir: '/h/web',
      pidfile: '/srv/run/web.pid',
      lockfile: '/srv/run/web.pid.lock',
      statefile: '/h/web/state.json',
      specfile: '/h/web/spec.json',
      logfile: '/h/web/web.log',
      stopRequest: '/h/web/stop.json',
      reopenRequest: '/h/web/reopen.json',
      rollRequest: '/h/web/roll.json',
      restartLock: '/h/web/restart.lock',
    });
  });

  test('by pidfile only', () => {
    const dir = `/h/.pidfile/${hash16('/var/run/app.pid')}`;
    const p = servicePaths({ pidfile: '/var/run/app.pid' }, '/h', '/cwd');
    assert.deepEqual(p, {
      display: '/var/run/app.pid',
      dir,
      pidfile: '/var/run/app.pid',
      lockfile: '/var/run/app.pid.lock',
      statefile: `${dir}/state.json`,
      specfile: `${dir}/spec.json`,
      logfile: `${dir}/app.log`,
      stopRequest: `${dir}/stop.json`,
      reopenRequest: `${dir}/reopen.json`,
      rollRequest: `${dir}/roll.json`,
      restartLock: `${dir}/restart.lock`,
    });
    assert.equal('name' in p, false);
    assert.match(p.dir, /^\/h\/\.pidfile\/[0-9a-f]{16}$/);
  });

  const relative = [
    ['app.pid', '/srv', '/srv/app.pid'],
    ['run/app.pid', '/srv', '/srv/run/app.pid'],
    ['../run/app.pid', '/srv/x', '/srv/run/app.pid'],
    ['./app.pid', '/', '/app.pid'],
    ['/abs/app.pid', '/srv', '/abs/app.pid'],
    ['/a//b/../app.pid', '/srv', '/a/app.pid'],
  ];
  for (const [pidfile, cwd, resolved] of relative) {
    test(`pidfile ${pidfile} in ${cwd} -> ${resolved}`, () => {
      const p = servicePaths({ pidfile }, '/h', cwd);
      assert.equal(p.pidfile, resolved);
      assert.equal(p.lockfile, `${resolved}.lock`);
      assert.equal(p.display, resolved);
      // the directory is keyed by the resolved path: the same file from anywhere is the same
      // service
      assert.equal(p.dir, `/h/.pidfile/${hash16(resolved)}`);
      assert.deepEqual(p, servicePaths({ pidfile: resolved }, '/h', '/elsewhere'));
    });
  }

  test('different pidfiles get different directories', () => {
    assert.notEqual(
      servicePaths({ pidfile: '/run/a.pid' }, '/h').dir,
      servicePaths({ pidfile: '/run/b.pid' }, '/h').dir,
    );
  });

  const logNames = [
    ['/run/app.pid', 'app.log'],
    ['/run/app', 'app.log'],
    ['/run/app.pid.pid', 'app.pid.log'],
    ['/run/app.txt', 'app.txt.log'],
    ['/run/.pid', 'daemon.log'],
  ];
  for (const [pidfile, log] of logNames) {
    test(`log file name for ${pidfile} is ${log}`, () => {
      const p = servicePaths({ pidfile }, '/h', '/');
      assert.equal(p.logfile, `${p.dir}/${log}`);
    });
  }

  test('neither name nor pidfile throws', () => {
    assert.throws(() => servicePaths({}, '/h', '/'), {
      name: 'Error',
      message: 'a service needs --name or --pidfile',
    });
  });
});

describe('daemonkitHome', () => {
  const fallback = join(homedir(), '.local', 'state', 'daemonkit');
  const cases = [
    ['DAEMONKIT_HOME wins over root', { DAEMONKIT_HOME: '/custom' }, 0, '/custom'],
    [
      'DAEMONKIT_HOME wins over XDG',
      { DAEMONKIT_HOME: '/custom', XDG_RUNTIME_DIR: '/run/user/1000' },
      1000,
      '/custom',
    ],
    ['empty DAEMONKIT_HOME is ignored', { DAEMONKIT_HOME: '' }, 0, '/run/daemonkit'],
    ['root', {}, 0, '/run/daemonkit'],
    ['root ignores XDG_RUNTIME_DIR', { XDG_RUNTIME_DIR: '/run/user/0' }, 0, '/run/daemonkit'],
    [
      'user with XDG_RUNTIME_DIR',
      { XDG_RUNTIME_DIR: '/run/user/1000' },
      1000,
      '/run/user/1000/daemonkit',
    ],
    ['user with relative XDG_RUNTIME_DIR', { XDG_RUNTIME_DIR: 'run/user' }, 1000, fallback],
    ['user with empty XDG_RUNTIME_DIR', { XDG_RUNTIME_DIR: '' }, 1000, fallback],
    ['user, nothing set', {}, 1000, fallback],
  ];
  for (const [title, env, uid, expected] of cases) {
    test(`${title} -> ${expected}`, () => assert.equal(daemonkitHome(env, uid), expected));
  }
});

describe('fnv1a64', () => {
  // Published FNV-1a 64-bit test vectors.
  for (const [text, hex] of [
    ['', 'cbf29ce484222325'],
    ['a', 'af63dc4c8601ec8c'],
    ['foobar', '85944171f73967e8'],
  ]) {
    test(JSON.stringify(text), () => assert.equal(fnv1a64(text), hex));
  }
});

describe('servicePaths: the files in a service directory are where join would put them', () => {
  const homes = ['/run/daemonkit', '/', 'rel/home', 'rel//odd/./home/', '/a/../b/', ''];
  const files = {
    statefile: 'state.json',
    specfile: 'spec.json',
    stopRequest: 'stop.json',
    reopenRequest: 'reopen.json',
    rollRequest: 'roll.json',
    restartLock: 'restart.lock',
  };
  for (const home of homes)
    test(`home ${JSON.stringify(home)}`, () => {
      for (const id of [{ name: 'web' }, { name: 'a..b' }, { pidfile: '/run/x.pid' }]) {
        const p = servicePaths(id, home, '/cwd');
        for (const [key, file] of Object.entries(files))
          assert.equal(p[key], join(p.dir, file), `${JSON.stringify(id)} ${key}`);
        assert.equal(p.logfile, join(p.dir, id.name ? `${id.name}.log` : 'x.log'));
        if (id.name) assert.equal(p.pidfile, join(home, id.name, 'pid'));
        assert.equal(p.lockfile, `${p.pidfile}.lock`);
      }
    });
});
