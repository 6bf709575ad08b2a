/**
 * The [services] table of a services file, checked: each service's name, its keys (COMMAND,
 * `after`, and `start`'s options as the checker validates them), its paths made absolute; and the
 * graph of their `after`s.
 */
import { resolve } from 'node:path';
import type { ValidStart } from '../config/options.js';
import { checkName, printable } from '../config/paths.js';
import { closest } from '../config/suggest.js';
import { definitionOf } from './definition.js';
import type { OptionChecker, ProjectService } from './file.js';
import { type KeyLines, lineOf } from './toml-lines.js';

const OWN_KEYS = ['command', 'after'];

export interface ServiceContext {
  name: string | null;
  dir: string;
  found: KeyLines;
  checker: OptionChecker;
  at: (path: readonly string[], what: string) => void;
}

/** The services of the [services] table that load, in the file's order. */
export function loadServices(table: unknown, c: ServiceContext): Map<string, ProjectService> {
  const services = new Map<string, ProjectService>();
  if (table === undefined) c.at([], `no [services.NAME] table: a project needs a service`);
  else if (!isTable(table)) c.at(['services'], `services must be a table of services`);
  else
    for (const [short, value] of Object.entries(table)) {
      const service = loadService(short, value, c);
      if (service) services.set(short, service);
    }
  return services;
}

/**
 * Every service's `after` that is a list of names, whether the rest of it loaded or not; a name
 * that is no service said. Services without a usable `after` are roots: no cycle goes through them.
 */
export function afterGraph(table: unknown, at: ServiceContext['at']): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  if (!isTable(table)) return graph;
  for (const [short, value] of Object.entries(table)) {
    const after = isTable(value) ? value.after : undefined;
    if (!Array.isArray(after) || !after.every((a) => typeof a === 'string')) continue;
    const deps = [...new Set(after as string[])];
    for (const dep of deps.filter((d) => !Object.hasOwn(table, d))) {
      const guess = closest(dep, Object.keys(table));
      at(
        ['services', short, 'after'],
        `services.${short}: after names no service '${printable(dep)}'${guess ? `: did you mean '${guess}'?` : ''}`,
      );
    }
    graph.set(
      short,
      deps.filter((d) => Object.hasOwn(table, d)),
    );
  }
  for (const short of Object.keys(table)) if (!graph.has(short)) graph.set(short, []);
  return graph;
}

function loadService(short: string, value: unknown, c: ServiceContext): ProjectService | null {
  const where = ['services', short];
  const say = (key: string | null, what: string): void =>
    c.at(key === null ? where : [...where, key], `services.${printable(short)}: ${what}`);
  if (!/^[A-Za-z0-9][A-Za-z0-9_@+-]*$/.test(short)) {
    say(
      null,
      `invalid service name: use letters, digits, '_', '@', '+' or '-', starting with a letter or digit`,
    );
    return null;
  }
  if (c.name && checkName(`${c.name}.${short}`))
    say(null, `the name ${c.name}.${short} is too long: at most 64 characters with the project's`);
  if (!isTable(value)) {
    say(null, 'a service is a table: [services.NAME] with its keys');
    return null;
  }
  const known = [...OWN_KEYS, ...c.checker.keys];
  const options: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!known.includes(key)) say(key, unknownKey(key, known));
    else if (!OWN_KEYS.includes(key)) options[key] = v;
  }
  const command = commandOf(value.command, (what) =>
    say(value.command === undefined ? null : 'command', what),
  );
  const after = afterOf(value.after, (what) => say('after', what));
  const checked = c.checker.check(options);
  for (const p of checked.problems) say(p.key, p.text);
  if (!command || !after || !checked.start || checked.problems.length > 0) return null;
  const start = absolutePaths(checked.start, c.dir);
  return {
    short,
    name: `${c.name}.${short}`,
    command,
    after,
    start,
    definition: definitionOf(command, options, c.checker.pathKeys, c.dir),
    line: lineOf(c.found, where),
  };
}

function commandOf(value: unknown, say: (what: string) => void): string[] | null {
  if (value === undefined) say('no command: give command = "…" or command = ["file", "arg"]');
  else if (typeof value === 'string' && value.trim() !== '') return ['/bin/sh', '-c', value];
  else if (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((a) => typeof a === 'string') &&
    value[0] !== ''
  )
    return value as string[];
  else say('command must be a string (run by /bin/sh -c) or a non-empty array of strings');
  return null;
}

function afterOf(value: unknown, say: (what: string) => void): string[] | null {
  if (value === undefined) return [];
  if (Array.isArray(value) && value.every((a) => typeof a === 'string')) return [...new Set(value)];
  say('after must be an array of service names, e.g. after = ["db"]');
  return null;
}

/** Relative paths are relative to the file's directory (the chdir default, /, stays). */
function absolutePaths(start: ValidStart, dir: string): ValidStart {
  const out: ValidStart = {
    ...start,
    chdir: resolve(dir, start.chdir),
    stdin: resolve(dir, start.stdin),
  };
  if (start.stdout !== undefined) out.stdout = resolve(dir, start.stdout);
  if (start.stderr !== undefined) out.stderr = resolve(dir, start.stderr);
  if (start.envFile !== undefined) out.envFile = resolve(dir, start.envFile);
  return out;
}

export const isTable = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

export function unknownKey(key: string, known: readonly string[]): string {
  const guess = closest(key, known);
  return `unknown key '${printable(key)}'${guess ? `: did you mean '${guess}'?` : ''}`;
}
