// systemd unit export (pure): quoting and the keys each option becomes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { quoteWord, systemdUnit } from '../../dist/export/systemd.js';
import { parseSchedule } from '../../dist/schedule.js';

describe('quoteWord', () => {
  for (const [word, want] of [
    ['/bin/sleep', '/bin/sleep'], ['a b', '"a b"'], ['$HOME', '$$HOME'], ['100%', '100%%'], ['say "hi"', '"say \\"hi\\""'],
    ['back\\slash', '"back\\\\slash"'], ['', '""'], ["it's", `"it's"`],
  ]) test(`${JSON.stringify(word)} -> ${want}`, () => assert.equal(quoteWord(word), want));
});

describe('systemdUnit', () => {
  const spec = { command: ['/usr/bin/node', 'server.js', 'a b'], chdir: '/srv/app', umask: 0o027, stdin: '/dev/null', stdout: null, stderr: null, env: {}, envOverrides: [], graceMs: 500 };
  test('defaults: Type=exec, no restart, KillMode=control-group, TERM then KILL after 10 s', () => {
    const unit = systemdUnit({ name: 'app', spec, env: [], schedule: parseSchedule('TERM/10/KILL/5'), userUnit: false });
    for (const line of ['Type=exec', 'ExecStart=/usr/bin/node server.js "a b"', 'WorkingDirectory=/srv/app', 'UMask=0027', 'Restart=no', 'KillMode=control-group', 'KillSignal=SIGTERM', 'TimeoutStopSec=10s', 'WantedBy=multi-user.target', 'ExecReload=/bin/kill -HUP $MAINPID']) {
      assert.ok(unit.split('\n').includes(line), `missing ${line}:\n${unit}`);
    }
    assert.doesNotMatch(unit, /RestartSec|StartLimit|^User=|^Group=/m);
  });
  test('--ready notify: Type=notify, NotifyAccess=all, the ready timeout as TimeoutStartSec', () => {
    const unit = systemdUnit({ name: 'app', spec: { ...spec, ready: { kind: 'notify' }, readyTimeoutMs: 90000 }, env: [], schedule: parseSchedule('TERM/10/KILL/5'), userUnit: false });
    assert.match(unit, /^Type=notify\nNotifyAccess=all\n/m);
    assert.match(unit, /^TimeoutStartSec=90$/m);
    assert.doesNotMatch(unit, /Type=exec/);
  });
  test('--ready tcp: Type=exec, with a comment saying systemd cannot wait for it', () => {
    const unit = systemdUnit({ name: 'app', spec: { ...spec, ready: { kind: 'tcp', host: 'localhost', port: 80 }, readyTimeoutMs: 60000 }, env: [], schedule: parseSchedule('TERM/10/KILL/5'), userUnit: false });
    assert.match(unit, /^# --ready tcp:localhost:80 has no systemd equivalent/m);
    assert.match(unit, /^Type=exec$/m);
  });
  test('restart policy, limits, nice, env, files, user unit', () => {
    const unit = systemdUnit({
      name: 'app', userUnit: true, schedule: parseSchedule('INT/30/KILL/5'), env: [['A', 'x y']],
      spec: { ...spec, stdout: '/var/log/app.log', stderr: '/var/log/app.err', envFile: '/etc/app.env', limits: [['nofile', 1024, 4096], ['core', 0, 0]], nice: -5,
        restart: { restart: 'always', delayMs: 2500, maxDelayMs: 30000, minUptimeMs: 10000, maxRestarts: 10, windowMs: 60000 } },
    });
    for (const line of ['Restart=always', 'RestartSec=2.5s', 'StartLimitIntervalSec=60s', 'StartLimitBurst=11', 'LimitNOFILE=1024:4096', 'LimitCORE=0', 'Nice=-5',
      'Environment="A=x y"', 'EnvironmentFile=/etc/app.env', 'StandardOutput=append:/var/log/app.log', 'StandardError=append:/var/log/app.err',
      'KillSignal=SIGINT', 'TimeoutStopSec=30s', 'WantedBy=default.target']) {
      assert.ok(unit.split('\n').includes(line), `missing ${line}:\n${unit}`);
    }
    assert.doesNotMatch(unit, /After=network.target/);
  });
  test('--max-restarts infinity: StartLimitIntervalSec=0 (systemd never stops restarting), no StartLimitBurst', () => {
    const unit = systemdUnit({ name: 'app', spec: { ...spec, restart: { restart: 'always', delayMs: 100, maxDelayMs: 30000, minUptimeMs: 10000, maxRestarts: null, windowMs: 60000 } }, env: [], schedule: parseSchedule('TERM/10/KILL/5'), userUnit: false });
    assert.ok(unit.split('\n').includes('StartLimitIntervalSec=0'), unit);
    assert.doesNotMatch(unit, /StartLimitBurst|StartLimitIntervalSec=60/);
  });
  test('--user and --group: User= and Group=, as given (systemd looks them up where the unit runs)', () => {
    const unit = systemdUnit({ name: 'app', spec, env: [], schedule: parseSchedule('TERM/10/KILL/5'), userUnit: false, user: 'svc', group: '1234' }).split('\n');
    assert.ok(unit.includes('User=svc') && unit.includes('Group=1234'), unit.join('\n'));
    assert.ok(unit.indexOf('User=svc') < unit.indexOf('[Install]'));
    assert.ok(!systemdUnit({ name: 'app', spec, env: [], schedule: parseSchedule('TERM/10/KILL/5'), userUnit: false, user: '0' }).includes('Group='));
  });
});
