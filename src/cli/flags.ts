/**
 * The command line's options, once: which commands take each, whether it takes a value, and
 * what `COMMAND --help` says of it (its value's name, default and one line of help). The parser
 * (args.ts) and the help (help.ts) read this table; tests check docs/cli.md against it.
 * (The seed of issue 15's one option table: validation, spec.json and the systemd export are
 * still written out in their own modules.)
 */
export const COMMANDS = [
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
] as const;
export type CommandName = (typeof COMMANDS)[number];

export interface FlagSpec {
  takesValue: boolean;
  repeatable?: boolean;
  commands: readonly CommandName[] | 'all';
  /** The value's name in the help: `--chdir DIR`. */
  value?: string;
  /** One line for `--help`. */
  help: string;
  /** The default as a value the option takes (a test checks that giving it changes nothing). */
  default?: string;
  /** A default that is no single value (depends on the command or another option), in words. */
  defaultText?: string;
  /** Another option it is only valid with (said in the help). */
  needs?: string;
}

const START: CommandName[] = ['start', 'run', 'restart', 'export'];
export const SERVICE: CommandName[] = [
  'start',
  'stop',
  'restart',
  'status',
  'reload',
  'run',
  'export',
  'reopen',
  'logs',
  'rm',
];
const STOP: CommandName[] = ['stop', 'restart', 'export'];
/** The commands that take a services file (docs/cli.md#services-file). */
const FILE: CommandName[] = [
  'up',
  'down',
  'status',
  'stop',
  'restart',
  'reload',
  'reopen',
  'logs',
  'rm',
];

