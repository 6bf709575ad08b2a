// systemd unit export (pure): quoting and the keys each option becomes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  quoteAssignment,
  quoteWord,
  specifierValue,
  SYSTEMD,
  systemdUnit,
  unitNotes,
} from '../../dist/export/systemd.js';
import { flagsOf } from '../../dist/cli/flags.js';
import { parseSchedule } from '../../dist/config/schedule.js';

describe('quoteWord', () => {
  for (const [word, want] of [
    ['/bin/sleep', '/bin/sleep'],
    ['a b', '"a b"'],
    ['$HOME', '$$HOME'],
    ['100%', '100%%'],
    ['say "hi"', '"say \\"hi\\""'],
    ['back\\slash', '"back\\\\slash"'],
    ['', '""'],
    ["it's", `"it's"`],
  ])
    test(`${JSON.stringify(word)} -> ${want}`, () => assert.equal(quoteWord(word), want));
});

// systemd.exec(5): Environment= is unquoted with C escapes, then specifiers are expanded; "$" has
// no special meaning there (it is not doubled, unlike on a command line).
describe('quoteAssignment (Environment=)', () => {
  for (const [key, value, want] of [
    ['PASS', 'a$b', 'PASS=a$b'],
    ['HOME_', '${HOME}', '"HOME_=${HOME}"'],
    ['P', '100%', 'P=100%%'],
    ['P', '%h', 'P=%%h'],
    ['A', 'x y', '"A=x y"'],
    ['Q', 'say "hi"', '"Q=say \\"hi\\""'],
    ['B', 'back\\slash', '"B=back\\\\slash"'],
    ['N', 'a\nb\tc\x01', '"N=a\\nb\\tc\\x01"'],
    ['E', '', 'E='],
    ['S', "it's", `"S=it's"`],
    ['EQ', 'a=b', 'EQ=a=b'],
  ])
    test(`${key}=${JSON.stringify(value)} -> ${want}`, () =>
      assert.equal(quoteAssignment(key, value), want));
});

// WorkingDirectory=, EnvironmentFile=, Standard*=, User=, Group=: the rest of the line, specifiers
// expanded, no quoting (a quote would be part of the path).
describe('specifierValue (paths, users)', () => {
  for (const [value, want] of [
    ['/srv/app', '/srv/app'],
    ['/srv/p %h', '/srv/p %%h'],
    ['/srv/a b', '/srv/a b'],
    ['/srv/$x', '/srv/$x'],
    ['/srv/"q"', '/srv/"q"'],
    ['/a\\b', '/a\\b'],
  ]) {
    test(`${JSON.stringify(value)} -> ${want}`, () =>
      assert.equal(specifierValue('--chdir', value), want));
  }
  for (const [value, why] of [
    ['/srv/a\nExecStartPre=/bin/evil', 'line break'],
    ['/srv/a\rb', 'line break'],
    ['/srv/a\\', 'backslash'],
    ['/srv/a ', 'white space'],
    ['/srv/a\t', 'white space'],
  ]) {
    test(`${JSON.stringify(value)}: refused (${why})`, () =>
      assert.throws(
        () => specifierValue('--chdir', value),
        (e) => {
          assert.equal(e.code, 'BAD_OPTION');
          assert.match(
            e.message,
            new RegExp(`^--chdir '.*' cannot be written in a systemd unit: .*${why}`),
          );
          assert.doesNotMatch(e.message, /[\n\r]/, 'one line: the value is shown escaped');
          return true;
        },
      ));
  }
});

