// --listen's syntax and checks (pure), what restart keeps of it, the socket units export writes,
// and listenFds()' reading of the environment.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatListen, listenEnv, parseListen } from '../../dist/config/listen-addr.js';
import { Problems, validateStart } from '../../dist/config/options.js';
import { mergeOptions, optionsFromRecord } from '../../dist/ops/restart-merge.js';
import { socketUnits } from '../../dist/export/systemd-socket.js';
import { listenFds } from '../../dist/index.js';

describe('parseListen', () => {
  const valid = [
    ['tcp:80', { name: null, kind: 'tcp', host: null, port: 80 }],
    ['tcp:127.0.0.1:8080', { name: null, kind: 'tcp', host: '127.0.0.1', port: 8080 }],
    ['tcp:[::1]:443', { name: null, kind: 'tcp', host: '::1', port: 443 }],
    ['tcp:[::]:1', { name: null, kind: 'tcp', host: '::', port: 1 }],
    ['web=tcp:65535', { name: 'web', kind: 'tcp', host: null, port: 65535 }],
    ['unix:/run/a.sock', { name: null, kind: 'unix', path: '/run/a.sock' }],
    ['admin=unix:rel/a.sock', { name: 'admin', kind: 'unix', path: 'rel/a.sock' }],
    ['unix:/run/a=b:c', { name: null, kind: 'unix', path: '/run/a=b:c' }],
  ];
  for (const [text, addr] of valid) {
    test(`${text} → ${JSON.stringify(addr)}, and back`, () => {
      assert.deepEqual(parseListen(text), addr);
      assert.deepEqual(parseListen(formatListen(addr)), addr);
    });
  }
  const invalid = [
    ['80', /use tcp:/],
    ['udp:53', /use tcp:/],
    ['tcp:', /use tcp:PORT/],
    ['tcp:0', /1 to 65535/],
    ['tcp:65536', /1 to 65535/],
    ['tcp:localhost:80', /must be an IP address/],
    ['tcp:256.1.1.1:80', /must be an IP address/],
    ['tcp:::1:80', /use tcp:PORT/],
    ['tcp:[127.0.0.1]:80', /must be an IP address/],
    ['tcp:[fe80::1%eth0]:80', /must be an IP address/],
    ['=tcp:80', /the name '' must be/],
    ['a b=tcp:80', /the name 'a b' must be/],
    ['unix:', /needs a path/],
    ['unix:/run/', /not of a directory/],
    [`unix:/${'x'.repeat(107)}`, /too long for a socket/],
  ];
  for (const [text, why] of invalid)
    test(`${text} is refused`, () => assert.match(String(parseListen(text)), why));
});

describe('validateStart: --listen, --listen-mode', () => {
  const check = (opts) => {
    const p = new Problems();
    return { result: validateStart(opts, p), list: p.list };
  };
  test('the same address twice is refused, naming both', () => {
    assert.deepEqual(check({ listen: ['tcp:80', 'web=tcp:80'] }).list, [
      "invalid --listen 'web=tcp:80': tcp:80 is already set by --listen 'tcp:80' (give each listen once)",
    ]);
  });
  test('--listen-mode needs a unix: socket, and an octal mode', () => {
    assert.deepEqual(check({ listen: ['tcp:80'], listenMode: '0600' }).list, [
      '--listen-mode needs a --listen unix:PATH',
    ]);
    assert.deepEqual(check({ listen: ['unix:/a'], listenMode: '999' }).list, [
      "invalid --listen-mode '999': use an octal mode such as 0660 or 600",
    ]);
  });
  test('a readiness fd must come after the sockets', () => {
    assert.deepEqual(check({ listen: ['tcp:80', 'tcp:81'], ready: 'fd:4' }).list, [
      'invalid --ready fd:4: fds 3 to 4 are the --listen sockets (use fd:5 or above)',
    ]);
    assert.deepEqual(check({ listen: ['tcp:80', 'tcp:81'], ready: 'fd:5' }).list, []);
  });
  test('at most 61 sockets (fds 3 to 63)', () => {
    const many = Array.from({ length: 62 }, (_, i) => `tcp:${1000 + i}`);
    assert.deepEqual(check({ listen: many }).list, ['too many --listen sockets (62): at most 61']);
  });
});

