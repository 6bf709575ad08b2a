/** Command-line parsing (pure): flags per command, `--` then the COMMAND. */

export const COMMANDS = ['start', 'stop', 'restart', 'status', 'reload', 'run', 'list', 'export', 'reopen', 'logs', 'rm'] as const;
export type CommandName = (typeof COMMANDS)[number];

interface FlagSpec {
  takesValue: boolean;
  repeatable?: boolean;
  commands: readonly CommandName[] | 'all';
}

const START: CommandName[] = ['start', 'run', 'restart', 'export'];
const SERVICE: CommandName[] = ['start', 'stop', 'restart', 'status', 'reload', 'run', 'export', 'reopen', 'logs', 'rm'];
const STOP: CommandName[] = ['stop', 'restart', 'export'];

export const FLAGS: Record<string, FlagSpec> = {
  name: { takesValue: true, commands: SERVICE },
  pidfile: { takesValue: true, commands: SERVICE },
  quiet: { takesValue: false, commands: 'all' },
  chdir: { takesValue: true, commands: START },
  umask: { takesValue: true, commands: START },
  stdin: { takesValue: true, commands: START },
  stdout: { takesValue: true, commands: START },
  stderr: { takesValue: true, commands: START },
  env: { takesValue: true, repeatable: true, commands: START },
  grace: { takesValue: true, commands: START },
  restart: { takesValue: true, commands: START },
  limit: { takesValue: true, repeatable: true, commands: START },
  nice: { takesValue: true, commands: START },
  'env-file': { takesValue: true, commands: START },
  'clear-env': { takesValue: false, commands: START },
  'restart-delay': { takesValue: true, commands: START },
  'restart-max-delay': { takesValue: true, commands: START },
  'min-uptime': { takesValue: true, commands: START },
  'max-restarts': { takesValue: true, commands: START },
  'restart-window': { takesValue: true, commands: START },
  ready: { takesValue: true, commands: START },
  'ready-timeout': { takesValue: true, commands: START },
  'log-timestamps': { takesValue: false, commands: START },
  'log-max-size': { takesValue: true, commands: START },
  'log-keep': { takesValue: true, commands: START },
  'log-compress': { takesValue: false, commands: START },
  timeout: { takesValue: true, commands: STOP },
  retry: { takesValue: true, commands: STOP },
  // restart: the COMMAND's environment from the caller, not the one recorded at start.
  'update-env': { takesValue: false, commands: ['restart'] },
  json: { takesValue: false, commands: ['status', 'list'] },
  verbose: { takesValue: false, commands: ['status'] },
  signal: { takesValue: true, commands: ['reload'] },
  lines: { takesValue: true, commands: ['logs'] },
  follow: { takesValue: false, commands: ['logs'] },
  // In `export`, a bare --user (followed by --, another option or nothing) asks for a user unit
  // (flags['user-unit']); --user NAME and --user=NAME are the COMMAND's user there too.
  user: { takesValue: true, commands: START },
  group: { takesValue: true, commands: START },
};

const SHORT: Readonly<Record<string, string>> = { q: 'quiet', v: 'verbose', n: 'name', p: 'pidfile' };
/** `logs -n N -f`, as tail has it: there -n is the line count, not the name. */
const LOGS_SHORT: Readonly<Record<string, string>> = { ...SHORT, n: 'lines', f: 'follow' };

export interface ParsedArgs {
  command: CommandName;
  flags: Record<string, string[]>;
  /** The COMMAND after `--`, or null when there was no `--`. */
  rest: string[] | null;
}

