// Unit tests for src/cli/args.ts (command-line parsing).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS, FLAGS, parseArgs } from '../../dist/cli/args.js';

const ALL =
  'start, stop, restart, status, reload, run, list, export, reopen, logs, rm, top, completion, up, down';

describe('COMMANDS and FLAGS', () => {
  test('commands', () => {
    assert.deepEqual(
      [...COMMANDS],
      [
        'start',
        'stop',
        'restart',
        'status',
        'reload',
        'run',
        'list',
        'export',
        'reopen',
        'logs',
        'rm',
        'top',
        'completion',
        'up',
        'down',
      ],
    );
  });
  test('flag names', () => {
    assert.deepEqual(Object.keys(FLAGS).sort(), [
      'chdir',
      'clear-env',
      'env',
      'env-file',
      'file',
      'follow',
      'foreground',
      'grace',
      'group',
      'install',
      'instances',
      'interval',
      'json',
      'limit',
      'lines',
      'listen',
      'listen-mode',
      'log-compress',
      'log-keep',
      'log-max-size',
      'log-timestamps',
      'max-restarts',
      'min-uptime',
      'name',
      'nice',
      'no-color',
      'output',
      'pidfile',
      'quiet',
      'ready',
      'ready-timeout',
      'restart',
      'restart-delay',
      'restart-max-delay',
      'restart-window',
      'retry',
      'rolling',
      'signal',
      'stderr',
      'stdin',
      'stdout',
      'timeout',
      'umask',
      'update-env',
      'user',
      'verbose',
    ]);
  });
});

describe('parseArgs: commands', () => {
  test('no command', () => {
    assert.deepEqual(parseArgs([]), { problems: [`missing command: one of ${ALL}`] });
  });
  test('empty command', () => {
    assert.deepEqual(parseArgs(['']), { problems: [`missing command: one of ${ALL}`] });
  });
  for (const bad of ['foo', '--name', '-q', 'xyzzy']) {
    test(`unknown command ${JSON.stringify(bad)}`, () => {
      assert.deepEqual(parseArgs([bad, 'x']), {
        problems: [`unknown command '${bad}': use one of ${ALL}`],
      });
    });
  }
  // A typo of a command: the closest one is suggested (still one problem, no parse).
  for (const [bad, meant] of [
    ['stat', 'status'],
    ['START', 'start'],
    ['stats', 'status'],
    ['strat', 'start'],
    ['restrat', 'restart'],
    ['lsit', 'list'],
    ['tpo', 'top'],
    ['compl', 'completion'],
    ['hlep', 'help'],
    // other tools' words (PM2's): the command daemonkit has for it
    ['delete', 'rm'],
    ['del', 'rm'],
    ['remove', 'rm'],
    ['ps', 'list'],
    ['monit', 'top'],
    ['describe', 'status'],
  ]) {
    test(`unknown command ${JSON.stringify(bad)}: did you mean '${meant}'?`, () => {
      assert.deepEqual(parseArgs([bad, 'x']), {
        problems: [`unknown command '${bad}': did you mean '${meant}'?`],
      });
    });
  }
  for (const command of COMMANDS.filter((c) => c !== 'export' && c !== 'completion')) {
    test(`bare ${command}`, () => {
      assert.deepEqual(parseArgs([command]), {
        args: { command, flags: {}, rest: null },
        problems: [],
      });
    });
  }
  test('export needs its format', () => {
    assert.deepEqual(parseArgs(['export']), {
      problems: ["'export' needs a format: daemonkit export systemd [options] -- COMMAND"],
    });
    assert.deepEqual(parseArgs(['export', 'systemd', '--user', '--', 'x']), {
      args: { command: 'export', flags: { 'user-unit': [''] }, rest: ['x'] },
      problems: [],
    });
  });
  test("export's --user: a user unit when followed by --, an option or nothing; else the COMMAND's user", () => {
    const flags = (...argv) => parseArgs(['export', 'systemd', ...argv]).args.flags;
    assert.deepEqual(flags('--user', '--name', 'web', '--', 'x'), {
      'user-unit': [''],
      name: ['web'],
    });
    assert.deepEqual(flags('--user', '-n', 'web'), { 'user-unit': [''], name: ['web'] });
    assert.deepEqual(flags('--user'), { 'user-unit': [''] });
    assert.deepEqual(flags('--user', 'svc', '--', 'x'), { user: ['svc'] });
    assert.deepEqual(flags('--user=svc', '--group', 'g', '--', 'x'), {
      user: ['svc'],
      group: ['g'],
    });
    assert.deepEqual(flags('--user', '--user', 'svc:g', '--', 'x'), {
      'user-unit': [''],
      user: ['svc:g'],
    });
    // elsewhere --user always takes a value
    assert.deepEqual(parseArgs(['start', '--user', '--', 'x']).problems, [
      'option --user needs a value',
    ]);
    assert.deepEqual(parseArgs(['stop', '--user', 'svc']).problems, [
      "option --user does not apply to 'stop'",
    ]);
  });
});

