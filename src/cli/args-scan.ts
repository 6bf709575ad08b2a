/** The options after the command, one by one (args.ts's parseArgs). */
import {
  type CommandName,
  FLAGS,
  type FlagSpec,
  flagsOf,
  LOGS_SHORT,
  SERVICE,
  SHORT,
} from './flags.js';
import { closest } from '../config/suggest.js';

const START: readonly CommandName[] = ['start', 'run', 'restart', 'export'];

/** The arguments after the command, taken one by one. */
export interface Scan {
  cmd: CommandName;
  tail: string[];
  /** The argument being looked at. */
  i: number;
  flags: Record<string, string[]>;
  problems: string[];
  /** A COMMAND follows `--`. */
  commandGiven: boolean;
  /** The service's name was given as a word. */
  positional: boolean;
}

/** The option an argument names, with its value when given with it (--X=VALUE, or the name as a
 *  word); null: not an option here. */
export function optionOf(s: Scan, arg: string): { name: string; value?: string } | null {
  if (arg.startsWith('--')) {
    const eq = arg.indexOf('=');
    return eq >= 0 ? { name: arg.slice(2, eq), value: arg.slice(eq + 1) } : { name: arg.slice(2) };
  }
  const short = s.cmd === 'logs' ? LOGS_SHORT : SHORT;
  if (/^-[A-Za-z]$/.test(arg) && Object.hasOwn(short, arg[1]!)) return { name: short[arg[1]!]! };
  if (!s.positional && !arg.startsWith('-') && takesPositionalName(s.cmd, s.commandGiven)) {
    s.positional = true; // `daemonkit status web`: the name, as --name web
    return { name: 'name', value: arg };
  }
  return null;
}

/** An option no command has: the closest of this command's (or --help), a typo's likely meaning. */
function unknownOption(s: Scan, name: string, value: string | undefined): void {
  const guess = closest(name, [...flagsOf(s.cmd), 'help']);
  s.problems.push(`unknown option --${name}${guess ? `: did you mean --${guess}?` : ''}`);
  // Its value goes with it, as the option meant would have taken it (not a second problem).
  const next = s.tail[s.i + 1];
  if (
    guess &&
    FLAGS[guess]?.takesValue &&
    value === undefined &&
    next !== undefined &&
    next !== '--' &&
    !next.startsWith('-')
  )
    s.i++;
}

/** `--user` without a value on `export`: a user unit (--user-unit). */
const userUnit = (s: Scan, name: string, value: string | undefined): boolean =>
  name === 'user' &&
  s.cmd === 'export' &&
  value === undefined &&
  (s.i + 1 >= s.tail.length || s.tail[s.i + 1]!.startsWith('-'));

function refuse(s: Scan, problem: string): false {
  s.problems.push(problem);
  return false;
}

/** Take one option and its value (the next argument when not given with it); false: refused,
 *  a problem said. */
export function takeOption(s: Scan, name: string, given: string | undefined): boolean {
  let value = given;
  const spec = Object.hasOwn(FLAGS, name) ? FLAGS[name] : negatedFlag(name);
  if (!spec) {
    unknownOption(s, name, value);
    return false;
  }
  const hasNext = s.i + 1 < s.tail.length && s.tail[s.i + 1] !== '--';
  if (spec.commands !== 'all' && !spec.commands.includes(s.cmd)) {
    if (spec.takesValue && value === undefined && hasNext) s.i++;
    return refuse(s, `option --${name} does not apply to '${s.cmd}'`);
  }
  if (userUnit(s, name, value)) {
    (s.flags['user-unit'] ??= []).push('');
    return true;
  }
  if (spec.takesValue && value === undefined) {
    if (!hasNext) return refuse(s, `option --${name} needs a value`);
    value = s.tail[++s.i]!;
  }
  if (!spec.takesValue && value !== undefined) return refuse(s, `option --${name} takes no value`);
  const list = (s.flags[name] ??= []);
  if (list.length > 0 && !spec.repeatable)
    return refuse(s, `option --${name} given more than once`);
  list.push(value ?? '');
  return true;
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

export function unexpected(arg: string, cmd: CommandName, commandGiven: boolean): string {
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
