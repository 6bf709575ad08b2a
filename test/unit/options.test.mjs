// Unit tests for src/config/options.ts (option validation: every problem reported at once).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_GRACE_MS,
  Problems,
  validateIdentity,
  validateSignal,
  validateStart,
  validateStop,
  validateLineCount,
  parseLimit,
} from '../../dist/config/options.js';
import { defaultSchedule, parseSchedule } from '../../dist/config/schedule.js';
import { MAX_RESTARTS_LIMIT } from '../../dist/config/restart-policy.js';
import { MAX_LIMITS } from '../../dist/sys/limits.js';

const NAME_RULE =
  "use 1-64 letters, digits, '.', '_', '@', '+' or '-', starting with a letter or digit";
const UMASK_RULE = 'use an octal mask such as 022 or 0077';
const GRACE_RULE = 'a whole number of milliseconds, 0 or more (or a duration such as 2s)';
const TIMEOUT_RULE = 'a duration such as 10s, 500ms or 1m (a bare number is seconds)';
const ENV_RULE = "use KEY=VALUE with KEY made of letters, digits and '_'";

function run(fn, ...args) {
  const problems = new Problems();
  const result = fn(...args, problems);
  return { result, list: problems.list };
}

describe('Problems', () => {
  test('collects in order', () => {
    const p = new Problems();
    assert.deepEqual(p.list, []);
    p.add('one');
    p.add('two');
    assert.deepEqual(p.list, ['one', 'two']);
  });
});

describe('validateIdentity', () => {
  const cases = [
    [{ name: 'web' }, []],
    [{ pidfile: '/run/web.pid' }, []],
    [{ pidfile: 'rel/web.pid' }, []],
    [{ name: 'web', pidfile: '/run/web.pid' }, []],
    [{}, ['a service needs --name NAME or --pidfile PATH']],
    [{ name: '../x' }, [`invalid --name '../x': ${NAME_RULE}`]],
    [{ name: '' }, [`invalid --name '': ${NAME_RULE}`]],
    [{ name: 'a\nb' }, [`invalid --name 'a\\nb': ${NAME_RULE}`]],
    [{ pidfile: '' }, ["invalid --pidfile '': it must name a file"]],
    [{ pidfile: '/run/' }, ["invalid --pidfile '/run/': it must name a file"]],
    [{ pidfile: '/run/a\0b' }, ["invalid --pidfile '/run/a\\u0000b': it must name a file"]],
    [
      { name: 'a/b', pidfile: '/run/' },
      [`invalid --name 'a/b': ${NAME_RULE}`, "invalid --pidfile '/run/': it must name a file"],
    ],
  ];
  for (const [opts, expected] of cases) {
    test(JSON.stringify(opts), () => {
      assert.deepEqual(run(validateIdentity, opts).list, expected);
    });
  }
});

// The restart policy's defaults, written out (no / 100ms / 30s / 10s / 10 / 60s).
const LOGS = Object.freeze({ timestamps: false, maxSize: null, keep: 5, compress: false });
const POLICY = Object.freeze({
  restart: 'no',
  delayMs: 100,
  maxDelayMs: 30000,
  minUptimeMs: 10000,
  maxRestarts: 10,
  windowMs: 60000,
});
const DEFAULTS = Object.freeze({
  restart: POLICY,
  limits: [],
  chdir: '/',
  umask: 0o022,
  stdin: '/dev/null',
  env: [],
  graceMs: DEFAULT_GRACE_MS,
  clearEnv: false,
  logs: LOGS,
  readyTimeoutMs: 60000,
  listen: [],
  listenMode: 0o666,
});

