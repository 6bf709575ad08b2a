/** Command-line parsing (pure): flags per command, `--` then the COMMAND. */

import {
  COMMANDS,
  FLAGS,
  LOGS_SHORT,
  SERVICE,
  SHORT,
  flagsOf,
  type CommandName,
  type FlagSpec,
} from './flags.js';
import { closest } from '../config/suggest.js';
import type { StartOptions } from '../config/options.js';
import { START_ROWS, optionKey } from '../config/table/index.js';

export { COMMANDS, FLAGS, type CommandName } from './flags.js';

const START: readonly CommandName[] = ['start', 'run', 'restart', 'export'];
export const SHELLS = ['bash', 'zsh', 'fish'] as const;

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
  if (!(COMMANDS as readonly string[]).includes(command))
    return { problems: [unknownCommand(command)] };
  const cmd = command as CommandName;
  const flags: Record<string, string[]> = {};
  let rest: string[] | null = null;
  if (cmd === 'export') {
    // `export FORMAT …`: systemd is the one format there is.
    if (tail[0] !== 'systemd')
      return {
        problems: [`'export' needs a format: daemonkit export systemd [options] -- COMMAND`],
      };
    tail.shift();
  }
  if (cmd === 'completion') {
    // `completion SHELL`: the script for that shell.
    if (!(SHELLS as readonly string[]).includes(tail[0] ?? '')) {
      const guess = tail[0] && !tail[0].startsWith('-') ? closest(tail[0], SHELLS) : null;
      return {
        problems: [
          `'completion' needs a shell: daemonkit completion bash|zsh|fish${guess ? ` (did you mean '${guess}'?)` : ''}`,
        ],
      };
    }
    flags.shell = [tail.shift()!];
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
    } else if (
      /^-[A-Za-z]$/.test(arg) &&
      Object.hasOwn(cmd === 'logs' ? LOGS_SHORT : SHORT, arg[1]!)
    ) {
      name = (cmd === 'logs' ? LOGS_SHORT : SHORT)[arg[1]!]!;
    } else if (
      (cmd === 'up' || cmd === 'down' || (cmd === 'logs' && positional)) &&
      !arg.startsWith('-')
    ) {
      // `up web worker`: services of the file, by name; `logs web worker`: the second name on
      (flags.service ??= []).push(arg);
      continue;
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
      // The closest option of this command (or --help): a typo's likely meaning.
      const guess = closest(name, [...flagsOf(cmd), 'help']);
      problems.push(`unknown option --${name}${guess ? `: did you mean --${guess}?` : ''}`);
      // Its value goes with it, as the option meant would have taken it (not a second problem).
      const next = tail[i + 1];
      if (
        guess &&
        FLAGS[guess]?.takesValue &&
        value === undefined &&
        next !== undefined &&
        next !== '--' &&
        !next.startsWith('-')
      )
        i++;
      continue;
    }
    if (spec.commands !== 'all' && !spec.commands.includes(cmd)) {
      problems.push(`option --${name} does not apply to '${cmd}'`);
      if (spec.takesValue && value === undefined && i + 1 < tail.length && tail[i + 1] !== '--')
        i++;
      continue;
    }
    if (
      name === 'user' &&
      cmd === 'export' &&
      value === undefined &&
      (i + 1 >= tail.length || tail[i + 1]!.startsWith('-'))
    ) {
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

/** Words of other tools (PM2's, mostly) for a command daemonkit names otherwise: suggestions
 *  only. */
const OTHER_WORDS: Readonly<Record<string, CommandName>> = {
  delete: 'rm',
  del: 'rm',
  remove: 'rm',
  ps: 'list',
  monit: 'top',
  describe: 'status',
  info: 'status',
  show: 'status',
};

/** "unknown command 'X': did you mean 'Y'?" — a typo's likely meaning, or another tool's word's. */
export function unknownCommand(given: string): string {
  const guess =
    (Object.hasOwn(OTHER_WORDS, given) ? OTHER_WORDS[given] : undefined) ??
    closest(given, [...COMMANDS, 'help']);
  return `unknown command '${given}': ${guess ? `did you mean '${guess}'?` : `use one of ${COMMANDS.join(', ')}`}`;
}

/**
 * The service's name as a word (`daemonkit status web`): only where it cannot be a piece of a
 * COMMAND — for commands that take none, and for `restart` and `export` given none.
 */
function takesPositionalName(cmd: CommandName, commandGiven: boolean): boolean {
  return (
    SERVICE.includes(cmd) &&
    !['start', 'run'].includes(cmd) &&
    !((cmd === 'restart' || cmd === 'export') && commandGiven)
  );
}

function unexpected(arg: string, cmd: CommandName, commandGiven: boolean): string {
  if (commandGiven && !arg.startsWith('-') && SERVICE.includes(cmd)) {
    return `unexpected argument '${arg}': with a COMMAND, name the service with --name (daemonkit ${cmd === 'export' ? 'export systemd' : cmd} --name NAME -- COMMAND)`;
  }
  return `unexpected argument '${arg}'${START.includes(cmd) ? ' (put the COMMAND after --)' : ''}`;
}

/**
 * `--no-X` for a start option X, on `restart` only: X goes back to its default instead of keeping
 * the value recorded at the last start (`--no-log-timestamps`, `--no-ready`, `--no-env`).
 */
function negatedFlag(name: string): FlagSpec | undefined {
  const base =
    name.startsWith('no-') && Object.hasOwn(FLAGS, name.slice(3))
      ? FLAGS[name.slice(3)]
      : undefined;
  const startOption =
    base !== undefined &&
    base.commands !== 'all' &&
    base.commands.includes('start') &&
    !base.commands.includes('stop');
  return startOption
    ? {
        takesValue: false,
        commands: ['restart'],
        help: `clear --${name.slice(3)}: back to its default`,
      }
    : undefined;
}

/** The start options given (StartOptions, the library's names), each by its row: a switch is
 *  true, a repeatable option its list, any other its value. */
export function startOptions(args: ParsedArgs): StartOptions {
  const o: Record<string, string | string[] | boolean> = {};
  for (const row of START_ROWS) {
    const given = args.flags[row.name];
    if (!given) continue;
    o[optionKey(row)] = row.kind.value === undefined ? true : row.repeatable ? given : given[0]!;
  }
  // in the foreground: where it is run (docs/cli.md#run)
  if (!args.flags.chdir && args.command === 'run') o.chdir = '.';
  return o as StartOptions;
}
