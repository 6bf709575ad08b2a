// Unit tests for src/ops/restart-merge.ts: `restart` changes exactly the options given; the merged
// whole is what gets validated.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeOptions, optionsFromRecord } from '../../dist/ops/restart-merge.js';
import { Problems, validateStart } from '../../dist/config/options.js';

const POLICY = {
  restart: 'no',
  delayMs: 100,
  maxDelayMs: 30000,
  minUptimeMs: 10000,
  maxRestarts: 10,
  windowMs: 60000,
};
const LOGS = { timestamps: false, maxSize: null, keep: 5, compress: false };

/** A spec.json as `start` records it. */
const record = (extra = {}) => ({
  command: ['/usr/bin/node', 'server.js'],
  chdir: '/srv/app',
  umask: 0o022,
  stdin: '/dev/null',
  stdout: '/run/daemonkit/web/web.log',
  stderr: '/run/daemonkit/web/web.log',
  envOverrides: [],
  graceMs: 500,
  restart: POLICY,
  ...extra,
});

function validate(options) {
  const problems = new Problems();
  return { valid: validateStart(options, problems), problems: problems.list };
}

/** validate(merge(recorded, given, cleared)) */
function restartWith(rec, given, cleared = []) {
  return validate(mergeOptions(optionsFromRecord(rec), given, new Set(cleared)));
}

describe('optionsFromRecord: validating them gives back what was recorded', () => {
  const records = [
    record(),
    record({
      restart: {
        restart: 'always',
        delayMs: 2000,
        maxDelayMs: 60000,
        minUptimeMs: 1500,
        maxRestarts: 3,
        windowMs: 120000,
      },
    }),
    record({
      restart: {
        restart: 'always',
        delayMs: 100,
        maxDelayMs: 30000,
        minUptimeMs: 10000,
        maxRestarts: null,
        windowMs: 60000,
      },
    }), // --max-restarts infinity
    record({ logs: { timestamps: true, maxSize: 1048576, keep: 2, compress: true } }),
    record({ logs: { ...LOGS, timestamps: true } }),
    record({ logs: { timestamps: false, maxSize: 4096, keep: 0, compress: false } }),
    record({
      limits: [
        ['nofile', 1024, 4096],
        ['core', -1, -1],
        ['cpu', 10, -1],
      ],
      nice: -5,
      umask: 0o077,
      graceMs: 0,
    }),
    record({ ready: { kind: 'tcp', host: '::1', port: 8080 }, readyTimeoutMs: 1500 }),
    record({
      ready: { kind: 'fd', fd: 3 },
      readyTimeoutMs: 60000,
      envFile: '/etc/app.env',
      clearEnv: true,
    }),
    record({
      ready: { kind: 'notify' },
      readyTimeoutMs: 2147483647,
      envOverrides: ['A=1', 'B=x=y'],
    }),
    record({
      user: 'www-data',
      group: 'web',
      stdout: '/var/log/o.log',
      stderr: '/var/log/e.log',
      stdin: '/dev/zero',
    }),
  ];
  for (const rec of records) {
    test(JSON.stringify(rec).slice(100, 220), () => {
      const { valid, problems } = validate(optionsFromRecord(rec));
      assert.deepEqual(problems, []);
      assert.deepEqual(valid.restart, rec.restart);
      assert.deepEqual(valid.logs, rec.logs ?? LOGS);
      assert.deepEqual(valid.limits, rec.limits ?? []);
      assert.equal(valid.nice, rec.nice);
      assert.equal(valid.umask, rec.umask);
      assert.equal(valid.graceMs, rec.graceMs);
      assert.equal(valid.chdir, rec.chdir);
      assert.equal(valid.stdin, rec.stdin);
      assert.equal(valid.stdout, rec.stdout);
      // follows stdout
      assert.equal(valid.stderr, rec.stderr === rec.stdout ? undefined : rec.stderr);
      assert.deepEqual(valid.env, rec.envOverrides);
      assert.deepEqual(valid.ready, rec.ready);
      if (rec.ready) assert.equal(valid.readyTimeoutMs, rec.readyTimeoutMs);
      assert.equal(valid.envFile, rec.envFile);
      assert.equal(valid.clearEnv, rec.clearEnv === true);
      assert.equal(valid.user, rec.user);
      assert.equal(valid.group, rec.group);
    });
  }
});