describe('validateStart', () => {
  test('DEFAULT_GRACE_MS is 500', () => assert.equal(DEFAULT_GRACE_MS, 500));

  test('defaults, with no stdout/stderr keys', () => {
    const { result, list } = run(validateStart, {});
    assert.deepEqual(list, []);
    assert.deepEqual(result, DEFAULTS);
    assert.equal('stdout' in result, false);
    assert.equal('stderr' in result, false);
  });

  describe('umask', () => {
    const valid = [
      ['022', 0o22],
      ['0022', 0o22],
      ['0077', 0o77],
      ['077', 0o77],
      ['7', 0o7],
      ['0', 0],
      ['000', 0],
      ['777', 0o777],
      ['0777', 0o777],
      [0o22, 0o22], // a number is taken as the mask itself
      [0, 0],
      [0o777, 0o777],
    ];
    for (const [input, expected] of valid) {
      test(`${typeof input} ${typeof input === 'number' ? `0o${input.toString(8)}` : JSON.stringify(input)} -> 0o${expected.toString(8)}`, () => {
        const { result, list } = run(validateStart, { umask: input });
        assert.deepEqual(list, []);
        assert.equal(result.umask, expected);
      });
    }
    const invalid = [
      ['999', '999'],
      ['8', '8'],
      ['0o22', '0o22'],
      ['abc', 'abc'],
      ['', ''],
      ['1000', '1000'],
      ['00777', '00777'],
      [' 022', ' 022'],
      ['022\n', '022\\n'],
      ['-1', '-1'],
      [-1, '-1'],
      [1.5, '1.5'],
      [0o1000, '512'],
    ];
    for (const [input, shown] of invalid) {
      test(`invalid ${typeof input} ${JSON.stringify(input)}`, () => {
        const { result, list } = run(validateStart, { umask: input });
        assert.deepEqual(list, [`invalid --umask '${shown}': ${UMASK_RULE}`]);
        assert.equal(result.umask, 0o022); // the default stands in
      });
    }
  });

  describe('grace', () => {
    // A bare number is milliseconds (as the name says); with a unit, any duration.
    const valid = [
      ['0', 0],
      ['500', 500],
      ['1500', 1500],
      ['007', 7],
      ['999999999', 999999999],
      [0, 0],
      [250, 250],
      ['2s', 2000],
      ['1.5s', 1500],
      ['100ms', 100],
      ['0s', 0],
      ['1m', 60000],
      ['1h', 3600000],
    ];
    for (const [input, expected] of valid) {
      test(`${typeof input} ${JSON.stringify(input)} -> ${expected}`, () => {
        const { result, list } = run(validateStart, { graceMs: input });
        assert.deepEqual(list, []);
        assert.equal(result.graceMs, expected);
      });
    }
    const invalid = [
      ['-1', '-1'],
      ['1.5', '1.5'],
      ['x', 'x'],
      ['', ''],
      ['1e3', '1e3'],
      ['1000000000', '1000000000'],
      [' 5', ' 5'],
      ['2 s', '2 s'],
      ['2S', '2S'],
      ['-1s', '-1s'],
      ['s', 's'],
      ['1d', '1d'],
      ['300h', '300h'],
      [-1, '-1'],
      [1.5, '1.5'],
      [Number.NaN, 'NaN'],
      [Infinity, 'Infinity'],
    ];
    for (const [input, shown] of invalid) {
      test(`invalid ${typeof input} ${JSON.stringify(input) ?? String(input)}`, () => {
        const { result, list } = run(validateStart, { graceMs: input });
        assert.deepEqual(list, [`invalid --grace '${shown}': ${GRACE_RULE}`]);
        assert.equal(result.graceMs, DEFAULT_GRACE_MS);
      });
    }
  });

  describe('env', () => {
    const valid = [
      [['A=1'], ['A=1']],
      [['A='], ['A=']],
      [['_x=1'], ['_x=1']],
      [['A_1=b=c'], ['A_1=b=c']],
      [
        ['PATH=/bin:/usr/bin', 'HOME=/root'],
        ['PATH=/bin:/usr/bin', 'HOME=/root'],
      ],
      [['A=with space\nand newline'], ['A=with space\nand newline']],
      [{ A: '1', B: '' }, ['A=1', 'B=']],
      [{}, []],
      [[], []],
    ];
    for (const [input, expected] of valid) {
      test(`valid ${JSON.stringify(input)}`, () => {
        const { result, list } = run(validateStart, { env: input });
        assert.deepEqual(list, []);
        assert.deepEqual(result.env, expected);
      });
    }
    const invalid = [
      ['=x', '=x'],
      ['1A=2', '1A=2'],
      ['A', 'A'],
      ['', ''],
      ['A-B=1', 'A-B=1'],
      ['A B=1', 'A B=1'],
      ['A=x\0y', 'A=x\\u0000y'],
      ['\u00e9=1', '\u00e9=1'],
    ];
    for (const [item, shown] of invalid) {
      test(`invalid ${JSON.stringify(item)}`, () => {
        const { result, list } = run(validateStart, { env: ['OK=1', item] });
        assert.deepEqual(list, [`invalid --env '${shown}': ${ENV_RULE}`]);
        assert.deepEqual(result.env, ['OK=1']); // the good ones are kept
      });
    }
    test('invalid key in the record form', () => {
      const { list } = run(validateStart, { env: { '1A': 'x' } });
      assert.deepEqual(list, [`invalid --env '1A=x': ${ENV_RULE}`]);
    });
    test("record key containing '=' is refused", () => {
      const { result, list } = run(validateStart, { env: { 'A=B': 'c' } });
      assert.equal(list.length, 1);
      assert.deepEqual(result.env, []);
    });
  });

  describe('paths', () => {
    for (const flag of ['chdir', 'stdin', 'stdout', 'stderr']) {
      const bad = [
        ['', ''],
        ['/tmp/a\0b', '/tmp/a\\u0000b'],
        ['/tmp/a\nb', '/tmp/a\\nb'],
      ];
      for (const [value, shown] of bad) {
        test(`--${flag} ${JSON.stringify(value)} refused`, () => {
          const { result, list } = run(validateStart, { [flag]: value });
          assert.deepEqual(list, [`invalid --${flag} '${shown}': not a usable path`]);
          assert.deepEqual(result, DEFAULTS); // falls back (stdout/stderr absent)
        });
      }
      test(`--${flag} '/var/log/x y' kept`, () => {
        const { result, list } = run(validateStart, { [flag]: '/var/log/x y' });
        assert.deepEqual(list, []);
        assert.equal(result[flag], '/var/log/x y');
      });
    }
    test('relative paths are kept as given', () => {
      const { result, list } = run(validateStart, {
        chdir: 'work',
        stdout: 'out.log',
        stderr: 'err.log',
        stdin: 'in',
      });
      assert.deepEqual(list, []);
      assert.deepEqual(result, {
        ...DEFAULTS,
        chdir: 'work',
        stdin: 'in',
        stdout: 'out.log',
        stderr: 'err.log',
      });
    });
  });

  describe('user and group', () => {
    const ok = [
      [{ user: 'www-data' }, { user: 'www-data' }],
      [{ user: 'svc:grp' }, { user: 'svc', group: 'grp' }],
      [
        { user: 'svc', group: 'grp' },
        { user: 'svc', group: 'grp' },
      ],
      [{ user: '1000:1000' }, { user: '1000', group: '1000' }],
      [
        { user: 1000, group: 50 },
        { user: '1000', group: '50' },
      ],
      [{ user: '0' }, { user: '0' }],
      [
        { user: 'svc', group: '4294967294' },
        { user: 'svc', group: '4294967294' },
      ],
    ];
    for (const [input, expected] of ok) {
      test(`${JSON.stringify(input)} ok`, () => {
        const { result, list } = run(validateStart, input);
        assert.deepEqual(list, []);
        assert.deepEqual(result, { ...DEFAULTS, ...expected });
      });
    }
    const bad = [
      [{ user: '' }, "invalid --user '': it is empty"],
      [{ user: ':grp' }, "invalid --user ':grp': the user part: it is empty"],
      [{ user: 'svc:' }, "invalid --user 'svc:': the group part: it is empty"],
      [{ user: 'svc:a:b' }, "invalid --user 'svc:a:b': the group part: use a name or a numeric id"],
      [{ user: 'a b' }, "invalid --user 'a b': use a name or a numeric id"],
      [{ user: '-rf' }, "invalid --user '-rf': use a name or a numeric id"],
      [{ user: 'x\ny' }, "invalid --user 'x\\ny': use a name or a numeric id"],
      [{ user: '4294967295' }, "invalid --user '4294967295': ids go up to 4294967294"],
      [{ user: 'svc', group: '' }, "invalid --group '': it is empty"],
      [
        { user: 'svc:g', group: 'h' },
        "--user 'svc:g' names a group, and so does --group: give it once",
      ],
      [{ group: 'grp' }, "--group grp needs --user (the COMMAND would keep the caller's user)"],
    ];
    for (const [input, problem] of bad) {
      test(`${JSON.stringify(input)} refused`, () => {
        const { result, list } = run(validateStart, input);
        assert.deepEqual(list, [problem]);
        assert.deepEqual(result, DEFAULTS);
      });
    }
  });

  test('a fully valid set', () => {
    const { result, list } = run(validateStart, {
      name: 'web',
      chdir: '/srv',
      umask: '0077',
      stdin: '/dev/zero',
      stdout: '/var/log/o',
      stderr: '/var/log/e',
      env: ['A=1', 'B=2'],
      graceMs: '100',
      listen: ['web=tcp:80', 'unix:/run/w.sock'],
      listenMode: '0600',
    });
    assert.deepEqual(list, []);
    assert.deepEqual(result, {
      restart: POLICY,
      limits: [],
      chdir: '/srv',
      umask: 0o77,
      stdin: '/dev/zero',
      stdout: '/var/log/o',
      stderr: '/var/log/e',
      env: ['A=1', 'B=2'],
      graceMs: 100,
      clearEnv: false,
      logs: LOGS,
      readyTimeoutMs: 60000,
      listen: [
        { name: 'web', kind: 'tcp', host: null, port: 80 },
        { name: null, kind: 'unix', path: '/run/w.sock' },
      ],
      listenMode: 0o600,
    });
  });

  test('every problem is reported at once, each naming its value', () => {
    const { result, list } = run(validateStart, {
      umask: '999',
      graceMs: 'soon',
      env: ['=x', 'GOOD=1', '1A=2', 'A'],
      chdir: '',
      stdin: 'a\nb',
      stdout: 'c\0d',
      stderr: '',
    });
    assert.deepEqual(list, [
      `invalid --umask '999': ${UMASK_RULE}`,
      `invalid --grace 'soon': ${GRACE_RULE}`,
      `invalid --env '=x': ${ENV_RULE}`,
      `invalid --env '1A=2': ${ENV_RULE}`,
      `invalid --env 'A': ${ENV_RULE}`,
      "invalid --chdir '': not a usable path",
      "invalid --stdin 'a\\nb': not a usable path",
      "invalid --stdout 'c\\u0000d': not a usable path",
      "invalid --stderr '': not a usable path",
    ]);
    assert.deepEqual(result, { ...DEFAULTS, env: ['GOOD=1'] });
  });

  test('problems accumulate across validators sharing one Problems', () => {
    const problems = new Problems();
    validateIdentity({ name: 'a b' }, problems);
    validateStart({ umask: 'x' }, problems);
    validateStop({ timeout: 'y' }, problems);
    validateSignal('NOPE', problems);
    assert.deepEqual(problems.list, [
      `invalid --name 'a b': ${NAME_RULE}`,
      `invalid --umask 'x': ${UMASK_RULE}`,
      `invalid --timeout 'y': ${TIMEOUT_RULE}`,
      "invalid --signal 'NOPE': use a signal name such as HUP or USR2",
    ]);
  });

  test('a long bad value is shortened in the message', () => {
    const { list } = run(validateStart, { umask: '1'.repeat(100) });
    assert.deepEqual(list, [`invalid --umask '${'1'.repeat(77)}...': ${UMASK_RULE}`]);
  });
});

