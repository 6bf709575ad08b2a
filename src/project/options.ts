/**
 * A service's keys in a services file, checked by the option table's rows directly (pure): each
 * key is a row's long name, its value parsed by the row's kind (parseOptionValue), then the
 * options validated together as `start` validates them (validateStart: what one key says about
 * another). Below cli/, so that the library can load a file as the CLI does.
 */
import { Problems, type StartOptions, validateStart } from '../config/options.js';
import {
  type OptionRow,
  optionKey,
  optionKeys,
  optionRow,
  parseOptionValue,
} from '../config/table/index.js';
import type { OptionChecker } from './file.js';

const KEYS = optionKeys('start');
/** Keys whose value is a path: made absolute, relative to the file's directory. */
const PATH_KEYS = KEYS.filter((k) =>
  ['FILE', 'DIR', 'PATH'].includes(optionRow(k).kind.value ?? ''),
);

type Problem = { key: string | null; text: string };
type Scalar = string | number;
type Shaped = { value: boolean | Scalar | string[] } | { problem: string };

const scalar = (v: unknown): Scalar | null =>
  typeof v === 'string' || typeof v === 'number' ? v : typeof v === 'bigint' ? String(v) : null;

/**
 * The value as the row takes it (a switch's boolean, a scalar, a repeatable row's list), or why
 * its type will not do. An octal value (umask, listen-mode) must be a string: a TOML number is
 * decimal once parsed (`umask = 22` is twenty-two, 0o26), and `0o022` can no longer be told
 * from `18` — so a number there is refused rather than read one way or the other
 * (docs/decisions.md).
 */
function shaped(row: OptionRow, value: unknown): Shaped {
  const key = row.name;
  const no = (problem: string): Shaped => ({ problem });
  if (row.kind.value === undefined)
    return typeof value === 'boolean' ? { value } : no(`${key} must be true or false`);
  if (row.repeatable) {
    // env = { K = "v" } and limit = { nofile = 1024 }: NAME=VALUE each; or an array of them.
    const items = Array.isArray(value)
      ? value.map(scalar)
      : typeof value === 'object' && value !== null && !(value instanceof Date)
        ? Object.entries(value).map(([k, v]) => {
            const s = scalar(v) ?? (typeof v === 'boolean' ? String(v) : null);
            return s === null ? null : `${k}=${s}`;
          })
        : [scalar(value)];
    if (items.some((i) => i === null))
      return no(
        `${key} must be a table (${key} = { NAME = "value" }) or an array of "NAME=value" strings`,
      );
    return { value: items.map(String) };
  }
  if (row.kind.value === 'OCTAL' && typeof value === 'number')
    return no(
      `${key} must be a string such as "022": a TOML number is decimal (${key} = ${value} is 0o${value.toString(8)})`,
    );
  const s = scalar(value);
  if (s === null)
    return no(`${key} must be a string${key === 'user' ? ' or a uid' : ''}, as --${key} takes`);
  return { value: s };
}

/** As the file names them: `umask`, not `--umask`. */
const fileWords = (text: string): string =>
  text.replace(/--([a-z][a-z-]*)/g, (m, k: string) => (KEYS.includes(k) ? k : m));

/** The key a message is about: the first of the given keys it names as --KEY. */
function keyOf(text: string, given: readonly string[]): string | null {
  for (const m of text.matchAll(/--([a-z][a-z-]*)/g)) if (given.includes(m[1]!)) return m[1]!;
  return null;
}

export const serviceOptions: OptionChecker = {
  keys: KEYS,
  pathKeys: PATH_KEYS,
  check(values) {
    const problems: Problem[] = [];
    const opts: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(values)) {
      const row = optionRow(key);
      const v = shaped(row, value);
      if ('problem' in v) {
        problems.push({ key, text: v.problem });
        continue;
      }
      const parsed = parseOptionValue(row, v.value);
      if (!parsed.ok) problems.push({ key, text: fileWords(parsed.why) });
      // As given, not as parsed: validateStart takes what the command line would give.
      else if (v.value !== false) opts[optionKey(row)] = v.value;
    }
    // What one key says of another (--ready-timeout needs --ready, …), each value already good.
    const found = new Problems();
    const start = validateStart(opts as StartOptions, found);
    const given = Object.keys(values);
    for (const p of found.list) problems.push({ key: keyOf(p, given), text: fileWords(p) });
    return { start: problems.length === 0 ? start : null, problems };
  },
};
