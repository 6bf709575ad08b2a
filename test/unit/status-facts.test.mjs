// Unit tests of the facts status, list and the logs show (issue 21, points 3-7): which stderr lines
// a failed start shows (src/logs/tail.ts), the supervisor's own log lines
// (src/supervisor/log-events.ts),
// `status -v` and a failed start's report (src/format-details.ts), `list`'s table (src/format.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { errorTail, MAX, SHOWN } from '../../dist/logs/write/tail.js';
import { eventLine, eventLines, startedLine } from '../../dist/supervisor/log-events.js';
import { initialState } from '../../dist/supervisor/machine.js';
import { DEFAULT_POLICY } from '../../dist/config/restart-policy.js';
import {
  commandLine,
  describePolicy,
  failedStartReport,
  statusDetails,
} from '../../dist/service/format-details.js';
import { terminalSafe } from '../../dist/service/format.js';
import { listTable } from '../../dist/service/format.js';

const numbered = (n, from = 0) => Array.from({ length: n }, (_, i) => `line ${from + i}`);

// What node 20 prints for an uncaught EADDRINUSE and for a syntax error (copied from a real run).
const EADDRINUSE = `node:events:502
      throw er; // Unhandled 'error' event
      ^

Error: listen EADDRINUSE: address already in use :::3101
    at Server.setupListenHandle [as _listen2] (node:net:1908:16)
    at listenInCluster (node:net:1965:12)
    at Server.listen (node:net:2067:7)
    at Server.<anonymous> (/tmp/srv.js:2:58)
    at Object.onceWrapper (node:events:638:28)
    at Server.emit (node:events:524:28)
    at emitListeningNT (node:net:1951:10)
    at process.processTicksAndRejections (node:internal/process/task_queues:81:21)
Emitted 'error' event on Server instance at:
    at emitErrorNT (node:net:1944:8)
    at process.processTicksAndRejections (node:internal/process/task_queues:82:21) {
  code: 'EADDRINUSE',
  errno: -98,
  syscall: 'listen',
  address: '::',
  port: 3101
}

Node.js v20.20.2`.split('\n');
const SYNTAX = `/srv/app/syn.js:2
const b = ;
          ^

SyntaxError: Unexpected token ';'
    at wrapSafe (node:internal/modules/cjs/loader:1464:18)
    at Module._compile (node:internal/modules/cjs/loader:1495:20)

Node.js v20.20.2`.split('\n');
const deepStack = (frames) => [
  '/srv/app.js:9',
  '  throw new Error("deep")',
  '  ^',
  '',
  'Error: deep',
  ...Array.from({ length: frames }, (_, i) => `    at f${i} (/srv/app.js:${i}:1)`),
  '',
  'Node.js v20.20.2',
];

describe('errorTail: enough of the stderr tail to hold the error', () => {
  const cases = [
    ['nothing', [], []],
    ['a few lines: all of them', ['a', 'b'], ['a', 'b']],
    [
      'node\'s EADDRINUSE report (22 lines) after much else: all of it, its "Error: listen EADDRINUSE" line included',
      [...numbered(200), ...EADDRINUSE],
      [...numbered(SHOWN - EADDRINUSE.length, 200 - (SHOWN - EADDRINUSE.length)), ...EADDRINUSE],
    ],
    [
      'a syntax error: from its file:line and caret',
      [...numbered(100), ...SYNTAX],
      [...numbered(SHOWN - SYNTAX.length, 100 - (SHOWN - SYNTAX.length)), ...SYNTAX],
    ],
    ['no error anywhere: the last SHOWN lines', numbered(300), numbered(SHOWN, 300 - SHOWN)],
    [
      'an error report longer than SHOWN lines: from its location line (file:line)',
      [...numbered(50), ...deepStack(60)],
      deepStack(60),
    ],
    [
      'an error report starting more than MAX lines back: out of reach, the last SHOWN lines',
      deepStack(200),
      deepStack(200).slice(-SHOWN),
    ],
    [
      'an error starting just within MAX lines: from there (MAX lines)',
      deepStack(MAX - 8),
      deepStack(MAX - 8),
    ],
    [
      'the last error counts, not an earlier one',
      [...deepStack(60), ...numbered(10), 'TypeError: x is not a function', ...numbered(50, 10)],
      ['TypeError: x is not a function', ...numbered(50, 10)],
    ],
    [
      "python's Traceback, a Go panic",
      [
        ...numbered(60),
        'Traceback (most recent call last):',
        ...numbered(45, 60),
        'ValueError: bad',
      ],
      ['Traceback (most recent call last):', ...numbered(45, 60), 'ValueError: bad'].slice(-SHOWN),
    ],
    [
      'a Go panic beyond the window',
      [...numbered(60), 'panic: runtime error: index out of range', ...numbered(45, 60)],
      ['panic: runtime error: index out of range', ...numbered(45, 60)],
    ],
  ];
  for (const [title, lines, expected] of cases)
    test(title, () => assert.deepEqual(errorTail(lines), expected));
});