describe('validateStop', () => {
  const valid = [
    [{}, defaultSchedule()],
    [{ timeout: '5' }, defaultSchedule(5)],
    [{ timeout: '0' }, defaultSchedule(0)],
    [{ timeout: '2.5' }, defaultSchedule(2.5)],
    // a duration like every other: a unit, or a bare number of seconds
    [{ timeout: '5s' }, defaultSchedule(5)],
    [{ timeout: '500ms' }, defaultSchedule(0.5)],
    [{ timeout: '1m' }, defaultSchedule(60)],
    [{ retry: '7' }, defaultSchedule(7)],
    [{ retry: 'TERM/5/KILL/2' }, parseSchedule('TERM/5/KILL/2')],
    [{ retry: '-INT/3/forever/KILL/1' }, parseSchedule('-INT/3/forever/KILL/1')],
  ];
  for (const [opts, expected] of valid) {
    test(`valid ${JSON.stringify(opts)}`, () => {
      const { result, list } = run(validateStop, opts);
      assert.deepEqual(list, []);
      assert.deepEqual(result, expected);
    });
  }
  const invalid = [
    [
      { timeout: '5', retry: 'TERM/5/KILL/2' },
      'give either --timeout or --retry, not both (--retry TERM/N/KILL/M says both)',
    ],
    [
      { timeout: 'x', retry: 'y' },
      [
        'give either --timeout or --retry, not both (--retry TERM/N/KILL/M says both)',
        "invalid --retry: 'y' is neither a number of seconds nor a schedule like TERM/10/KILL/5",
        `invalid --timeout 'x': ${TIMEOUT_RULE}`,
      ],
    ],
    [{ timeout: 'x' }, `invalid --timeout 'x': ${TIMEOUT_RULE}`],
    [{ timeout: '-1' }, `invalid --timeout '-1': ${TIMEOUT_RULE}`],
    [{ timeout: '' }, `invalid --timeout '': ${TIMEOUT_RULE}`],
    [{ timeout: '5x' }, `invalid --timeout '5x': ${TIMEOUT_RULE}`],
    [{ timeout: ' 5s' }, `invalid --timeout ' 5s': ${TIMEOUT_RULE}`],
    [{ timeout: '1e3' }, `invalid --timeout '1e3': ${TIMEOUT_RULE}`],
    [
      { retry: 'TERM' },
      "invalid --retry: 'TERM' is neither a number of seconds nor a schedule like TERM/10/KILL/5",
    ],
    [{ retry: 'TERM/5/FOO/1' }, "invalid --retry: unknown signal 'FOO' in schedule 'TERM/5/FOO/1'"],
    [
      { retry: 'TERM/5/KILL' },
      "invalid --retry: schedule 'TERM/5/KILL' must end with a number of seconds to wait",
    ],
    [
      { retry: 'TERM/1/forever' },
      "invalid --retry: 'forever' is last in 'TERM/1/forever': nothing to repeat",
    ],
    [
      { retry: '' },
      "invalid --retry: '' is neither a number of seconds nor a schedule like TERM/10/KILL/5",
    ],
  ];
  for (const [opts, message] of invalid) {
    test(`invalid ${JSON.stringify(opts)}`, () => {
      const { result, list } = run(validateStop, opts);
      assert.deepEqual(list, Array.isArray(message) ? message : [message]);
      assert.deepEqual(result, defaultSchedule());
    });
  }
});