describe('parseArgs: valid', () => {
  const cases = [
    [['start', '--name', 'web', '--', 'sleep', '10'], { name: ['web'] }, ['sleep', '10']],
    [['start', '--name=web', '--', 'sleep', '10'], { name: ['web'] }, ['sleep', '10']],
    [['start', '-n', 'web', '--'], { name: ['web'] }, []],
    [
      ['run', '-p', '/run/x.pid', '--', 'cmd', '--name', 'x', '--'],
      { pidfile: ['/run/x.pid'] },
      ['cmd', '--name', 'x', '--'],
    ],
    [['start', '--', '--name', 'web'], {}, ['--name', 'web']],
    [['status', '-n', 'web'], { name: ['web'] }, null],
    [
      ['status', '-q', '-v', '--json', '-n', 'web'],
      { quiet: [''], verbose: [''], json: [''], name: ['web'] },
      null,
    ],
    [['stop', '--name', 'web', '--timeout', '5'], { name: ['web'], timeout: ['5'] }, null],
    [
      ['stop', '--name', 'web', '--retry=TERM/5/KILL/2'],
      { name: ['web'], retry: ['TERM/5/KILL/2'] },
      null,
    ],
    [
      ['restart', '--name', 'web', '--retry', '3', '--umask', '022', '--', 'x'],
      { name: ['web'], retry: ['3'], umask: ['022'] },
      ['x'],
    ],
    [['reload', '--name', 'web', '--signal', 'USR2'], { name: ['web'], signal: ['USR2'] }, null],
    [['reload', '--name=web', '--signal=-HUP'], { name: ['web'], signal: ['-HUP'] }, null],
    // repeatable --env, both spellings; '=' inside the value is kept
    [
      ['start', '--env', 'A=1', '--env=B=2', '--env', 'C=', '--', 'x'],
      { env: ['A=1', 'B=2', 'C='] },
      ['x'],
    ],
    // --flag= gives an empty value (validation rejects it later)
    [['start', '--name=', '--', 'x'], { name: [''] }, ['x']],
    // a value that looks like an option is still the value
    [['start', '--name', '-q', '--', 'x'], { name: ['-q'] }, ['x']],
    [['run', '--user', 'svc:grp', '--', 'x'], { user: ['svc:grp'] }, ['x']],
    [['restart', '--user=1000', '--group', '1000'], { user: ['1000'], group: ['1000'] }, null],
    [
      [
        'start',
        '--chdir',
        '/srv',
        '--stdin',
        '/dev/null',
        '--stdout',
        'o.log',
        '--stderr',
        'e.log',
        '--grace',
        '0',
        '--',
        'x',
      ],
      { chdir: ['/srv'], stdin: ['/dev/null'], stdout: ['o.log'], stderr: ['e.log'], grace: ['0'] },
      ['x'],
    ],
  ];
  for (const [argv, flags, rest] of cases) {
    test(argv.join(' '), () => {
      assert.deepEqual(parseArgs(argv), { args: { command: argv[0], flags, rest }, problems: [] });
    });
  }
});

