/** Command-line parsing (pure): flags per command, `--` then the COMMAND. */

import { COMMANDS, FLAGS, LOGS_SHORT, SHORT, flagsOf, type CommandName } from './flags.js';
import { closest } from './suggest.js';

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
  if (!(COMMANDS as readonly string[]).includes(command)) {
    const guess = closest(command, [...COMMANDS, 'help']);
    return { problems: [`unknown command '${command}': ${guess ? `did you mean '${guess}'?` : `use one of ${COMMANDS.join(', ')}`}`] };
  }
  const cmd = command as CommandName;
  const flags: Record<string, string[]> = {};
  let rest: string[] | null = null;
  if (cmd === 'export') {
    // `export FORMAT …`: systemd is the one format there is.
    if (tail[0] !== 'systemd') return { problems: [`'export' needs a format: daemonkit export systemd [options] -- COMMAND`] };
    tail.shift();
  }
  if (cmd === 'completion') {
    // `completion SHELL`: the script for that shell.
    if (!(SHELLS as readonly string[]).includes(tail[0] ?? '')) {
      const guess = tail[0] && !tail[0].startsWith('-') ? closest(tail[0], SHELLS) : null;
      return { problems: [`'completion' needs a shell: daemonkit completion bash|zsh|fish${guess ? ` (did you mean '${guess}'?)` : ''}`] };
    }
    flags.shell = [tail.shift()!];
  }
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
    } else {
      problems.push(`unexpected argument '${arg}'${START.includes(cmd) ? ' (put the COMMAND after --)' : ''}`);
      continue;
    }
    const spec = Object.hasOwn(FLAGS, name) ? FLAGS[name] : undefined;
    if (!spec) {
      // The closest option of this command (or --help): a typo's likely meaning.
      const guess = closest(name, [...flagsOf(cmd), 'help']);
      problems.push(`unknown option --${name}${guess ? `: did you mean --${guess}?` : ''}`);
      // Its value goes with it, as the option meant would have taken it (not a second problem).
      const next = tail[i + 1];
      if (guess && FLAGS[guess]?.takesValue && value === undefined && next !== undefined && next !== '--' && !next.startsWith('-')) i++;
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
