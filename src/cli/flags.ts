/**
 * The command line's view of the option table (src/config/table/): which commands take each
 * option, whether it takes a value, and what `COMMAND --help` says of it. Nothing is written
 * here: each entry is derived from the option's row.
 */
import {
  COMMANDS,
  OPTIONS,
  SERVICE,
  optionsOf,
  shortsFor,
  type CommandName,
} from '../config/table/index.js';

export { COMMANDS, SERVICE, type CommandName };

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

export const FLAGS: Readonly<Record<string, FlagSpec>> = Object.fromEntries(
  OPTIONS.map((r) => [
    r.name,
    {
      takesValue: r.kind.value !== undefined,
      commands: r.commands,
      help: r.help,
      ...(r.repeatable ? { repeatable: true } : {}),
      ...(r.kind.value !== undefined ? { value: r.kind.value } : {}),
      ...(r.default !== undefined ? { default: r.default } : {}),
      ...(r.defaultText !== undefined ? { defaultText: r.defaultText } : {}),
      ...(r.needs !== undefined ? { needs: r.needs } : {}),
    } satisfies FlagSpec,
  ]),
);

export const SHORT: Readonly<Record<string, string>> = shortsFor('start');
/** `logs -n N -f`, as tail has it: there -n is the line count, not the name. */
export const LOGS_SHORT: Readonly<Record<string, string>> = shortsFor('logs');

/** The options `command` takes, in the table's order. */
export const flagsOf = (command: CommandName): string[] => optionsOf(command).map((r) => r.name);