describe('validateSignal', () => {
  const valid = [
    [undefined, 'SIGHUP'],
    ['HUP', 'SIGHUP'],
    ['SIGHUP', 'SIGHUP'],
    ['-HUP', 'SIGHUP'],
    ['1', 'SIGHUP'],
    ['usr2', 'SIGUSR2'],
    ['USR1', 'SIGUSR1'],
    ['10', 'SIGUSR1'],
    ['TERM', 'SIGTERM'],
  ];
  for (const [input, expected] of valid) {
    test(`${JSON.stringify(input)} -> ${expected}`, () => {
      const { result, list } = run(validateSignal, input);
      assert.deepEqual(list, []);
      assert.equal(result, expected);
    });
  }
  const invalid = [
    ['0', '0'],
    ['-0', '-0'],
    ['NOPE', 'NOPE'],
    ['', ''],
    ['99', '99'],
    ['HUP\n', 'HUP\\n'],
  ];
  for (const [input, shown] of invalid) {
    test(`invalid ${JSON.stringify(input)}`, () => {
      const { result, list } = run(validateSignal, input);
      assert.deepEqual(list, [
        `invalid --signal '${shown}': use a signal name such as HUP or USR2`,
      ]);
      assert.equal(result, 'SIGHUP');
    });
  }
});