describe('mergeOptions: exactly the options given change', () => {
  test('--restart-delay keeps --restart always (it recorded "no" before)', () => {
    const { valid, problems } = restartWith(record({ restart: { ...POLICY, restart: 'always' } }), {
      restartDelay: '2s',
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(valid.restart, { ...POLICY, restart: 'always', delayMs: 2000 });
  });
  test('--log-timestamps keeps the recorded --log-max-size and --log-keep', () => {
    const { valid } = restartWith(record({ logs: { ...LOGS, maxSize: 1048576, keep: 3 } }), {
      logTimestamps: true,
    });
    assert.deepEqual(valid.logs, { timestamps: true, maxSize: 1048576, keep: 3, compress: false });
  });
  test('--log-keep 2 is judged with the recorded --log-max-size: no "needs --log-max-size"', () => {
    const { valid, problems } = restartWith(record({ logs: { ...LOGS, maxSize: 1048576 } }), {
      logKeep: '2',
    });
    assert.deepEqual(problems, []);
    assert.equal(valid.logs.keep, 2);
  });
  test('the merged whole is validated: --log-keep without any --log-max-size is still refused', () => {
    assert.deepEqual(restartWith(record(), { logKeep: '2' }).problems, [
      '--log-keep needs --log-max-size (rotation by size)',
    ]);
  });
  test('--env adds to the recorded values, replacing only the same names', () => {
    const { valid } = restartWith(record({ envOverrides: ['A=1', 'B=2'] }), {
      env: ['B=3', 'C=4'],
    });
    assert.deepEqual(valid.env, ['A=1', 'B=3', 'C=4']);
  });
  test('--env as a record (the library) merges the same way', () => {
    assert.deepEqual(mergeOptions({ env: ['A=1', 'B=2'] }, { env: { B: '3' } }).env, [
      'A=1',
      'B=3',
    ]);
  });
  test('--limit replaces the recorded limit of the same name only', () => {
    const { valid } = restartWith(
      record({
        limits: [
          ['nofile', 1024, 1024],
          ['core', 0, 0],
        ],
      }),
      { limit: ['core=unlimited'] },
    );
    assert.deepEqual(valid.limits, [
      ['nofile', 1024, 1024],
      ['core', -1, -1],
    ]);
  });
  test("a new --user does not keep the old user's group; a new --group keeps the user", () => {
    assert.deepEqual(mergeOptions({ user: 'a', group: 'g' }, { user: 'b' }), { user: 'b' });
    assert.deepEqual(mergeOptions({ user: 'a', group: 'g' }, { user: 'b:h' }), { user: 'b:h' });
    assert.deepEqual(mergeOptions({ user: 'a', group: 'g' }, { group: 'h' }), {
      user: 'a',
      group: 'h',
    });
    assert.deepEqual(mergeOptions({ user: 'a', group: 'g' }, { user: 'b', group: 'h' }), {
      user: 'b',
      group: 'h',
    });
  });
  test('--stdout given now: a stderr that went with stdout goes with the new one; a separate one stays', () => {
    assert.equal(restartWith(record(), { stdout: '/tmp/new.log' }).valid.stderr, undefined);
    assert.equal(
      restartWith(record({ stderr: '/tmp/err.log' }), { stdout: '/tmp/new.log' }).valid.stderr,
      '/tmp/err.log',
    );
  });
  test('nothing given: the record as it was', () => {
    const rec = record({
      restart: { ...POLICY, restart: 'on-failure' },
      logs: { ...LOGS, maxSize: 8192 },
    });
    assert.deepEqual(mergeOptions(optionsFromRecord(rec), {}), optionsFromRecord(rec));
  });
});

describe('mergeOptions: --no-X puts an option back to its default', () => {
  const cases = [
    [
      '--no-log-timestamps',
      record({ logs: { ...LOGS, timestamps: true } }),
      {},
      ['logTimestamps'],
      (v) => assert.equal(v.logs.timestamps, false),
    ],
    [
      '--no-log-compress',
      record({ logs: { ...LOGS, maxSize: 4096, compress: true } }),
      {},
      ['logCompress'],
      (v) => assert.deepEqual(v.logs, { ...LOGS, maxSize: 4096 }),
    ],
    // its dependents go with it (they would be refused alone)
    [
      '--no-log-max-size',
      record({ logs: { timestamps: true, maxSize: 4096, keep: 2, compress: true } }),
      {},
      ['logMaxSize'],
      (v) => assert.deepEqual(v.logs, { ...LOGS, timestamps: true }),
    ],
    [
      '--no-ready',
      record({ ready: { kind: 'fd', fd: 3 }, readyTimeoutMs: 5000 }),
      {},
      ['ready'],
      (v) => assert.equal(v.ready, undefined),
    ],
    [
      '--no-user',
      record({ user: 'a', group: 'g' }),
      {},
      ['user'],
      (v) => assert.deepEqual([v.user, v.group], [undefined, undefined]),
    ],
    [
      '--no-restart',
      record({ restart: { ...POLICY, restart: 'always', delayMs: 2000 } }),
      {},
      ['restart'],
      (v) => assert.deepEqual(v.restart, { ...POLICY, delayMs: 2000 }),
    ],
    [
      '--no-clear-env',
      record({ clearEnv: true }),
      {},
      ['clearEnv'],
      (v) => assert.equal(v.clearEnv, false),
    ],
    ['--no-chdir', record(), {}, ['chdir'], (v) => assert.equal(v.chdir, '/')],
    ['--no-nice', record({ nice: 5 }), {}, ['nice'], (v) => assert.equal(v.nice, undefined)],
    // cleared, then given anew: from nothing
    [
      '--no-env --env C=3',
      record({ envOverrides: ['A=1'] }),
      { env: ['C=3'] },
      ['env'],
      (v) => assert.deepEqual(v.env, ['C=3']),
    ],
    [
      '--no-limit --limit core=0',
      record({ limits: [['nofile', 9, 9]] }),
      { limit: ['core=0'] },
      ['limit'],
      (v) => assert.deepEqual(v.limits, [['core', 0, 0]]),
    ],
    [
      '--no-log-max-size --log-keep 2: the given one is judged',
      record({ logs: { ...LOGS, maxSize: 4096 } }),
      { logKeep: '2' },
      ['logMaxSize'],
      null,
    ],
  ];
  for (const [name, rec, given, cleared, check] of cases) {
    test(name, () => {
      const { valid, problems } = restartWith(rec, given, cleared);
      if (check) {
        assert.deepEqual(problems, []);
        check(valid);
      } else {
        assert.deepEqual(problems, ['--log-keep needs --log-max-size (rotation by size)']);
      }
    });
  }
});
