/**
 * A services file (daemonkit.toml), loaded and checked as a whole: every problem at once, each
 * one line naming FILE:LINE, before anything is started or stopped. What comes out is the model
 * every project command works from — each service with its COMMAND, its start options validated
 * as `start` validates them, the file's `after`, and the order to start them in.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { DaemonError } from '../errors/errors.js';
import { readInputText } from '../config/input-file.js';
import type { ValidStart } from '../config/options.js';
import { checkName, printable } from '../config/paths.js';
import { closest } from '../config/suggest.js';
import { keyLines, lineOf, type KeyLines } from './toml-lines.js';
import { dependencyLevels } from './order.js';
import { definitionOf, type Definition } from './definition.js';
import { serviceOptions } from './options.js';

export const DEFAULT_FILE = 'daemonkit.toml';

/**
 * Checks one service's start options (the keys are `start`'s long options): the option table's
 * rows (project/options.ts' serviceOptions, the default).
 */
export interface OptionChecker {
  /** The option keys a service may have. */
  readonly keys: readonly string[];
  /** Keys whose value is a path (made absolute, relative to the file's directory). */
  readonly pathKeys: readonly string[];
  /** The options validated, or the problems, each naming its key (null: the service itself). */
  check(values: Readonly<Record<string, unknown>>): {
    start: ValidStart | null;
    problems: { key: string | null; text: string }[];
  };
}

export interface ProjectService {
  /** Its name in the file (`web`). */
  short: string;
  /** Its daemonkit name (`shop.web`). */
  name: string;
  /** As exec'd: an array as given; a string under /bin/sh -c. */
  command: string[];
  after: string[];
  /** Its options with the meaning and defaults of `start`'s; paths absolute. */
  start: ValidStart;
  /** What it is defined as, key by key, to tell a changed definition from an unchanged one. */
  definition: Definition;
  /** The line of its table. */
  line: number;
}

export interface Project {
  /** The file, absolute, and as the messages name it. */
  file: string;
  shown: string;
  dir: string;
  name: string;
  /** In the file's order. */
  services: Map<string, ProjectService>;
  /** Start order: each level after the one before it; a level's services in parallel. */
  levels: string[][];
}

const OWN_KEYS = ['command', 'after'];
const TOP_KEYS = ['project', 'services'];

/** The file to use: the one given, else daemonkit.toml here (exit 6 when there is none). */
export function projectFile(given: string | undefined, cwd = process.cwd()): string {
  if (given !== undefined) return resolve(cwd, given);
  const here = resolve(cwd, DEFAULT_FILE);
  if (!existsSync(here))
    throw new DaemonError(
      'BAD_SPEC',
      `no ${DEFAULT_FILE} in ${printable(cwd)}: give the services file with -f FILE`,
      { path: here },
    );
  return here;
}

/** Load and check `file` (absolute). Throws BAD_OPTION with details.problems, one line each. */
export function loadProject(
  file: string,
  checker: OptionChecker = serviceOptions,
  shown = file,
): Project {
  const text = readInputText({ flag: '--file', path: file });
  const found = keyLines(text);
  const problems: string[] = [];
  const at = (path: readonly string[], what: string): void => {
    problems.push(`${shown}:${lineOf(found, path)}: ${what}`);
  };
  let doc: Record<string, unknown> = {};
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const dup = found.duplicates.find((d) => d.line === error.line);
    for (const d of found.duplicates)
      problems.push(
        `${shown}:${d.line}: ${d.path.map(printable).join('.')} is given twice (first at line ${d.first})`,
      );
    if (!dup) problems.push(`${shown}:${error.line}: ${syntaxError(error)}`);
    throw badFile(shown, problems);
  }
  const dir = dirname(file);
  for (const key of Object.keys(doc))
    if (!TOP_KEYS.includes(key)) at([key], unknownKey(key, TOP_KEYS));
  const name = projectName(doc.project, dir, (what) => at(['project'], what));
  const services = new Map<string, ProjectService>();
  const table = doc.services;
  if (table === undefined) at([], `no [services.NAME] table: a project needs a service`);
  else if (!isTable(table)) at(['services'], `services must be a table of services`);
  else
    for (const [short, value] of Object.entries(table)) {
      const service = loadService(short, value, { name, dir, found, checker, at });
      if (service) services.set(short, service);
    }
  // Every service's `after` that is a list of names, whether the rest of it loaded or not.
  const graph = new Map<string, string[]>();
  if (isTable(table))
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
  // Services without a usable `after` are roots: no cycle goes through them.
  if (isTable(table))
    for (const short of Object.keys(table)) if (!graph.has(short)) graph.set(short, []);
  const order = dependencyLevels(graph);
  if ('cycle' in order)
    at(
      ['services', order.cycle[0]!, 'after'],
      `a dependency cycle: ${order.cycle.join(' → ')} (each starts after the next)`,
    );
  if (problems.length > 0 || !name || 'cycle' in order) throw badFile(shown, problems);
  return { file, shown, dir, name, services, levels: order.levels };
}

interface Context {
  name: string | null;
  dir: string;
  found: KeyLines;
  checker: OptionChecker;
  at: (path: readonly string[], what: string) => void;
}

function loadService(short: string, value: unknown, c: Context): ProjectService | null {
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

function projectName(value: unknown, dir: string, say: (what: string) => void): string | null {
  if (value !== undefined && typeof value !== 'string') {
    say("project must be a string: the project's name");
    return null;
  }
  const name = value ?? basename(dir);
  if (checkName(name) !== null || name.length > 62) {
    say(
      `${value === undefined ? `the directory's name '${printable(name)}' is no project name: set project = "NAME"` : `invalid project name '${printable(name)}'`}: use letters, digits, '.', '_', '@', '+' or '-', starting with a letter or digit`,
    );
    return null;
  }
  return name;
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

const isTable = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

function unknownKey(key: string, known: readonly string[]): string {
  const guess = closest(key, known);
  return `unknown key '${printable(key)}'${guess ? `: did you mean '${guess}'?` : ''}`;
}

/** The parser's message without its excerpt of the source (we name the line instead). */
function syntaxError(error: TomlError): string {
  const first = error.message.split('\n')[0] ?? '';
  return `not valid TOML: ${first.replace(/^Invalid TOML document: /, '')}`;
}

function badFile(shown: string, unsorted: string[]): DaemonError {
  // In the file's order (a stable sort: a line's problems as found).
  const lineNo = (p: string): number =>
    Number(/^.*?:(\d+): /.exec(p.slice(shown.length))?.[1] ?? 0);
  const problems = [...unsorted].sort((a, b) => lineNo(a) - lineNo(b));
  return new DaemonError('BAD_OPTION', problems[0] ?? `${shown}: not a services file`, {
    path: shown,
    problems,
  });
}

/**
 * Just the project's name and its services' names, without checking the rest: for a short name
 * (`status web`), where a full check would cost every command. Null when it cannot be read.
 */
export function peekProject(file: string): { name: string; services: string[] } | null {
  const path = resolve(file);
  try {
    const doc = parse(readInputText({ flag: '--file', path })) as Record<string, unknown>;
    const name = typeof doc.project === 'string' ? doc.project : basename(dirname(path));
    return { name, services: isTable(doc.services) ? Object.keys(doc.services) : [] };
  } catch {
    return null;
  }
}