describe('parseLimit and --nice', () => {
  const valid = [
    ['nofile=1024', ['nofile', 1024, 1024]],
    ['nofile=1024:4096', ['nofile', 1024, 4096]],
    ['core=0', ['core', 0, 0]],
    ['stack=unlimited', ['stack', -1, -1]],
    ['nproc=10:infinity', ['nproc', 10, -1]],
  ];
  for (const [text, want] of valid) test(`${text}`, () => assert.deepEqual(parseLimit(text), want));
  const invalid = [
    ['nofile', 'use NAME=N or NAME=SOFT:HARD, e.g. nofile=65536 or core=0'],
    [
      'files=10',
      "unknown limit 'files': use one of nofile, core, nproc, memlock, stack, as, fsize, cpu",
    ],
    ['nofile=-1', 'limits are whole numbers or "unlimited"'],
    ['nofile=10:5', 'the soft limit is above the hard one'],
    ['nofile=unlimited:5', 'the soft limit is above the hard one'],
  ];
  for (const [text, why] of invalid)
    test(`${text} is refused`, () => assert.equal(parseLimit(text), why));
  test('every bad --limit and --nice is reported, naming it', () => {
    const { result, list } = run(validateStart, { limit: ['nofile=x', 'core=0'], nice: '20' });
    assert.deepEqual(result.limits, [['core', 0, 0]]);
    assert.deepEqual(list, [
      `invalid --limit 'nofile=x': limits are whole numbers or "unlimited"`,
      "invalid --nice '20': a nice value from -20 to 19",
    ]);
  });
  test('the same --limit name twice is refused, naming both (never a silent override)', () => {
    const { result, list } = run(validateStart, { limit: ['nofile=10', 'core=0', 'nofile=20'] });
    assert.deepEqual(result.limits, [
      ['nofile', 10, 10],
      ['core', 0, 0],
    ]);
    assert.deepEqual(list, [
      "invalid --limit 'nofile=20': nofile is already set by --limit 'nofile=10' (give each limit once)",
    ]);
  });
  test('every limit name once is fine (no more than the native side takes: MAX_LIMITS)', () => {
    const all = ['nofile', 'core', 'nproc', 'memlock', 'stack', 'as', 'fsize', 'cpu'].map(
      (n) => `${n}=unlimited`,
    );
    const { result, list } = run(validateStart, { limit: all });
    assert.deepEqual(list, []);
    assert.ok(
      result.limits.length <= MAX_LIMITS,
      `${result.limits.length} limit names, but native/limits.h takes ${MAX_LIMITS}`,
    );
  });
  test('--nice -20..19', () => {
    assert.equal(run(validateStart, { nice: '-20' }).result.nice, -20);
    assert.equal(run(validateStart, { nice: 19 }).result.nice, 19);
  });
});