describe('systemdUnit', () => {
  const spec = {
    command: ['/usr/bin/node', 'server.js', 'a b'],
    chdir: '/srv/app',
    umask: 0o027,
    stdin: '/dev/null',
    stdout: null,
    stderr: null,
    env: {},
    envOverrides: [],
    graceMs: 500,
  };
  test('defaults: Type=exec, no restart, KillMode=control-group, TERM then KILL after 10 s', () => {
    const unit = systemdUnit({
      name: 'app',
      spec,
      env: [],
      schedule: parseSchedule('TERM/10/KILL/5'),
      userUnit: false,
    });
    for (const line of [
      'Type=exec',
      'ExecStart=/usr/bin/node server.js "a b"',
      'WorkingDirectory=/srv/app',
      'UMask=0027',
      'Restart=no',
      'KillMode=control-group',
      'KillSignal=SIGTERM',
      'TimeoutStopSec=10s',
      'WantedBy=multi-user.target',
      'ExecReload=/bin/kill -HUP $MAINPID',
    ]) {
      assert.ok(unit.split('\n').includes(line), `missing ${line}:\n${unit}`);
    }
    assert.doesNotMatch(unit, /RestartSec|StartLimit|^User=|^Group=/m);
  });
  test('--ready notify: Type=notify, NotifyAccess=all, the ready timeout as TimeoutStartSec', () => {
    const unit = systemdUnit({
      name: 'app',
      spec: { ...spec, ready: { kind: 'notify' }, readyTimeoutMs: 90000 },
      env: [],
      schedule: parseSchedule('TERM/10/KILL/5'),
      userUnit: false,
    });
    assert.match(unit, /^Type=notify\nNotifyAccess=all\n/m);
    assert.match(unit, /^TimeoutStartSec=90$/m);
    assert.doesNotMatch(unit, /Type=exec/);
  });
  test('--ready tcp: Type=exec, with a comment saying systemd cannot wait for it', () => {
    const unit = systemdUnit({
      name: 'app',
      spec: { ...spec, ready: { kind: 'tcp', host: 'localhost', port: 80 }, readyTimeoutMs: 60000 },
      env: [],
      schedule: parseSchedule('TERM/10/KILL/5'),
      userUnit: false,
    });
    assert.match(unit, /^# --ready tcp:localhost:80 has no systemd equivalent/m);
    assert.match(unit, /^Type=exec$/m);
  });
  test('restart policy, limits, nice, env, files, user unit', () => {
    const unit = systemdUnit({
      name: 'app',
      userUnit: true,
      schedule: parseSchedule('INT/30/KILL/5'),
      env: [['A', 'x y']],
      spec: {
        ...spec,
        stdout: '/var/log/app.log',
        stderr: '/var/log/app.err',
        envFile: '/etc/app.env',
        limits: [
          ['nofile', 1024, 4096],
          ['core', 0, 0],
        ],
        nice: -5,
        restart: {
          restart: 'always',
          delayMs: 2500,
          maxDelayMs: 30000,
          minUptimeMs: 10000,
          maxRestarts: 10,
          windowMs: 60000,
        },
      },
    });
    for (const line of [
      'Restart=always',
      'RestartSec=2.5s',
      'StartLimitIntervalSec=60s',
      'StartLimitBurst=11',
      'LimitNOFILE=1024:4096',
      'LimitCORE=0',
      'Nice=-5',
      'Environment="A=x y"',
      'EnvironmentFile=/etc/app.env',
      'StandardOutput=append:/var/log/app.log',
      'StandardError=append:/var/log/app.err',
      'KillSignal=SIGINT',
      'TimeoutStopSec=30s',
      'WantedBy=default.target',
    ]) {
      assert.ok(unit.split('\n').includes(line), `missing ${line}:\n${unit}`);
    }
    assert.doesNotMatch(unit, /After=network.target/);
  });
  test('--max-restarts infinity: StartLimitIntervalSec=0 (systemd never stops restarting), no StartLimitBurst', () => {
    const unit = systemdUnit({
      name: 'app',
      spec: {
        ...spec,
        restart: {
          restart: 'always',
          delayMs: 100,
          maxDelayMs: 30000,
          minUptimeMs: 10000,
          maxRestarts: null,
          windowMs: 60000,
        },
      },
      env: [],
      schedule: parseSchedule('TERM/10/KILL/5'),
      userUnit: false,
    });
    assert.ok(unit.split('\n').includes('StartLimitIntervalSec=0'), unit);
    assert.doesNotMatch(unit, /StartLimitBurst|StartLimitIntervalSec=60/);
  });
  test('each directive written its own way: $ as it is in Environment=, doubled in ExecStart=; % doubled everywhere', () => {
    const unit = systemdUnit({
      name: 'app',
      spec: {
        ...spec,
        command: ['/bin/echo', '$HOME', '50%'],
        chdir: '/srv/p %h',
        stdin: '/in %i',
        stdout: '/log/o %n.log',
        stderr: '/log/e%%.log',
        envFile: '/etc/a %H.env',
      },
      env: [
        ['PASS', 'a$b'],
        ['PCT', '100%'],
        ['SP', 'a "b" c'],
      ],
      schedule: parseSchedule('TERM/10/KILL/5'),
      userUnit: false,
      user: 'svc%u',
      group: 'g%g',
    });
    const service = unit.split('\n[Service]\n')[1].split('\n\n')[0].split('\n');
    assert.deepEqual(
      service.filter((l) =>
        /^(ExecStart|User|Group|WorkingDirectory|Environment|EnvironmentFile|Standard\w+)=/.test(l),
      ),
      [
        'ExecStart=/bin/echo $$HOME 50%%',
        'User=svc%%u',
        'Group=g%%g',
        'WorkingDirectory=/srv/p %%h',
        'Environment=PASS=a$b',
        'Environment=PCT=100%%',
        'Environment="SP=a \\"b\\" c"',
        'EnvironmentFile=/etc/a %%H.env',
        'StandardInput=file:/in %%i',
        'StandardOutput=append:/log/o %%n.log',
        'StandardError=append:/log/e%%%%.log',
      ],
    );
  });
  test('a path no unit line can hold (a newline would start a directive of its own): BAD_OPTION, nothing written', () => {
    assert.throws(
      () =>
        systemdUnit({
          name: 'app',
          spec: { ...spec, chdir: '/srv/x\nExecStartPre=/bin/evil' },
          env: [],
          schedule: parseSchedule('TERM/10/KILL/5'),
          userUnit: false,
        }),
      (e) =>
        e.code === 'BAD_OPTION' &&
        /^--chdir '\/srv\/x\\nExecStartPre=\/bin\/evil' cannot be written/.test(e.message),
    );
  });
  test('--user and --group: User= and Group=, as given (systemd looks them up where the unit runs)', () => {
    const unit = systemdUnit({
      name: 'app',
      spec,
      env: [],
      schedule: parseSchedule('TERM/10/KILL/5'),
      userUnit: false,
      user: 'svc',
      group: '1234',
    }).split('\n');
    assert.ok(unit.includes('User=svc') && unit.includes('Group=1234'), unit.join('\n'));
    assert.ok(unit.indexOf('User=svc') < unit.indexOf('[Install]'));
    assert.ok(
      !systemdUnit({
        name: 'app',
        spec,
        env: [],
        schedule: parseSchedule('TERM/10/KILL/5'),
        userUnit: false,
        user: '0',
      }).includes('Group='),
    );
  });
});

// Issue 21.9: every option `export` takes is carried into the unit or said not to be, from ONE
// table keyed by the option; the doubling restart delay; the stop schedule's second signal.
describe('the systemd table: every option export takes, mapped or said to be lost', () => {
  const spec = {
    command: ['/usr/bin/node', '/srv/app/server.js'],
    chdir: '/srv/app',
    umask: 0o022,
    stdin: '/dev/null',
    stdout: null,
    stderr: null,
    env: {},
    envOverrides: [],
    graceMs: 500,
  };
  const policy = {
    restart: 'always',
    delayMs: 100,
    maxDelayMs: 30000,
    minUptimeMs: 10000,
    maxRestarts: 10,
    windowMs: 60000,
  };
  const unit = (over = {}, schedule = 'TERM/10/KILL/5', extra = {}) => {
    const u = {
      name: 'app',
      spec: { ...spec, ...over },
      env: [],
      schedule: parseSchedule(schedule),
      userUnit: false,
      ...extra,
    };
    return { lines: systemdUnit(u).split('\n'), notes: unitNotes(u) };
  };
  test('the table names exactly the options export takes, each with a directive or a reason it is lost', () => {
    assert.deepEqual(Object.keys(SYSTEMD).sort(), flagsOf('export').sort());
    for (const [name, m] of Object.entries(SYSTEMD))
      assert.ok(
        m.unit !== '' || m.lost || name === 'quiet',
        `--${name}: neither a directive nor a reason`,
      );
  });
  test('nothing to say of a plain unit', () => assert.deepEqual(unit().notes, []));
  test('--restart-max-delay: RestartSteps= as many as daemonkit doublings, RestartMaxDelaySec=; --min-uptime said lost', () => {
    const { lines, notes } = unit({ restart: policy });
    assert.ok(
      lines.includes('RestartSec=0.1s') &&
        lines.includes('RestartSteps=9') &&
        lines.includes('RestartMaxDelaySec=30s'),
      lines.join('\n'),
    );
    assert.deepEqual(
      notes.map((n) => n.split(' ')[0]),
      ['--min-uptime'],
    );
    // 1s doubling to 8s: 3 steps, as 1, 2, 4, 8.
    assert.ok(
      unit({ restart: { ...policy, delayMs: 1000, maxDelayMs: 8000 } }).lines.includes(
        'RestartSteps=3',
      ),
    );
    // No growth (no delay, or the delay is the maximum): neither, and nothing lost.
    for (const r of [
      { ...policy, delayMs: 0 },
      { ...policy, delayMs: 30000 },
    ]) {
      const u = unit({ restart: r });
      assert.ok(
        !u.lines.some((l) => /^RestartSteps=|^RestartMaxDelaySec=/.test(l)),
        u.lines.join('\n'),
      );
      assert.deepEqual(u.notes, []);
    }
  });
  test('log options: each named on its own line, with the reason where the output goes', () => {
    const logs = { timestamps: true, maxSize: 1 << 20, keep: 3, compress: true };
    const journal = unit({ logs }).notes;
    assert.deepEqual(
      journal.map((n) => n.split(' ')[0]),
      ['--log-timestamps', '--log-max-size', '--log-keep', '--log-compress'],
    );
    assert.match(
      journal[1],
      /^--log-max-size is not carried over: the journal rotates by its own limits/,
    );
    const file = unit({ logs, stdout: '/var/log/app.log', stderr: '/var/log/app.log' });
    assert.match(
      file.notes[1],
      /^--log-max-size is not carried over: systemd never rotates an append: file/,
    );
    // stderr with stdout: StandardError= inherits it (one file), not a second append: of it.
    assert.ok(
      file.lines.includes('StandardOutput=append:/var/log/app.log') &&
        !file.lines.some((l) => l.startsWith('StandardError=')),
      file.lines.join('\n'),
    );
  });
  test('--grace: said lost when not the default; --ready tcp and its timeout too', () => {
    assert.deepEqual(
      unit({ graceMs: 2000 }).notes.map((n) => n.split(' ')[0]),
      ['--grace'],
    );
    assert.deepEqual(unit({ graceMs: 0 }).notes, [], 'grace 0 is Type=exec exactly');
    const tcp = unit({
      ready: { kind: 'tcp', host: 'localhost', port: 80 },
      readyTimeoutMs: 5000,
      graceMs: 2000,
    }).notes;
    assert.deepEqual(
      tcp.map((n) => n.split(' ')[0]),
      ['--ready', '--ready-timeout'],
    );
    assert.deepEqual(unit({ ready: { kind: 'notify' }, readyTimeoutMs: 5000 }).notes, []);
  });
  test('stop schedules: the second signal is FinalKillSignal=, none is SendSIGKILL=no, more is said lost', () => {
    assert.ok(unit({}, 'INT/30/QUIT/5').lines.includes('FinalKillSignal=SIGQUIT'));
    const one = unit({}, 'TERM/20');
    assert.ok(
      one.lines.includes('SendSIGKILL=no') && one.lines.includes('TimeoutStopSec=20s'),
      one.lines.join('\n'),
    );
    assert.deepEqual(one.notes, []);
    const three = unit({}, 'TERM/5/INT/5/KILL/5');
    assert.deepEqual(three.notes, [
      '--retry is not carried over: systemd sends one signal, waits, and sends one more: TERM/5/INT/5/KILL/5 is cut to TERM/5/INT',
    ]);
    const forever = unit({}, 'TERM/5/forever/KILL/5');
    assert.ok(forever.lines.includes('TimeoutStopSec=5s'), 'never TimeoutStopSec=Infinitys');
    assert.equal(forever.notes.length, 1);
  });
  test('--pidfile: a unit has none, said so', () => {
    assert.deepEqual(
      unit({}, 'TERM/10/KILL/5', { pidfile: '/run/app.pid' }).notes.map((n) => n.split(' ')[0]),
      ['--pidfile'],
    );
  });
});

test("docs/cli.md's export systemd table names every option of the table", async () => {
  const { readFileSync } = await import('node:fs');
  const text = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8');
  const section = text.slice(
    text.indexOf('## export systemd\n'),
    text.indexOf('\n## ', text.indexOf('## export systemd\n') + 1),
  );
  const rows = section
    .split('\n')
    .filter((l) => l.startsWith('| `--'))
    .join('\n');
  for (const name of Object.keys(SYSTEMD).filter((n) => n !== 'quiet'))
    assert.match(rows, new RegExp(`\`--${name}[\` ]`), `--${name}`);
});
