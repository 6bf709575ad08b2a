// Unit tests for src/daemon/option-names.ts: a library user's errors name the options they gave.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inLibraryWords, libraryOptionName } from '../../dist/daemon/option-names.js';

const KNOWN = new Set([
  'name',
  'pidfile',
  'graceMs',
  'restartDelay',
  'logKeep',
  'logMaxSize',
  'readyTimeout',
  'ready',
  'env',
  'retry',
  'umask',
]);

describe('libraryOptionName', () => {
  for (const [flag, name] of [
    ['grace', 'graceMs'],
    ['restart-delay', 'restartDelay'],
    ['log-max-size', 'logMaxSize'],
    ['env-file', 'envFile'],
    ['name', 'name'],
  ]) {
    test(`--${flag} -> ${name}`, () => assert.equal(libraryOptionName(flag), name));
  }
});

describe('inLibraryWords', () => {
  const cases = [
    [
      "invalid --restart-delay '5x': a duration such as 100ms, 2s or 1m (a bare number is seconds)",
      "invalid restartDelay '5x': a duration such as 100ms, 2s or 1m (a bare number is seconds)",
    ],
    [
      "invalid --grace 'soon': a whole number of milliseconds",
      "invalid graceMs 'soon': a whole number of milliseconds",
    ],
    [
      '--log-keep needs --log-max-size (rotation by size)',
      'logKeep needs logMaxSize (rotation by size)',
    ],
    ['--ready-timeout needs --ready', 'readyTimeout needs ready'],
    ['a service needs --name NAME or --pidfile PATH', 'a service needs name or pidfile'],
    [
      'invalid --restart-delay 0: restarts need a delay of at least 1ms',
      'invalid restartDelay 0: restarts need a delay of at least 1ms',
    ],
    [
      "invalid --retry: 'TERM' is neither a number of seconds nor a schedule like TERM/10/KILL/5",
      "invalid retry: 'TERM' is neither a number of seconds nor a schedule like TERM/10/KILL/5",
    ],
    // a quoted value is the user's own text, never rewritten
    ["invalid --env '--grace=1': use KEY=VALUE", "invalid env '--grace=1': use KEY=VALUE"],
    // a flag the library has no option for stays as it is
    ['give either --timeout or --retry, not both', 'give either --timeout or retry, not both'],
  ];
  for (const [cli, library] of cases) {
    test(cli, () => assert.equal(inLibraryWords(cli, KNOWN), library));
  }
});
