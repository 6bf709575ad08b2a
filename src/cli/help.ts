/** `daemonkit COMMAND --help`: the command's usage and every option it takes, from the option
 *  table. */
import { COMMANDS, FLAGS, LOGS_SHORT, SHORT, flagsOf, type CommandName } from './flags.js';

export const ABOUT: Readonly<Record<CommandName, [usage: string, what: string]>> = {
  start: [
    'start [options] -- COMMAND [ARG...]',
    'Start COMMAND under a supervisor, as a daemon; returns once it has stayed up --grace ms (or is --ready).',
  ],
  stop: [
    'stop [options]',
    'Stop the service by its stop schedule, its whole process group; not running is success.',
  ],
  restart: [
    'restart [options] [-- COMMAND [ARG...]]',
    "Stop, then start; without a COMMAND, the one recorded at the last start. Options given change only themselves (--no-OPTION clears one); the environment is the one recorded (--update-env: the caller's).",
  ],
  status: [
    'status [options]',
    'Say whether the service runs (exit 0) and how it last ended (1 dead, 3 not running).',
  ],
  reload: ['reload [options]', 'Send SIGHUP (or --signal) to the COMMAND, verified first.'],
  run: [
    'run [options] -- COMMAND [ARG...]',
    "The supervisor in the foreground (systemd, Docker, Kubernetes): exits with the COMMAND's code.",
  ],
  list: [
    'list [options]                 (alias: ls)',
    'One row per service under $DAEMONKIT_HOME.',
  ],
  export: [
    'export systemd [options] [-- COMMAND [ARG...]]',
    'Print the same service as a systemd unit (a bare --user: a user unit); without a COMMAND, the service as recorded at its last start. What the unit cannot carry is said on stderr.',
  ],
  reopen: [
    'reopen [options]',
    "Make the supervisor close and reopen its log files (for logrotate's postrotate).",
  ],
  logs: ['logs [options]', "Print the last lines of the service's log; with -f, follow it."],
  rm: [
    'rm [options]',
    "Remove a stopped service's files (its directory under $DAEMONKIT_HOME); refused while it runs.",
  ],
  top: [
    'top [options]',
    'A live full-screen view of every service under $DAEMONKIT_HOME, on a terminal (keys: arrows or j/k, r restart, s stop/start, l log, q quit).',
  ],
  up: [
    'up [options] [SERVICE...]',
    'Bring the services of a services file (daemonkit.toml, or -f FILE) up: start what is not running in dependency order, restart what changed, stop what the file no longer has; returns once all are ready.',
  ],
  down: [
    'down [options] [SERVICE...]',
    "Stop the services of a services file in reverse dependency order (all of the project's without a SERVICE).",
  ],
  completion: [
    'completion bash|zsh|fish',
    'Print a completion script for the shell: commands, options, and service names for --name. Bash: source <(daemonkit completion bash)',
  ],
};

/** `-n, --name NAME`: the option as it is written, with its short alias for this command. */
function synopsis(command: CommandName, name: string): string {
  const shorts = command === 'logs' ? LOGS_SHORT : SHORT;
  const short = Object.keys(shorts).find((k) => shorts[k] === name);
  const value = FLAGS[name]!.value;
  return `${short ? `-${short}, ` : '    '}--${name}${value ? ` ${value}` : ''}`;
}

/** The help for `command` (or its alias), or null when there is no such command. */
export function commandHelp(given: string | undefined): string | null {
  const command = given === 'ls' ? 'list' : given;
  if (!command || !(COMMANDS as readonly string[]).includes(command)) return null;
  const cmd = command as CommandName;
  const [usage, what] = ABOUT[cmd];
  const rows = flagsOf(cmd).map((name) => {
    const f = FLAGS[name]!;
    const dflt = f.default ?? f.defaultText;
    return [
      synopsis(cmd, name),
      `${f.help}${f.needs ? `; needs --${f.needs}` : ''}${dflt !== undefined ? ` (default: ${dflt})` : ''}`,
    ] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return (
    `usage: daemonkit ${usage}\n\n${what}\n\noptions:\n${rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`).join('\n')}\n` +
    `  -h, --help${' '.repeat(Math.max(2, width - 10))}this help\n\nEvery option and exit code: docs/cli.md\n`
  );
}