describe('parseArgs: the name as a word', () => {
  const cases = [
    [['status', 'web'], { name: ['web'] }, null],
    [['stop', '-q', 'web'], { quiet: [''], name: ['web'] }, null],
    [['reload', 'web', '--signal', 'USR2'], { name: ['web'], signal: ['USR2'] }, null],
    [['logs', 'web', '-n', '5'], { name: ['web'], lines: ['5'] }, null],
    [['rm', 'web'], { name: ['web'] }, null],
    [['reopen', 'web'], { name: ['web'] }, null],
    [['restart', 'web', '--restart-delay', '2s'], { name: ['web'], 'restart-delay': ['2s'] }, null],
    [['restart', 'web', '--'], { name: ['web'] }, []],
    [['export', 'systemd', 'web'], { name: ['web'] }, null], // as recorded: no COMMAND
    [['export', 'systemd', 'web', '--timeout', '20'], { name: ['web'], timeout: ['20'] }, null],
    [
      ['status', 'web', '--pidfile', '/run/w.pid'],
      { name: ['web'], pidfile: ['/run/w.pid'] },
      null,
    ],
  ];
  for (const [argv, flags, rest] of cases) {
    test(argv.join(' '), () => {
      assert.deepEqual(parseArgs(argv), { args: { command: argv[0], flags, rest }, problems: [] });
    });
  }
});

describe('parseArgs: --no-X and --update-env on restart', () => {
  test("a start option cleared, with or without a new value; the caller's environment", () => {
    assert.deepEqual(
      parseArgs([
        'restart',
        'web',
        '--no-log-timestamps',
        '--no-env',
        '--env',
        'A=1',
        '--no-ready',
        '--update-env',
      ]),
      {
        args: {
          command: 'restart',
          flags: {
            name: ['web'],
            'no-log-timestamps': [''],
            'no-env': [''],
            env: ['A=1'],
            'no-ready': [''],
            'update-env': [''],
          },
          rest: null,
        },
        problems: [],
      },
    );
  });
});

