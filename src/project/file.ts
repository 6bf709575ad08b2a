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
import { keyLines, lineOf, type KeyLines } from './toml-lines.js';
import { dependencyLevels } from './order.js';
import type { Definition } from './definition.js';
import { afterGraph, isTable, loadServices, unknownKey } from './file-services.js';
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
  const doc = parseFile(text, found, shown);
  const dir = dirname(file);
  for (const key of Object.keys(doc))
    if (!TOP_KEYS.includes(key)) at([key], unknownKey(key, TOP_KEYS));
  const name = projectName(doc.project, dir, (what) => at(['project'], what));
  const services = loadServices(doc.services, { name, dir, found, checker, at });
  const order = dependencyLevels(afterGraph(doc.services, at));
  if ('cycle' in order)
    at(
      ['services', order.cycle[0]!, 'after'],
      `a dependency cycle: ${order.cycle.join(' → ')} (each starts after the next)`,
    );
  if (problems.length > 0 || !name || 'cycle' in order) throw badFile(shown, problems);
  return { file, shown, dir, name, services, levels: order.levels };
}

/** The file as TOML; not TOML: its keys given twice, else the parser's error, thrown. */
function parseFile(text: string, found: KeyLines, shown: string): Record<string, unknown> {
  try {
    return parse(text) as Record<string, unknown>;
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const problems: string[] = [];
    const dup = found.duplicates.find((d) => d.line === error.line);
    for (const d of found.duplicates)
      problems.push(
        `${shown}:${d.line}: ${d.path.map(printable).join('.')} is given twice (first at line ${d.first})`,
      );
    if (!dup) problems.push(`${shown}:${error.line}: ${syntaxError(error)}`);
    throw badFile(shown, problems);
  }
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