/** Parse argv (without node and script). Returns the problems found instead of throwing. */
export function parseArgs(argv: readonly string[]): { args?: ParsedArgs; problems: string[] } {
  const problems: string[] = [];
  const [given, ...tail] = argv;
  const command = given === 'ls' ? 'list' : given; // the alias
  if (!command) return { problems: [`missing command: one of ${COMMANDS.join(', ')}`] };
  if (!(COMMANDS as readonly string[]).includes(command)) return { problems: [`unknown command '${command}': use one of ${COMMANDS.join(', ')}`] };
  const cmd = command as CommandName;
  const flags: Record<string, string[]> = {};
  let rest: string[] | null = null;
  if (cmd === 'export') {
    // `export FORMAT …`: systemd is the one format there is.
    if (tail[0] !== 'systemd') return { problems: [`'export' needs a format: daemonkit export systemd [options] -- COMMAND`] };
    tail.shift();
  }
  const dashes = tail.indexOf('--');
  const commandGiven = dashes >= 0 && dashes < tail.length - 1;
  let positional = false;
  for (let i = 0; i < tail.length; i++) {
    const arg = tail[i]!;
    if (arg === '--') {
      rest = tail.slice(i + 1);
      break;
    }
    let name: string;
    let value: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      if (eq >= 0) value = arg.slice(eq + 1);
    } else if (/^-[A-Za-z]$/.test(arg) && Object.hasOwn(cmd === 'logs' ? LOGS_SHORT : SHORT, arg[1]!)) {
      name = (cmd === 'logs' ? LOGS_SHORT : SHORT)[arg[1]!]!;
    } else if (!positional && !arg.startsWith('-') && takesPositionalName(cmd, commandGiven)) {
      positional = true; // `daemonkit status web`: the name, as --name web
      name = 'name';
      value = arg;
    } else {
      problems.push(unexpected(arg, cmd, commandGiven));
      continue;
    }
    const spec = Object.hasOwn(FLAGS, name) ? FLAGS[name] : negatedFlag(name);
    if (!spec) {
      problems.push(`unknown option --${name}`);
      continue;
    }
    if (spec.commands !== 'all' && !spec.commands.includes(cmd)) {
      problems.push(`option --${name} does not apply to '${cmd}'`);
      if (spec.takesValue && value === undefined && i + 1 < tail.length && tail[i + 1] !== '--') i++;
      continue;
    }
    if (name === 'user' && cmd === 'export' && value === undefined && (i + 1 >= tail.length || tail[i + 1]!.startsWith('-'))) {
      (flags['user-unit'] ??= []).push('');
      continue;
    }
    if (spec.takesValue && value === undefined) {
      if (i + 1 >= tail.length || tail[i + 1] === '--') {
        problems.push(`option --${name} needs a value`);
        continue;
      }
      value = tail[++i]!;
    }
    if (!spec.takesValue && value !== undefined) {
      problems.push(`option --${name} takes no value`);
      continue;
    }
    const list = (flags[name] ??= []);
    if (list.length > 0 && !spec.repeatable) {
      problems.push(`option --${name} given more than once`);
      continue;
    }
    list.push(value ?? '');
  }
  return { args: { command: cmd, flags, rest }, problems };
}

/**
 * The service's name as a word (`daemonkit status web`): only where it cannot be a piece of a
 * COMMAND — for commands that take none, and for `restart` given none.
 */
function takesPositionalName(cmd: CommandName, commandGiven: boolean): boolean {
  return SERVICE.includes(cmd) && !['start', 'run', 'export'].includes(cmd) && !(cmd === 'restart' && commandGiven);
}

function unexpected(arg: string, cmd: CommandName, commandGiven: boolean): string {
  if (commandGiven && !arg.startsWith('-') && SERVICE.includes(cmd)) {
    return `unexpected argument '${arg}': with a COMMAND, name the service with --name (daemonkit ${cmd} --name NAME -- COMMAND)`;
  }
  return `unexpected argument '${arg}'${START.includes(cmd) ? ' (put the COMMAND after --)' : ''}`;
}

/**
 * `--no-X` for a start option X, on `restart` only: X goes back to its default instead of keeping
 * the value recorded at the last start (`--no-log-timestamps`, `--no-ready`, `--no-env`).
 */
function negatedFlag(name: string): FlagSpec | undefined {
  const base = name.startsWith('no-') && Object.hasOwn(FLAGS, name.slice(3)) ? FLAGS[name.slice(3)] : undefined;
  const startOption = base !== undefined && base.commands !== 'all' && base.commands.includes('start') && !base.commands.includes('stop');
  return startOption ? { takesValue: false, commands: ['restart'] } : undefined;
}