describe('parseArgs: problems', () => {
  const cases = [
    // unknown options
    [['status', '--foo'], ['unknown option --foo'], {}, null],
    [['status', '--foo=bar'], ['unknown option --foo'], {}, null],
    // a typo of an option of this command: the closest one is suggested, and its value goes with it
    [['status', '--Name', 'x'], ['unknown option --Name: did you mean --name?'], {}, null],
    [
      ['start', '--restart-dealy', '1s', '--', 'x'],
      ['unknown option --restart-dealy: did you mean --restart-delay?'],
      {},
      ['x'],
    ],
    [
      ['start', '--restart-dealy=1s', '--', 'x'],
      ['unknown option --restart-dealy: did you mean --restart-delay?'],
      {},
      ['x'],
    ],
    [['logs', '--follw'], ['unknown option --follw: did you mean --follow?'], {}, null],
    [['logs', '--foll'], ['unknown option --foll: did you mean --follow?'], {}, null],
    [['status', '--jsn'], ['unknown option --jsn: did you mean --json?'], {}, null],
    [['stop', '--timout', '5'], ['unknown option --timout: did you mean --timeout?'], {}, null],
    [['status', '--hepl'], ['unknown option --hepl: did you mean --help?'], {}, null],
    // a flag meant: the next word is not its value
    [
      ['status', '--jsn', 'x'],
      ['unknown option --jsn: did you mean --json?'],
      { name: ['x'] },
      null,
    ], // x: the name, as a word
    [
      ['list', '--jsn', 'x'],
      ['unknown option --jsn: did you mean --json?', "unexpected argument 'x'"],
      {},
      null,
    ],
    // only this command's options are suggested (--timeout is stop's, not status')
    [['status', '--timout'], ['unknown option --timout'], {}, null],
    [['status', '--'], [], {}, []],
    // unknown short options and positional arguments
    [['status', '-x'], ["unexpected argument '-x'"], {}, null],
    [['status', '-qv'], ["unexpected argument '-qv'"], {}, null],
    [['status', 'web', 'api'], ["unexpected argument 'api'"], { name: ['web'] }, null],
    [['list', 'web'], ["unexpected argument 'web'"], {}, null],
    [
      ['status', 'web', '--name', 'api'],
      ['option --name given more than once'],
      { name: ['web'] },
      null,
    ],
    [
      ['start', 'sleep', '10'],
      [
        "unexpected argument 'sleep' (put the COMMAND after --)",
        "unexpected argument '10' (put the COMMAND after --)",
      ],
      {},
      null,
    ],
    [
      ['run', '-n', 'x', 'sleep'],
      ["unexpected argument 'sleep' (put the COMMAND after --)"],
      { name: ['x'] },
      null,
    ],
    [
      ['restart', 'sleep', 'x'],
      ["unexpected argument 'x' (put the COMMAND after --)"],
      { name: ['sleep'] },
      null,
    ],
    // with a COMMAND, a word before -- is never the name (it could be a piece of the COMMAND)
    [
      ['start', 'web', '--', 'sleep', '1'],
      [
        "unexpected argument 'web': with a COMMAND, name the service with --name (daemonkit start --name NAME -- COMMAND)",
      ],
      {},
      ['sleep', '1'],
    ],
    [
      ['restart', 'web', '--', 'sleep', '1'],
      [
        "unexpected argument 'web': with a COMMAND, name the service with --name (daemonkit restart --name NAME -- COMMAND)",
      ],
      {},
      ['sleep', '1'],
    ],
    [
      ['export', 'systemd', 'web', '--', 'sleep', '1'],
      [
        "unexpected argument 'web': with a COMMAND, name the service with --name (daemonkit export systemd --name NAME -- COMMAND)",
      ],
      {},
      ['sleep', '1'],
    ],
    [['run', 'web', '--'], ["unexpected argument 'web' (put the COMMAND after --)"], {}, []],
    // --no-X: a start option back to its default, on restart only; never for identity or stop
    // options
    [
      ['start', '--no-log-timestamps', '--', 'x'],
      ["option --no-log-timestamps does not apply to 'start'"],
      {},
      ['x'],
    ],
    [['restart', '--no-name'], ['unknown option --no-name'], {}, null],
    [
      ['restart', '--no-timeout'],
      ['unknown option --no-timeout: did you mean --timeout?'],
      {},
      null,
    ], // a stop option has no --no-
    [['restart', '--no-ready=1'], ['option --no-ready takes no value'], {}, null],
    [['restart', '--no-bogus'], ['unknown option --no-bogus'], {}, null],
    [['stop', '--update-env'], ["option --update-env does not apply to 'stop'"], {}, null],
    [['status', '-'], ["unexpected argument '-'"], {}, null],
    // an option that does not apply to the command; its value is skipped too
    [
      ['stop', '--env', 'A=1', '-n', 'w'],
      ["option --env does not apply to 'stop'"],
      { name: ['w'] },
      null,
    ],
    [
      ['status', '--timeout=5', '-n', 'w'],
      ["option --timeout does not apply to 'status'"],
      { name: ['w'] },
      null,
    ],
    [['start', '-v', '--', 'x'], ["option --verbose does not apply to 'start'"], {}, ['x']],
    [['start', '--json', '--', 'x'], ["option --json does not apply to 'start'"], {}, ['x']],
    [
      ['start', '--signal', 'HUP', '--', 'x'],
      ["option --signal does not apply to 'start'"],
      {},
      ['x'],
    ],
    [
      ['reload', '--retry', '5', '-n', 'w'],
      ["option --retry does not apply to 'reload'"],
      { name: ['w'] },
      null,
    ],
    [['run', '--timeout', '5', '--', 'x'], ["option --timeout does not apply to 'run'"], {}, ['x']],
    // missing value
    [['start', '--name'], ['option --name needs a value'], {}, null],
    [['status', '-n'], ['option --name needs a value'], {}, null],
    [['start', '--name', '--', 'x'], ['option --name needs a value'], {}, ['x']],
    [['stop', '-n', 'w', '--timeout'], ['option --timeout needs a value'], { name: ['w'] }, null],
    // duplicated non-repeatable options (first value kept)
    [
      ['start', '--name', 'a', '--name', 'b', '--', 'x'],
      ['option --name given more than once'],
      { name: ['a'] },
      ['x'],
    ],
    [
      ['status', '-n', 'a', '--name=b'],
      ['option --name given more than once'],
      { name: ['a'] },
      null,
    ],
    [['status', '-q', '--quiet'], ['option --quiet given more than once'], { quiet: [''] }, null],
    [
      ['stop', '--timeout', '1', '--timeout', '2'],
      ['option --timeout given more than once'],
      { timeout: ['1'] },
      null,
    ],
    // value on a boolean flag
    [['status', '--quiet=yes'], ['option --quiet takes no value'], {}, null],
    [['status', '--json='], ['option --json takes no value'], {}, null],
    [
      ['status', '--verbose=1', '-n', 'w'],
      ['option --verbose takes no value'],
      { name: ['w'] },
      null,
    ],
    // several problems at once
    [
      [
        'start',
        '--bogus',
        'cmd',
        '--name',
        'a',
        '--name',
        'b',
        '--quiet=1',
        '--timeout',
        '3',
        '--env',
      ],
      [
        'unknown option --bogus',
        "unexpected argument 'cmd' (put the COMMAND after --)",
        'option --name given more than once',
        'option --quiet takes no value',
        "option --timeout does not apply to 'start'",
        'option --env needs a value',
      ],
      { name: ['a'] },
      null,
    ],
  ];
  for (const [argv, problems, flags, rest] of cases) {
    test(argv.join(' '), () => {
      assert.deepEqual(parseArgs(argv), { args: { command: argv[0], flags, rest }, problems });
    });
  }

  test('"--" right after an option that does not apply is not swallowed', () => {
    assert.deepEqual(parseArgs(['run', '--timeout', '--', 'sleep', '1']), {
      args: { command: 'run', flags: {}, rest: ['sleep', '1'] },
      problems: ["option --timeout does not apply to 'run'"],
    });
  });

  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    test(`--${name} is an unknown option, not a crash`, () => {
      assert.deepEqual(parseArgs(['start', `--${name}`]), {
        args: { command: 'start', flags: {}, rest: null },
        problems: [`unknown option --${name}`],
      });
    });
  }
});