describe('restart keeps --listen', () => {
  const rec = {
    command: ['/bin/true'],
    chdir: '/',
    umask: 0o22,
    stdin: '/dev/null',
    stdout: null,
    stderr: null,
    envOverrides: [],
    graceMs: 500,
    listen: ['web=tcp:80', 'unix:/run/a.sock'],
    listenMode: 0o600,
  };
  test('as recorded, mode included', () => {
    const o = optionsFromRecord(rec);
    assert.deepEqual(o.listen, rec.listen);
    const p = new Problems();
    const v = validateStart(o, p);
    assert.deepEqual(p.list, []);
    assert.equal(v.listenMode, 0o600);
    assert.deepEqual(v.listen.map(formatListen), rec.listen);
  });
  test('a --listen given replaces the set (and its mode); --no-listen clears both', () => {
    const o = mergeOptions(optionsFromRecord(rec), { listen: ['tcp:81'] });
    assert.deepEqual(o.listen, ['tcp:81']);
    assert.equal(o.listenMode, undefined);
    const cleared = mergeOptions(optionsFromRecord(rec), {}, new Set(['listen']));
    assert.equal(cleared.listen, undefined);
    assert.equal(cleared.listenMode, undefined);
  });
});

describe('export: socket units', () => {
  const unit = (listen, extra = {}) => ({
    name: 'web',
    spec: { listen: listen.map((t) => parseListen(t)), listenMode: 0o660 },
    env: [],
    schedule: [],
    userUnit: false,
    ...extra,
  });
  test('one name: NAME.socket, with every address', () => {
    const [s, ...rest] = socketUnits(unit(['tcp:80', 'tcp:[::1]:81']));
    assert.equal(rest.length, 0);
    assert.equal(s.file, 'web.socket');
    assert.match(
      s.text,
      /^ListenStream=80\nListenStream=\[::1\]:81\nFileDescriptorName=unknown\nService=web\.service$/m,
    );
  });
  test('one unit per name; unix: sockets get their mode and the --user', () => {
    const units = socketUnits(unit(['a=tcp:80', 'b/c=unix:/run/x.sock'], { user: 'app' }));
    assert.deepEqual(
      units.map((u) => u.file),
      ['web-a.socket', 'web-b\\x2fc.socket'],
    );
    assert.match(units[1].text, /^SocketMode=0660\nSocketUser=app$/m);
    assert.doesNotMatch(units[0].text, /SocketMode/);
  });
  test('sd_listen_fds variables: LISTEN_PID is a slot the child fills', () => {
    assert.deepEqual(listenEnv([parseListen('a=tcp:80'), parseListen('unix:/x')]), {
      LISTEN_FDS: '2',
      LISTEN_PID: '@@@@@@@@@@',
      LISTEN_FDNAMES: 'a:unknown',
    });
    assert.deepEqual(listenEnv([]), {});
  });
});

describe('listenFds()', () => {
  test("another process's sockets are not ours; the variables are cleared all the same", () => {
    const env = { LISTEN_PID: String(process.pid + 1), LISTEN_FDS: '1', LISTEN_FDNAMES: 'x' };
    assert.deepEqual(listenFds(env), []);
    assert.deepEqual(env, {});
  });
  test('none passed: none', () => assert.deepEqual(listenFds({}), []));
  test('names that do not match the count are an error, not a guess', () => {
    const env = { LISTEN_PID: String(process.pid), LISTEN_FDS: '2', LISTEN_FDNAMES: 'a' };
    assert.throws(() => listenFds(env), /LISTEN_FDNAMES names 1 sockets, but LISTEN_FDS says 2/);
    assert.throws(
      () => listenFds({ LISTEN_PID: String(process.pid), LISTEN_FDS: 'x' }),
      /LISTEN_FDS=x is not a number/,
    );
  });
});
