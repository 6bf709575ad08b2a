/** The rows of stopping, and of the commands that only look (status, logs, top, …). */
import { count, duration, flag, path, schedule, signal } from './kinds.js';
import { STOP, type OptionRow } from './row.js';

export const STOP_ROWS: readonly OptionRow[] = [
  {
    name: 'timeout',
    commands: STOP,
    kind: duration({
      exact: true,
      why: 'a duration such as 10s, 500ms or 1m (a bare number is seconds)',
    }),
    default: '10',
    help: 'shorthand for --retry TERM/SECONDS/KILL/5: seconds, or with a unit (2s)',
    systemd: 'KillSignal=SIGTERM, TimeoutStopSec=, then SIGKILL',
    doc: ['stop'],
  },
  {
    name: 'retry',
    commands: STOP,
    kind: schedule(),
    default: 'TERM/10/KILL/5',
    help: "the stop schedule: signals and waits (start-stop-daemon's)",
    systemd:
      'KillSignal= (its first signal), TimeoutStopSec= (the wait after it), FinalKillSignal= (its second signal; none: SendSIGKILL=no)',
    doc: ['stop'],
  },
];

export const OTHER_ROWS: readonly OptionRow[] = [
  {
    name: 'rolling',
    commands: ['restart'],
    kind: flag(),
    help: 'start the new COMMAND beside the old one, and stop the old one once the new one is ready',
    doc: ['restart'],
  },
  {
    name: 'update-env',
    commands: ['restart'],
    kind: flag(),
    help: "take the caller's environment instead of the one recorded at start",
    doc: ['restart'],
  },
  {
    name: 'foreground',
    commands: ['up'],
    kind: flag(),
    help: "run the whole project here, in the foreground (a container's entry point), as `run -f FILE`",
    doc: ['up'],
  },
  {
    name: 'json',
    commands: ['status', 'list'],
    kind: flag(),
    help: 'print JSON',
    doc: ['status', 'list'],
  },
  {
    name: 'verbose',
    short: 'v',
    commands: ['status'],
    kind: flag(),
    help: 'add how it runs (COMMAND, cwd, user, policy, logs), the pidfile path and the exit history',
    doc: ['status'],
  },
  {
    name: 'signal',
    commands: ['reload'],
    kind: signal('use a signal name such as HUP or USR2'),
    default: 'HUP',
    help: 'the signal to send the COMMAND',
    doc: ['reload'],
  },
  {
    name: 'lines',
    short: 'n',
    shortOn: 'logs',
    commands: ['logs'],
    kind: count({
      min: 0,
      max: 999_999_999_999_999,
      digits: 15,
      why: 'a whole number of lines, 0 to 999999999999999',
    }),
    default: '50',
    help: 'how many lines to print first',
    doc: ['Logs'],
  },
  {
    name: 'follow',
    short: 'f',
    shortOn: 'logs',
    commands: ['logs'],
    kind: flag(),
    help: 'then follow the log, as tail -F, until Ctrl-C',
    doc: ['Logs'],
  },
  {
    name: 'no-color',
    commands: ['status', 'list', 'logs', 'top'],
    kind: flag(),
    help: 'no colour, even on a terminal (as NO_COLOR=1 does)',
    doc: ['status', 'list', 'Logs', 'top'],
  },
  {
    name: 'interval',
    commands: ['top'],
    kind: duration({
      min: 100,
      max: 3_600_000,
      why: 'a duration from 100ms to 1h, such as 500ms or 2s (a bare number is seconds)',
    }),
    default: '1s',
    help: 'how often to refresh: 100ms to 1h (a bare number is seconds)',
    doc: ['top'],
  },
  {
    name: 'output',
    commands: ['export'],
    kind: path('DIR'),
    help: 'write NAME.service (and with --listen its .socket units) in DIR instead of printing it',
    systemd: 'the files NAME.service (and the socket units) in DIR, not stdout',
    doc: ['export systemd'],
  },
  {
    name: 'install',
    commands: ['export'],
    kind: flag(),
    help: 'with -f FILE: write the units into /etc/systemd/system (a bare --user: ~/.config/systemd/user)',
    systemd: 'the files in /etc/systemd/system or ~/.config/systemd/user, not stdout',
    doc: ['export systemd'],
  },
];