describe('parseArgs: list', () => {
  test("'ls' is 'list'", () =>
    assert.deepEqual(parseArgs(['ls', '--json']), {
      args: { command: 'list', flags: { json: [''] }, rest: null },
      problems: [],
    }));
  test('list takes no identity', () =>
    assert.deepEqual(parseArgs(['list', '--name', 'x']).problems, [
      "option --name does not apply to 'list'",
    ]));
});

describe('parseArgs: completion', () => {
  test('completion SHELL', () => {
    for (const shell of ['bash', 'zsh', 'fish'])
      assert.deepEqual(parseArgs(['completion', shell]), {
        args: { command: 'completion', flags: { shell: [shell] }, rest: null },
        problems: [],
      });
  });
  test('no shell, or another: one line naming the three (and the closest)', () => {
    assert.deepEqual(parseArgs(['completion']).problems, [
      "'completion' needs a shell: daemonkit completion bash|zsh|fish",
    ]);
    assert.deepEqual(parseArgs(['completion', 'tcsh']).problems, [
      "'completion' needs a shell: daemonkit completion bash|zsh|fish",
    ]);
    assert.deepEqual(parseArgs(['completion', 'bsh']).problems, [
      "'completion' needs a shell: daemonkit completion bash|zsh|fish (did you mean 'bash'?)",
    ]);
  });
  test('top takes --interval and --no-color, no identity', () => {
    assert.deepEqual(parseArgs(['top', '--interval', '2s', '--no-color']), {
      args: { command: 'top', flags: { interval: ['2s'], 'no-color': [''] }, rest: null },
      problems: [],
    });
    assert.deepEqual(parseArgs(['top', '--name', 'x']).problems, [
      "option --name does not apply to 'top'",
    ]);
    assert.deepEqual(parseArgs(['top', '--intervl', '2s']).problems, [
      'unknown option --intervl: did you mean --interval?',
    ]);
  });
});
