/**
 * What a service is defined as, key by key (pure): recorded when `up` starts it, compared at the
 * next `up` to tell which services changed and by which keys. `after` is left out: the order of
 * starts changes nothing in a running service.
 */
import { resolve } from 'node:path';

/** key → its value in a canonical form (JSON; numbers as the strings the options take). */
export type Definition = Record<string, string>;

const canonical = (value: unknown): unknown => {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object' && value !== null && !(value instanceof Date))
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, canonical(v)]),
    );
  return value;
};

export function definitionOf(
  command: readonly string[],
  options: Readonly<Record<string, unknown>>,
  pathKeys: readonly string[],
  dir: string,
): Definition {
  const out: Definition = { command: JSON.stringify(command) };
  for (const [key, value] of Object.entries(options)) {
    // false is the default of every switch: the same as not given.
    if (value === false) continue;
    const v = pathKeys.includes(key) && typeof value === 'string' ? resolve(dir, value) : value;
    out[key] = JSON.stringify(canonical(v));
  }
  return out;
}

/** The keys whose value differs (given in one and not the other counts), in a stable order. */
export function changedKeys(before: Readonly<Definition>, now: Readonly<Definition>): string[] {
  const keys = new Set([...Object.keys(now), ...Object.keys(before)]);
  return [...keys].filter((k) => before[k] !== now[k]).sort();
}
