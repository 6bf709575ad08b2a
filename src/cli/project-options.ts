/**
 * A service's keys in a services file, checked by `start`'s own parser and validation: each
 * value becomes the tokens the command line would have (`--key=value`, an array a repeated
 * option, `true` the bare switch, a table such as env one `--env=K=V` each), parsed and validated
 * as `daemonkit start` does, and each problem is given back with the key it names.
 * The stand-in for issue 15's one option table: swap this module for it (project/file.ts takes
 * any OptionChecker).
 */
import { Problems, validateStart } from '../config/options.js';
import type { OptionChecker } from '../project/file.js';
import { parseArgs } from './args.js';
import { FLAGS, flagsOf } from './flags.js';
import { startOptions } from './args.js';

const NOT_KEYS = ['name', 'pidfile', 'quiet'];
const KEYS = flagsOf('start').filter((k) => !NOT_KEYS.includes(k));

type Problem = { key: string | null; text: string };

const scalar = (v: unknown): string | null =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : null;

/** One key's tokens, or the problem with its value's type. */
function tokens(key: string, value: unknown): string[] | string {
  const flag = FLAGS[key]!;
  if (!flag.takesValue) {
    if (typeof value !== 'boolean') return `${key} must be true or false`;
    return value ? [`--${key}`] : [];
  }
  if (flag.repeatable) {
    // env = { K = "v" } and limit = { nofile = 1024 }: NAME=VALUE each; or an array of them.
    const items = Array.isArray(value)
      ? value.map(scalar)
      : typeof value === 'object' && value !== null && !(value instanceof Date)
        ? Object.entries(value).map(([k, v]) => {
            const s = scalar(v) ?? (typeof v === 'boolean' ? String(v) : null);
            return s === null ? null : `${k}=${s}`;
          })
        : [null];
    if (items.some((i) => i === null))
      return `${key} must be a table (${key} = { NAME = "value" }) or an array of "NAME=value" strings`;
    return items.map((i) => `--${key}=${i}`);
  }
  const s = scalar(value);
  if (s === null)
    return `${key} must be a string${key === 'user' ? ' or a uid' : ''}, as --${key} takes`;
  return [`--${key}=${s}`];
}

/** The key a message is about: the first of the given keys it names as --KEY. */
function keyOf(text: string, given: readonly string[]): string | null {
  for (const m of text.matchAll(/--([a-z][a-z-]*)/g)) if (given.includes(m[1]!)) return m[1]!;
  return null;
}

export const startOptionChecker: OptionChecker = {
  keys: KEYS,
  pathKeys: ['chdir', 'stdin', 'stdout', 'stderr', 'env-file'],
  check(values) {
    const problems: Problem[] = [];
    const argv: string[] = [];
    for (const [key, value] of Object.entries(values)) {
      const t = tokens(key, value);
      if (typeof t === 'string') problems.push({ key, text: t });
      else argv.push(...t);
    }
    const given = Object.keys(values);
    // As the file names them: `umask`, not `--umask`.
    const text = (p: string): string =>
      p.replace(/--([a-z][a-z-]*)/g, (m, k: string) => (KEYS.includes(k) ? k : m));
    const parsed = parseArgs(['start', '--name=x', ...argv, '--', 'x']);
    for (const p of parsed.problems) problems.push({ key: keyOf(p, given), text: text(p) });
    if (!parsed.args) return { start: null, problems };
    const found = new Problems();
    const start = validateStart(startOptions(parsed.args), found);
    for (const p of found.list) problems.push({ key: keyOf(p, given), text: text(p) });
    return { start: problems.length === 0 ? start : null, problems };
  },
};
