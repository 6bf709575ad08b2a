/** The commands, and the shape of one row of the option table (rows.ts). */
import type { Kind } from './kinds.js';

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

/** Commands that start a COMMAND (and take its options). */
export const START: readonly CommandName[] = ['start', 'run', 'restart', 'export'];
/** Commands that stop one (and take the stop schedule). */
export const STOP: readonly CommandName[] = ['stop', 'restart', 'export'];
/** Commands that act on one service (and take its identity). */
export const SERVICE: readonly CommandName[] = [
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

/** Commands that take a services file (docs/cli.md#services-file). */
export const FILE: readonly CommandName[] = [
  'up',
  'down',
  'export',
  'run',
  'status',
  'stop',
  'restart',
  'reload',
  'reopen',
  'logs',
  'rm',
];

export interface OptionRow {
  /** The long name: `--umask`, and the key of a service file. */
  readonly name: string;
  /** A one-letter alias: `-n`. */
  readonly short?: string;
  /** The alias holds on this command only, where it wins over another row's (logs' -n). */
  readonly shortOn?: CommandName;
  readonly commands: readonly CommandName[] | 'all';
  readonly kind: Kind;
  /** Given any number of times, each value kept (--env, --limit). */
  readonly repeatable?: boolean;
  /** A list that `restart` replaces whole when given again (--listen: the sockets are one set),
   *  not item by item by KEY (--env, --limit). */
  readonly wholeList?: boolean;
  /** Each item's key: a second item with the same key is refused (--limit). */
  readonly distinct?: (value: unknown) => string;
  /** The library's name (StartOptions' key); default: the name in camelCase. */
  readonly key?: string;
  /** The default as a value the option takes (a test checks giving it changes nothing). */
  readonly default?: string;
  /** A default that is no single value (depends on the command or another option), in words. */
  readonly defaultText?: string;
  /** Another option it is only valid with (said in the help). */
  readonly needs?: string;
  /** One line for `--help`. */
  readonly help: string;
  /** What it becomes in a systemd unit ('' for nothing: export/systemd-options.ts then says when
   *  the unit loses it, or `noUnit` why there is nothing to carry). Undefined: not exported. */
  readonly systemd?: string;
  readonly noUnit?: string;
  /** The sections of docs/cli.md whose option tables document it (a test checks they do, and
   *  that they document nothing else). */
  readonly doc: readonly string[];
}