describe('--max-restarts: 0 to 1000000, or infinity', () => {
  const RULE = 'a whole number from 0 to 1000000, or infinity (never give up)';
  const valid = [
    ['0', 0],
    ['10', 10],
    ['999999', 999999],
    ['1000000', 1000000],
    [1000000, 1000000],
    ['infinity', null],
    [Infinity, null],
  ];
  for (const [input, want] of valid) {
    test(`${typeof input} ${String(input)} -> ${want}`, () => {
      const { result, list } = run(validateStart, { maxRestarts: input });
      assert.deepEqual(list, []);
      assert.equal(result.restart.maxRestarts, want);
    });
  }
  for (const input of ['1000001', '-1', '1.5', 'Infinity', 'unlimited', '', ' 10', 1e7, -1]) {
    test(`invalid ${typeof input} ${JSON.stringify(input)}: the error says the limit`, () => {
      const { result, list } = run(validateStart, { maxRestarts: input });
      assert.deepEqual(list, [`invalid --max-restarts '${String(input)}': ${RULE}`]);
      assert.equal(result.restart.maxRestarts, 10);
    });
  }
  test('the limit is the one the policy exports', () => assert.equal(MAX_RESTARTS_LIMIT, 1000000));
});

describe('readiness options', () => {
  const table = [
    [{ ready: 'notify' }, { ready: { kind: 'notify' }, readyTimeoutMs: 60000 }, []],
    [
      { ready: 'tcp:8080' },
      { ready: { kind: 'tcp', host: 'localhost', port: 8080 }, readyTimeoutMs: 60000 },
      [],
    ],
    [
      { ready: 'tcp:10.0.0.1:80', readyTimeout: '5s' },
      { ready: { kind: 'tcp', host: '10.0.0.1', port: 80 }, readyTimeoutMs: 5000 },
      [],
    ],
    [
      { ready: 'tcp:[::1]:443' },
      { ready: { kind: 'tcp', host: '::1', port: 443 }, readyTimeoutMs: 60000 },
      [],
    ],
    [
      { ready: 'fd:3', readyTimeout: '90' },
      { ready: { kind: 'fd', fd: 3 }, readyTimeoutMs: 90000 },
      [],
    ],
    [
      { ready: 'fd:64' },
      { readyTimeoutMs: 60000 },
      ["invalid --ready 'fd:64': the fd must be 3 to 63 (0-2 are stdin, stdout, stderr)"],
    ],
    [
      { ready: 'tcp:0' },
      { readyTimeoutMs: 60000 },
      ["invalid --ready 'tcp:0': the port must be 1 to 65535"],
    ],
    [
      { ready: 'tcp:host:' },
      { readyTimeoutMs: 60000 },
      ["invalid --ready 'tcp:host:': use notify, tcp:[HOST:]PORT or fd:N"],
    ],
    [
      { ready: 'notify', readyTimeout: '0' },
      { ready: { kind: 'notify' }, readyTimeoutMs: 60000 },
      [
        "invalid --ready-timeout '0': a duration above 0 such as 30s or 2m (a bare number is seconds)",
      ],
    ],
    [{ readyTimeout: '5s' }, { readyTimeoutMs: 5000 }, ['--ready-timeout needs --ready']],
  ];
  for (const [opts, want, problems] of table) {
    test(JSON.stringify(opts), () => {
      const { result, list } = run(validateStart, opts);
      assert.deepEqual(list, problems);
      assert.deepEqual(
        { ready: result.ready, readyTimeoutMs: result.readyTimeoutMs },
        { ready: undefined, ...want },
      );
    });
  }
});

describe('validateLineCount (logs -n)', () => {
  const RULE = 'a whole number of lines, 0 to 999999999999999';
  for (const [value, result, problems] of [
    [undefined, 50, []],
    ['0', 0, []],
    ['10', 10, []],
    ['007', 7, []],
    ['1000000000', 1000000000, []], // past 9 digits (the old limit)
    ['999999999999999', 999999999999999, []],
    ['1000000000000000', 50, [`invalid --lines '1000000000000000': ${RULE}`]],
    ['-1', 50, [`invalid --lines '-1': ${RULE}`]],
    ['1.5', 50, [`invalid --lines '1.5': ${RULE}`]],
    ['', 50, [`invalid --lines '': ${RULE}`]],
    ['ten', 50, [`invalid --lines 'ten': ${RULE}`]],
  ]) {
    test(`${JSON.stringify(value)} → ${result}${problems.length ? ', refused' : ''}`, () => {
      const r = run(validateLineCount, value);
      assert.deepEqual([r.result, r.list], [result, problems]);
    });
  }
});