describe("eventLine: the supervisor's lines in the log", () => {
  const policy = { ...DEFAULT_POLICY, restart: 'on-failure', maxRestarts: 3 };
  const ctx = { policy, stopBy: 'daemonkit stop', ready: null };
  const running = { ...initialState(), phase: 'running', announced: true };
  const exit = (code, uptimeMs = 885, signal = null) => ({
    type: 'exited',
    exit: { code, signal, uptimeMs, byStop: false },
  });
  const cases = [
    [
      'an exit and its restart',
      running,
      exit(2),
      { ...running, phase: 'backoff', restarts: 1 },
      [{ type: 'set-timer', ms: 200 }],
      'daemonkit: exited with code 2 after 0.9s; restarting in 200ms',
    ],
    [
      'a restart in seconds',
      running,
      exit(null, 60_000, 'SIGKILL'),
      { ...running, phase: 'backoff' },
      [{ type: 'set-timer', ms: 1600 }],
      'daemonkit: killed by SIGKILL after 1m00s; restarting in 1.6s',
    ],
    [
      'a crash loop',
      running,
      exit(4, 30),
      {
        ...running,
        phase: 'failed',
        failure: 'crash loop: more than 3 restarts within 60s; last exited with code 4',
      },
      [{ type: 'finish' }],
      'daemonkit: exited with code 4 after 30ms; giving up: crash loop: more than 3 restarts within 60s',
    ],
    [
      'stopped by daemonkit stop',
      { ...running, phase: 'stopping' },
      { type: 'exited', exit: { code: null, signal: 'SIGTERM', uptimeMs: 5200, byStop: true } },
      { ...running, phase: 'stopped' },
      [{ type: 'finish' }],
      'daemonkit: stopped by daemonkit stop (killed by SIGTERM after 5.2s)',
    ],
    [
      'a stop begins',
      running,
      { type: 'stop' },
      { ...running, phase: 'stopping' },
      [{ type: 'stop-group' }],
      'daemonkit: stopping, asked by daemonkit stop',
    ],
    [
      'a stop during the wait to restart',
      { ...running, phase: 'backoff' },
      { type: 'stop' },
      { ...running, phase: 'stopped' },
      [{ type: 'cancel-timer' }, { type: 'finish' }],
      'daemonkit: stopped by daemonkit stop (while waiting to restart)',
    ],
    [
      'an exit the policy does not restart',
      running,
      exit(0, 3000),
      { ...running, phase: 'exited' },
      [{ type: 'finish' }],
      'daemonkit: exited with code 0 after 3.0s; not restarted (--restart on-failure)',
    ],
    [
      'a first start that failed',
      initialState(),
      exit(1, 93),
      { ...initialState(), phase: 'failed', failure: 'exited with code 1 within the grace period' },
      [{ type: 'announce-failed', reason: 'exited with code 1' }, { type: 'finish' }],
      'daemonkit: exited with code 1 after 93ms; the start failed',
    ],
    [
      'not ready: stopped',
      initialState(),
      { type: 'not-ready', reason: 'not ready within 1 s' },
      { ...initialState(), phase: 'stopping', failure: 'not ready within 1 s' },
      [{ type: 'stop-group' }],
      'daemonkit: not ready: not ready within 1 s; stopping it',
    ],
    [
      "the stop's schedule ran out",
      { ...running, phase: 'stopping' },
      { type: 'stop-ran-out' },
      running,
      [],
      "daemonkit: the stop's schedule ran out; the COMMAND goes on running",
    ],
    [
      'started (no --ready): the start line said it',
      { ...running, phase: 'starting' },
      { type: 'started' },
      running,
      [],
      null,
    ],
    ['nothing changed: no line', running, { type: 'timer' }, running, [], null],
  ];
  for (const [title, before, event, after, effects, expected] of cases) {
    test(title, () => assert.equal(eventLine(before, event, after, effects, ctx), expected));
  }
  test('ready, with --ready', () => {
    assert.equal(
      eventLine({ ...running, phase: 'starting' }, { type: 'started' }, running, [], {
        ...ctx,
        ready: 'tcp:3000',
      }),
      'daemonkit: ready (--ready tcp:3000)',
    );
  });
  test('a restart that cannot be started: why, then its exit (code 127) as any other', () => {
    const starting = { ...running, phase: 'starting', restarts: 1 };
    const event = { type: 'spawn-failed', reason: 'cannot execute /gone: no such file' };
    assert.deepEqual(
      eventLines(
        starting,
        event,
        { ...starting, phase: 'backoff', restarts: 2 },
        [{ type: 'set-timer', ms: 200 }],
        ctx,
      ),
      [
        'daemonkit: cannot execute /gone: no such file',
        'daemonkit: exited with code 127 after 0ms; restarting in 200ms',
      ],
    );
  });
  test("a first COMMAND that cannot be started: no line (the launcher's to tell)", () => {
    const event = { type: 'spawn-failed', reason: 'cannot execute /gone: no such file' };
    const failed = { ...initialState(), phase: 'failed', failure: event.reason };
    assert.deepEqual(eventLines(initialState(), event, failed, [], ctx), []);
  });
  test('the launcher already announced the start: no line', () => {
    const after = { ...running };
    assert.deepEqual(eventLines(initialState(), { type: 'announced' }, after, [], ctx), []);
  });
  test('started lines: the first, then numbered restarts; the COMMAND as a shell reads it', () => {
    assert.equal(
      startedLine(['/usr/bin/node', 'server.js'], 42, 0),
      'daemonkit: started /usr/bin/node server.js, pid 42',
    );
    assert.equal(
      startedLine(['/bin/sh', '-c', "echo 'hi'; exit 2"], 43, 3),
      `daemonkit: restart 3: started /bin/sh -c 'echo '\\''hi'\\''; exit 2', pid 43`,
    );
  });
});

