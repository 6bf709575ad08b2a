/** Command-line parsing (pure): flags per command, `--` then the COMMAND. */

import { type Scan, takeOption, optionOf, unexpected } from './args-scan.js';
import { COMMANDS, type CommandName } from './flags.js';
import { closest } from '../config/suggest.js';
import type { StartOptions } from '../config/options.js';
import { START_ROWS, optionKey } from '../config/table/index.js';

export { COMMANDS, FLAGS, type CommandName } from './flags.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;

export interface ParsedArgs {
  command: CommandName;
  flags: Record<string, string[]>;
  /** The COMMAND after `--`, or null when there was no `--`. */
  rest: string[] | null;
}

/** The command and what follows it; `export`'s format and `completion`'s shell taken off. */
function commandOf(
  argv: readonly string[],
): { cmd: CommandName; tail: string[]; flags: Record<string, string[]> } | { problems: string[] } {
  const [given, ...tail] = argv;
  const command = given === 'ls' ? 'list' : given; // the alias
  if (!command) return { problems: [`missing command: one of ${COMMANDS.join(', ')}`] };
  if (!(COMMANDS as readonly string[]).includes(command))
    return { problems: [unknownCommand(command)] };
  const cmd = command as CommandName;
  const flags: Record<string, string[]> = {};
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
  return { cmd, tail, flags };
}

/** Parse argv (without node and script). Returns the problems found instead of throwing. */
export function parseArgs(argv: readonly string[]): { args?: ParsedArgs; problems: string[] } {
  const head = commandOf(argv);
  if ('problems' in head) return head;
  const { cmd, tail, flags } = head;
  const dashes = tail.indexOf('--');
  const s: Scan = {
    cmd,
    tail,
    i: 0,
    flags,
    problems: [],
    commandGiven: dashes >= 0 && dashes < tail.length - 1,
    positional: false,
  };
  let rest: string[] | null = null;
  for (; s.i < tail.length; s.i++) {
    const arg = tail[s.i]!;
    if (arg === '--') {
      rest = tail.slice(s.i + 1);
      break;
    }
    if (
      (cmd === 'up' || cmd === 'down' || (cmd === 'logs' && s.positional)) &&
      !arg.startsWith('-')
    ) {
      // `up web worker`: services of the file, by name; `logs web worker`: the second name on
      (flags.service ??= []).push(arg);
      continue;
    }
    const option = optionOf(s, arg);
    if (option) takeOption(s, option.name, option.value);
    else s.problems.push(unexpected(arg, cmd, s.commandGiven));
  }
  return { args: { command: cmd, flags, rest }, problems: s.problems };
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
