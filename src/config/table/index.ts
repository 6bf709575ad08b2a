/**
 * The option table, once (issue 15): every option of every command as one row (rows-*.ts) —
 * its names, commands, kind of value, default, help, systemd mapping and docs section — and
 * what is derived from it: the parser's and the help's view, each value's check with its
 * message, the library's names, and a service file's keys, values and JSON Schema.
 */
import { printable } from '../paths.js';
import type { Given, Parsed } from './kinds.js';
import type { CommandName, OptionRow } from './row.js';
import { IDENTITY_ROWS, START_ROWS } from './rows-start.js';

export { START_ROWS } from './rows-start.js';
import { OTHER_ROWS, STOP_ROWS } from './rows-other.js';

export { COMMANDS, SERVICE, START, STOP, type CommandName, type OptionRow } from './row.js';
export type { Completion, Given, Kind, Parsed } from './kinds.js';
export { LIMIT_DIRECTIVES, LIMIT_NAMES, parseLimit, type Limit } from './kinds-items.js';

/** Every row, in the help's order. */
export const OPTIONS: readonly OptionRow[] = [
  ...IDENTITY_ROWS,
  ...START_ROWS,
  ...STOP_ROWS,
  ...OTHER_ROWS,
];
const BY_NAME = new Map(OPTIONS.map((r) => [r.name, r]));

/** The row of `--name`; throws for a name no row has (a slip in the code, not the user's). */
export function optionRow(name: string): OptionRow {
  const row = BY_NAME.get(name);
  if (!row) throw new Error(`no option --${name} in the table`);
  return row;
}
export const hasOption = (name: string): boolean => BY_NAME.has(name);

export const takes = (row: OptionRow, command: CommandName): boolean =>
  row.commands === 'all' || row.commands.includes(command);

/** The rows `command` takes, in the table's order. */
export const optionsOf = (command: CommandName): OptionRow[] =>
  OPTIONS.filter((r) => takes(r, command));

/** The one-letter aliases on `command`: `{ n: 'name', … }` (on logs, -n is --lines). */
export function shortsFor(command: CommandName): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of OPTIONS) if (r.short && !r.shortOn) out[r.short] = r.name;
  for (const r of OPTIONS) if (r.short && r.shortOn === command) out[r.short] = r.name;
  return out;
}

/** The library's name of an option (StartOptions' key): camelCase; --grace is graceMs. */
export const optionKey = (row: OptionRow): string =>
  row.key ?? row.name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const BY_KEY = new Map(OPTIONS.map((r) => [optionKey(r), r]));
/** The row whose library name is `key`, if any. */
export const rowOfKey = (key: string): OptionRow | undefined => BY_KEY.get(key);

/** "invalid --umask '999': use an octal mask such as 022 or 0077" */
export const invalid = (row: OptionRow, given: Given, why: string): string =>
  `invalid --${row.name} '${printable(String(given))}': ${why}`;

/** A value of `--name` checked by its row: the value, or undefined with the problem added. */
export function checkOption<T>(
  name: string,
  given: Given,
  problems: { add(problem: string): void },
): T | undefined {
  const row = optionRow(name);
  const parsed = row.kind.parse(given) as Parsed<T>;
  if (parsed.ok) return parsed.value;
  problems.add(invalid(row, given, parsed.why));
  return undefined;
}

/** The keys a service file's `[services.NAME]` table takes: the options of a start and a stop,
 *  but its identity (the name is the table's own, the pidfile the project's to decide) and what
 *  only the caller's terminal sees. */
export const optionKeys = (command: CommandName = 'start'): string[] =>
  optionsOf(command)
    .filter((r) => r.commands !== 'all' && !IDENTITY_ROWS.includes(r))
    .map((r) => r.name);

/**
 * The items of a repeatable option, each checked by its row, a repeat of a `distinct` key refused
 * (never a silent override): the values kept, and one problem per item refused.
 */
export function checkList(
  row: OptionRow,
  items: readonly Given[],
): { values: unknown[]; whys: string[] } {
  const values: unknown[] = [];
  const whys: string[] = [];
  const seen = new Map<string, Given>();
  for (const item of items) {
    const p = row.kind.parse(item);
    if (!p.ok) {
      whys.push(invalid(row, item, p.why));
      continue;
    }
    const key = row.distinct?.(p.value);
    const before = key === undefined ? undefined : seen.get(key);
    if (before !== undefined)
      whys.push(
        invalid(
          row,
          item,
          `${key} is already set by --${row.name} '${printable(String(before))}' (give each ${row.name} once)`,
        ),
      );
    else values.push(p.value);
    if (key !== undefined) seen.set(key, item);
  }
  return { values, whys };
}

/**
 * A service file's value (TOML: a string, number, boolean or array) for `row`, checked as the
 * command line's would be: the parsed value (a list for a repeatable row), or every problem.
 */
export function parseOptionValue(row: OptionRow, value: unknown): Parsed<unknown> {
  const items = row.repeatable && Array.isArray(value) ? value : [value];
  const wrong = items.find(
    (v) =>
      !['string', 'number', 'boolean'].includes(typeof v) ||
      (typeof v === 'boolean') !== (row.kind.value === undefined),
  );
  if (wrong !== undefined || items.length === 0)
    return {
      ok: false,
      why: `--${row.name}: want ${row.kind.value === undefined ? 'true or false' : `a value (${row.kind.value})`}${row.repeatable ? ', or a list of them' : ''}`,
    };
  const { values, whys } = checkList(row, items as Given[]);
  if (whys.length > 0) return { ok: false, why: whys.join('; ') };
  return { ok: true, value: row.repeatable ? values : values[0] };
}

/** The JSON Schema of one service's options (a service file's `[services.NAME]`): what
 *  project/options.ts takes — a repeatable option as a list or a table of NAME = value. */
export function optionsJsonSchema(command: CommandName = 'start'): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const name of optionKeys(command)) {
    const row = optionRow(name);
    const dflt = row.default ?? row.defaultText;
    const description = `--${name}${row.kind.value ? ` ${row.kind.value}` : ''}: ${row.help}${dflt !== undefined ? ` (default: ${dflt})` : ''}`;
    properties[name] = row.repeatable
      ? {
          description,
          oneOf: [
            { type: 'array', items: row.kind.schema },
            { type: 'object', additionalProperties: { type: ['string', 'integer', 'boolean'] } },
          ],
        }
      : { description, ...row.kind.schema };
  }
  return { type: 'object', properties, additionalProperties: false };
}