export const FLAGS: Record<string, FlagSpec> = {
  name: {
    takesValue: true,
    commands: SERVICE,
    value: 'NAME',
    help: "the service's name: its files live in $DAEMONKIT_HOME/NAME/",
  },
  pidfile: {
    takesValue: true,
    commands: SERVICE,
    value: 'PATH',
    help: 'the pidfile (instead of $DAEMONKIT_HOME/NAME/pid); alone, it names the service',
  },
  file: {
    takesValue: true,
    commands: FILE,
    value: 'FILE',
    defaultText: 'daemonkit.toml in the current directory',
    help: 'the services file: its services by their names in it (status -f FILE alone: all of them)',
  },
  quiet: {
    takesValue: false,
    commands: 'all',
    help: 'print nothing on success (errors still go to stderr)',
  },
  chdir: {
    takesValue: true,
    commands: START,
    value: 'DIR',
    defaultText: '/; run: the current directory',
    help: "the COMMAND's working directory",
  },
  umask: {
    takesValue: true,
    commands: START,
    value: 'OCTAL',
    default: '022',
    help: "the COMMAND's umask",
  },
  stdin: {
    takesValue: true,
    commands: START,
    value: 'FILE',
    default: '/dev/null',
    help: "the COMMAND's standard input",
  },
  stdout: {
    takesValue: true,
    commands: START,
    value: 'FILE',
    defaultText: '$DAEMONKIT_HOME/NAME/NAME.log; run: its own stdout',
    help: "the log file for the COMMAND's stdout (appended to)",
  },
  stderr: {
    takesValue: true,
    commands: START,
    value: 'FILE',
    defaultText: 'the stdout file; run: its own stderr',
    help: "the log file for the COMMAND's stderr",
  },
  'log-timestamps': {
    takesValue: false,
    commands: START,
    defaultText: 'off',
    help: 'prefix each log line with an ISO-8601 UTC timestamp',
  },
  'log-max-size': {
    takesValue: true,
    commands: START,
    value: 'SIZE',
    defaultText: 'none',
    help: 'rotate the log file at this size: 10M, 256K, 1G (at least 4K)',
  },
  'log-keep': {
    takesValue: true,
    commands: START,
    value: 'N',
    default: '5',
    needs: 'log-max-size',
    help: 'rotated files to keep, 0 to 9999',
  },
  'log-compress': {
    takesValue: false,
    commands: START,
    defaultText: 'off',
    needs: 'log-max-size',
    help: 'gzip rotated files',
  },
  env: {
    takesValue: true,
    repeatable: true,
    commands: START,
    value: 'KEY=VALUE',
    help: 'set a variable for the COMMAND; repeatable',
  },
  'env-file': {
    takesValue: true,
    commands: START,
    value: 'FILE',
    help: 'variables from a dotenv file, read at every start; --env wins',
  },
  'clear-env': {
    takesValue: false,
    commands: START,
    help: 'start from an empty environment (PATH, --env-file and --env only)',
  },
  grace: {
    takesValue: true,
    commands: START,
    value: 'MS',
    default: '500',
    help: 'how long the COMMAND must stay up for the start to count: ms, or with a unit (2s)',
  },
  ready: {
    takesValue: true,
    commands: START,
    value: 'MODE',
    help: 'the start counts once the COMMAND is ready: notify, tcp:[HOST:]PORT or fd:N',
  },
  'ready-timeout': {
    takesValue: true,
    commands: START,
    value: 'DURATION',
    default: '60s',
    needs: 'ready',
    help: 'not ready by then: the start fails',
  },
  limit: {
    takesValue: true,
    repeatable: true,
    commands: START,
    value: 'NAME=N',
    help: 'a resource limit (NAME=SOFT:HARD, unlimited): nofile, core, nproc, memlock, stack, as, fsize, cpu; each name once',
  },
  nice: {
    takesValue: true,
    commands: START,
    value: 'N',
    help: "the COMMAND's nice value, -20 to 19 (below the current one needs root)",
  },
  user: {
    takesValue: true,
    commands: START,
    value: 'USER[:GROUP]',
    help: 'run the COMMAND as this user, with its groups (needs root); export: a bare --user makes a user unit',
  },
  group: {
    takesValue: true,
    commands: START,
    value: 'GROUP',
    defaultText: "the user's primary group",
    needs: 'user',
    help: "the COMMAND's group",
  },
  restart: {
    takesValue: true,
    commands: START,
    value: 'MODE',
    default: 'no',
    help: 'when the COMMAND ends: no, on-failure or always restart it',
  },
  'restart-delay': {
    takesValue: true,
    commands: START,
    value: 'DURATION',
    default: '100ms',
    help: 'the wait before the first restart; it doubles with each one',
  },
  'restart-max-delay': {
    takesValue: true,
    commands: START,
    value: 'DURATION',
    default: '30s',
    help: '... up to this',
  },
  'min-uptime': {
    takesValue: true,
    commands: START,
    value: 'DURATION',
    default: '10s',
    help: 'a run this long resets the delay to --restart-delay',
  },
  'max-restarts': {
    takesValue: true,
    commands: START,
    value: 'N',
    default: '10',
    help: 'more restarts within --restart-window: give up; 0 to 1000000, or infinity',
  },
  'restart-window': {
    takesValue: true,
    commands: START,
    value: 'DURATION',
    default: '60s',
    help: 'the window for --max-restarts',
  },
  timeout: {
    takesValue: true,
    commands: STOP,
    value: 'DURATION',
    default: '10',
    help: 'shorthand for --retry TERM/SECONDS/KILL/5: seconds, or with a unit (2s)',
  },
  retry: {
    takesValue: true,
    commands: STOP,
    value: 'SCHEDULE',
    default: 'TERM/10/KILL/5',
    help: "the stop schedule: signals and waits (start-stop-daemon's)",
  },
  'update-env': {
    takesValue: false,
    commands: ['restart'],
    help: "take the caller's environment instead of the one recorded at start",
  },
  json: { takesValue: false, commands: ['status', 'list'], help: 'print JSON' },
  verbose: {
    takesValue: false,
    commands: ['status'],
    help: 'add how it runs (COMMAND, cwd, user, policy, logs), the pidfile path and the exit history',
  },
  signal: {
    takesValue: true,
    commands: ['reload'],
    value: 'NAME',
    default: 'HUP',
    help: 'the signal to send the COMMAND',
  },
  lines: {
    takesValue: true,
    commands: ['logs'],
    value: 'N',
    default: '50',
    help: 'how many lines to print first',
  },
  follow: {
    takesValue: false,
    commands: ['logs'],
    help: 'then follow the log, as tail -F, until Ctrl-C',
  },
  'no-color': {
    takesValue: false,
    commands: ['status', 'list', 'logs', 'top'],
    help: 'no colour, even on a terminal (as NO_COLOR=1 does)',
  },
  interval: {
    takesValue: true,
    commands: ['top'],
    value: 'DURATION',
    default: '1s',
    help: 'how often to refresh: 100ms to 1h (a bare number is seconds)',
  },
};

export const SHORT: Readonly<Record<string, string>> = {
  q: 'quiet',
  v: 'verbose',
  n: 'name',
  p: 'pidfile',
  f: 'file',
};
/** `logs -n N -f`, as tail has it: there -n is the line count, not the name. */
export const LOGS_SHORT: Readonly<Record<string, string>> = { ...SHORT, n: 'lines', f: 'follow' };

/** The options `command` takes, in the table's order. */
export const flagsOf = (command: CommandName): string[] =>
  Object.keys(FLAGS).filter(
    (name) =>
      FLAGS[name]!.commands === 'all' ||
      (FLAGS[name]!.commands as readonly string[]).includes(command),
  );