describe('format-details', () => {
  test('terminalSafe (what the details use): control characters (ESC, newline, tab) as escapes', () => {
    assert.equal(terminalSafe('a\x1b[31mb\nc\td\x7f'), 'a\\x1b[31mb\\nc\\td\\x7f');
  });
  test('commandLine', () =>
    assert.equal(
      commandLine(['/usr/bin/node', 'a b.js', '--x=1']),
      "/usr/bin/node 'a b.js' --x=1",
    ));
  test('describePolicy', () => {
    assert.equal(describePolicy(DEFAULT_POLICY), 'no');
    assert.equal(
      describePolicy({ ...DEFAULT_POLICY, restart: 'always' }),
      'always (delay 100ms, doubling up to 30s, back to 100ms after 10s up; gives up after 10 restarts within 1m00s)',
    );
    assert.equal(
      // --max-restarts infinity
      describePolicy({ ...DEFAULT_POLICY, restart: 'always', maxRestarts: null }),
      'always (delay 100ms, doubling up to 30s, back to 100ms after 10s up; never gives up)',
    );
  });
  test('failedStartReport: each line marked with the name, then where the whole log is', () => {
    assert.deepEqual(
      failedStartReport(
        'web2',
        '--name web2',
        ['Error: listen EADDRINUSE', '\x1b[2J'],
        '/run/daemonkit/web2/web2.log',
      ),
      [
        'web2 | Error: listen EADDRINUSE',
        'web2 | \\x1b[2J',
        'see: daemonkit logs --name web2 (/run/daemonkit/web2/web2.log)',
      ],
    );
    assert.deepEqual(failedStartReport('/run/a.pid', '--pidfile /run/a.pid', [], '/dev/null'), [
      'see: daemonkit logs --pidfile /run/a.pid',
    ]);
  });
  const base = {
    name: 'web',
    code: 0,
    state: 'backoff',
    running: true,
    pid: 1,
    childPid: null,
    uptimeMs: null,
    serviceUptimeMs: 5000,
    rssBytes: null,
    cpuMs: null,
    processes: null,
    lastExit: null,
    restarts: 1,
    exits: [],
    pidfile: '/run/daemonkit/web/pid',
    reason: null,
    logError: null,
    logLost: null,
    statusText: null,
    command: ['/usr/bin/node', 'server.js'],
    cwd: '/srv/web',
    user: 'www-data',
    restartPolicy: { ...DEFAULT_POLICY, restart: 'on-failure' },
    logFiles: { stdout: '/run/daemonkit/web/web.log', stderr: '/run/daemonkit/web/web.log' },
    nextRestartAt: 10_000,
    orphan: null,
  };
  test('statusDetails: COMMAND, cwd, user, policy, next restart, log, pidfile', () => {
    assert.deepEqual(statusDetails(base, 8_800), [
      '  command: /usr/bin/node server.js',
      '  cwd: /srv/web',
      '  user: www-data',
      '  restart: on-failure (delay 100ms, doubling up to 30s, back to 100ms after 10s up; gives up after 10 restarts within 1m00s)',
      '  next restart: in 1.2s, at 1970-01-01T00:00:10.000Z',
      '  log: /run/daemonkit/web/web.log',
      '  pidfile: /run/daemonkit/web/pid',
    ]);
  });
  test("statusDetails: separate stdout and stderr logs; under `run`, the supervisor's own", () => {
    const lines = statusDetails({
      ...base,
      nextRestartAt: null,
      logFiles: { stdout: '/l/out.log', stderr: null },
    });
    assert.ok(
      lines.includes('  stdout log: /l/out.log') &&
        lines.includes("  stderr log: the supervisor's own"),
      lines.join('\n'),
    );
  });
});

describe('listTable', () => {
  const row = (o) => ({
    name: 'web',
    state: 'running',
    pid: 10,
    childPid: 11,
    uptimeMs: 900,
    restarts: 0,
    rssBytes: 2048,
    cpuMs: 120,
    orphan: null,
    ...o,
  });
  test("the COMMAND's pid beside the supervisor's; an orphan as orphaned, with its own figures", () => {
    assert.equal(
      listTable([
        row({}),
        row({
          name: 'api',
          state: 'dead',
          pid: null,
          childPid: 77,
          orphan: { pgid: 77, pids: [77, 78] },
        }),
      ]),
      [
        'NAME  STATE     PID  CMD PID  UPTIME  RESTARTS  MEMORY   CPU',
        'web   running   10   11       0.9s    0         2.0 KiB  0.12s',
        'api   orphaned  -    77       0.9s    0         2.0 KiB  0.12s',
      ].join('\n'),
    );
  });
});
