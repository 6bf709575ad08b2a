/** Command-line parsing (pure): flags per command, `--` then the COMMAND. */

import { COMMANDS, FLAGS, LOGS_SHORT, SHORT, type CommandName } from './flags.js';

export { COMMANDS, FLAGS, type CommandName } from './flags.js';

const START: readonly CommandName[] = ['start', 'run', 'restart', 'export'];

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
