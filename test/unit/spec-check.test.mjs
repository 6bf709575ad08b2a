// Unit tests for src/config/spec-check.ts: what is wrong with a spec.json read back, field by field.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { recordedSpecProblems } from '../../dist/config/spec-check.js';

const good = {
  command: ['/bin/sleep', '1000'],
  chdir: '/',
  umask: 0o22,
  stdin: '/dev/null',
  stdout: '/var/log/x.log',
  stderr: null,
  envOverrides: ['A=1'],
  graceMs: 500,
};
const full = {
  ...good,
  restart: {
    restart: 'on-failure',
    delayMs: 100,
    maxDelayMs: 30000,
    minUptimeMs: 10000,
    maxRestarts: 10,
    windowMs: 60000,
  },
  limits: [
    ['nofile', 1024, 4096],
    ['core', -1, -1],
  ],
  nice: 5,
  envFile: '/etc/x.env',
  clearEnv: true,
  logs: { timestamps: false, maxSize: 10485760, keep: 5, compress: true },
  ready: { kind: 'tcp', host: '127.0.0.1', port: 80 },
  readyTimeoutMs: 60000,
  user: 'www-data',
  group: 'www-data',
};

describe('recordedSpecProblems', () => {
  const cases = [
    ['a spec as writeSpec records it', good, []],
    ['with every optional field', full, []],
    ['not an object', [1, 2], ['not a JSON object']],
    ['null', null, ['not a JSON object']],
    [
      'no envOverrides (the "is not iterable" crash)',
      { ...good, envOverrides: undefined },
      ['envOverrides: missing, want a list of KEY=VALUE strings'],
    ],
    [
      'envOverrides a string',
      { ...good, envOverrides: 'A=1' },
      ['envOverrides: not a list of KEY=VALUE strings'],
    ],
    ['empty command', { ...good, command: [] }, ['command: not a non-empty list of strings']],
    ['command of numbers', { ...good, command: [1] }, ['command: not a non-empty list of strings']],
    [
      'relative chdir and a umask too big',
      { ...good, chdir: 'tmp', umask: 0o1000 },
      ['chdir: not an absolute path', 'umask: not an integer 0 to 0777'],
    ],
    [
      'negative grace',
      { ...good, graceMs: -1 },
      ['graceMs: not a whole number of milliseconds up to 999999999 (as --grace takes)'],
    ],
    [
      'a grace --grace would refuse',
      { ...good, graceMs: 1e12 },
      ['graceMs: not a whole number of milliseconds up to 999999999 (as --grace takes)'],
    ],
    [
      '--max-restarts infinity (null)',
      { ...full, restart: { ...full.restart, maxRestarts: null } },
      [],
    ],
    ['--max-restarts 1000000', { ...full, restart: { ...full.restart, maxRestarts: 1000000 } }, []],
    [
      'a max-restarts --max-restarts would refuse',
      { ...full, restart: { ...full.restart, maxRestarts: 1000001 } },
      ['restart: not a restart policy'],
    ],
    [
      'an unknown restart mode',
      { ...full, restart: { ...full.restart, restart: 'sometimes' } },
      ['restart: not a restart policy'],
    ],
    [
      'a log policy with keep as text',
      { ...full, logs: { ...full.logs, keep: '5' } },
      ['logs: not a log policy'],
    ],
    [
      'a limit of the wrong shape',
      { ...full, limits: [['nofile', 1024]] },
      ['limits: not a list of [name, soft, hard]'],
    ],
    ['an empty user', { ...full, user: '' }, ['user: not a user name or id']],
  ];
  for (const [what, value, expected] of cases)
    test(what, () => assert.deepEqual(recordedSpecProblems(value), expected));
});
