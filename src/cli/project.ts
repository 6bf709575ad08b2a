/** The services file's commands: `up`, `down`, `status -f FILE`, and short names (`status web`). */
import { existsSync } from 'node:fs';
import { isDaemonError, type DaemonError } from '../errors/errors.js';
import { EXIT, exitCodeFor } from '../errors/exit-codes.js';
import { printable, servicePaths } from '../config/paths.js';
import { failedStartReport } from '../service/format-details.js';
import { statusLine, terminalJson, terminalSafe } from '../service/format.js';
import { serviceKnown } from '../service/known.js';
import {
  DEFAULT_FILE,
  loadProject,
  peekProject,
  projectFile,
  type Project,
} from '../project/file.js';
import { pathsOf } from '../project/members.js';
import type { ParsedArgs } from './args.js';
import { colorFor, paintStatusLine } from './color.js';
import { err, out } from './print.js';
import { serviceOptions } from '../project/options.js';
import { closest } from '../config/suggest.js';

const say = (text: string): void => out(`${terminalSafe(text)}\n`);
const warn = (text: string): void => err(`daemonkit: ${terminalSafe(text)}\n`);

/** An error's lines: each problem of a bad file, else its message. */
function lines(error: DaemonError): string[] {
  const list = error.details.problems;
  return Array.isArray(list) && list.length > 0 ? list.map(String) : [error.message];
}

/** The file loaded and checked, or the exit code after saying why not. */
function load(args: ParsedArgs, action: 'up' | 'down' | 'status'): Project | number {
  const given = args.flags.file?.[0];
  try {
    const file = projectFile(given);
    return loadProject(file, serviceOptions, given ?? DEFAULT_FILE);
  } catch (error) {
    if (!isDaemonError(error)) throw error;
    for (const line of lines(error)) warn(line);
    return exitCodeFor(action, error.code);
  }
}

/** The SERVICE words, each a service of the file (a typo: exit 2 with the closest). */
function selected(args: ParsedArgs, project: Project): string[] | null | number {
  const names = args.flags.service;
  if (!names) return null;
  const bad = names.filter((n) => !project.services.has(n));
  for (const n of bad) {
    const guess = closest(n, [...project.services.keys()]);
    warn(
      `${project.shown} has no service '${printable(n)}'${guess ? `: did you mean '${guess}'?` : ''}`,
    );
  }
  return bad.length > 0 ? EXIT.BAD_ARGS : names;
}

export async function projectCommand(
  args: ParsedArgs,
  problems: readonly string[],
): Promise<number> {
  for (const p of problems) warn(p);
  if (problems.length > 0) return EXIT.BAD_ARGS;
  if (args.rest !== null) {
    warn(`'${args.command}' takes no COMMAND: the services file has them`);
    return EXIT.BAD_ARGS;
  }
  const action = args.command as 'up' | 'down' | 'run';
  const project = load(args, action === 'run' ? 'up' : action);
  if (typeof project === 'number') return project;
  const names = selected(args, project);
  if (typeof names === 'number') return names;
  if (action === 'run' || args.flags.foreground) return foreground(project, names);
  return action === 'up'
    ? up(project, names, Boolean(args.flags.quiet))
    : down(project, names, Boolean(args.flags.quiet));
}

/** `up --foreground`, `run -f FILE`: the project here; our exit code is its first failure's. */
async function foreground(project: Project, names: string[] | null): Promise<number> {
  const { projectForeground } = await import('../project/foreground.js');
  try {
    return await projectForeground(project, names, {
      failed(service, error) {
        const name = `${project.name}.${service}`;
        if (typeof error === 'string') return warn(error);
        warn(error.message.startsWith(name) ? error.message : `${name}: ${error.message}`);
        const tail = error.details.stderrTail;
        if (Array.isArray(tail) && tail.length > 0)
          err(`${tail.map((l) => `  ${terminalSafe(String(l))}`).join('\n')}\n`);
      },
    });
  } catch (error) {
    if (!isDaemonError(error)) throw error;
    for (const line of lines(error)) warn(line);
    return exitCodeFor('run', error.code);
  }
}

async function up(project: Project, names: string[] | null, quiet: boolean): Promise<number> {
  const { projectUp } = await import('../project/up.js');
  let code: number = EXIT.OK;
  let changes = 0;
  let events: Awaited<ReturnType<typeof projectUp>>;
  try {
    events = await projectUp(project, names, ({ paths, outcome }) => {
      const o = outcome;
      if (o.kind !== 'unchanged') changes++;
      if (o.kind === 'failed') {
        code = EXIT.GENERIC;
        const e = o.error;
        warn(e.message.startsWith(paths.display) ? e.message : `${paths.display}: ${e.message}`);
        const tail = isDaemonError(e) ? e.details.stderrTail : undefined;
        if (Array.isArray(tail)) {
          const log =
            isDaemonError(e) && typeof e.details.logFile === 'string' ? e.details.logFile : null;
          err(
            `${failedStartReport(paths.display, `--name ${paths.name}`, tail.map(String), log).join('\n')}\n`,
          );
        }
      } else if (o.kind === 'skipped') {
        code = EXIT.GENERIC;
        warn(
          `${paths.display}: not started: it comes after ${o.because.join(', ')}, which did not start`,
        );
      } else if (!quiet && o.kind === 'started')
        say(`${paths.display}: started${o.pid ? `, pid ${o.pid}` : ''}`);
      else if (!quiet && o.kind === 'restarted')
        say(
          `${paths.display}: restarted (changed: ${o.changed.join(', ')})${o.pid ? `, pid ${o.pid}` : ''}`,
        );
      else if (!quiet && o.kind === 'removed')
        say(`${paths.display}: stopped (no longer in ${project.shown})`);
    });
  } catch (error) {
    if (!isDaemonError(error)) throw error;
    for (const line of lines(error)) warn(line);
    return exitCodeFor('up', error.code);
  }
  if (!quiet && changes === 0)
    say(
      `${project.name}: nothing changed (${events.length} service${events.length === 1 ? '' : 's'} running)`,
    );
  return code;
}

async function down(project: Project, names: string[] | null, quiet: boolean): Promise<number> {
  const { projectDown } = await import('../project/down.js');
  let code: number = EXIT.OK;
  try {
    await projectDown(project, names, ({ paths, outcome: o }) => {
      if (o.kind === 'failed') {
        code = EXIT.GENERIC;
        warn(
          o.error.message.startsWith(paths.display)
            ? o.error.message
            : `${paths.display}: ${o.error.message}`,
        );
      } else if (o.kind === 'not-ours') warn(`${paths.display}: left alone: ${o.why}`);
      else if (!quiet) say(`${paths.display}: ${o.kind === 'stopped' ? 'stopped' : 'not running'}`);
    });
  } catch (error) {
    if (!isDaemonError(error)) throw error;
    for (const line of lines(error)) warn(line);
    return exitCodeFor('down', error.code);
  }
  return code;
}

/** `status -f FILE`: one line per service of the file; 0 only when all run. */
export async function projectStatus(args: ParsedArgs): Promise<number> {
  const project = load(args, 'status');
  if (typeof project === 'number') return project;
  const { statusesOf } = await import('../ops/list.js');
  const all = statusesOf([...project.services.keys()].map((s) => pathsOf(project.name, s)));
  const codes = all.map((s) => s.code);
  const code = codes.includes(4) ? 4 : codes.includes(1) ? 1 : codes.some((c) => c !== 0) ? 3 : 0;
  if (args.flags.quiet) return code;
  if (args.flags.json) out(`${terminalJson(all)}\n`);
  else {
    const color = colorFor(1, args.flags);
    for (const s of all)
      out(
        `${paintStatusLine(terminalSafe(statusLine(s)), terminalSafe(s.name), s.state, color)}\n`,
      );
  }
  return code;
}

/**
 * A service's name as the file has it (`status web` → shop.web): with -f FILE, or inside the
 * directory of a daemonkit.toml when no service is called `web` by itself. Else the name stays.
 */
export function fileName(name: string, given: string | undefined): string {
  if (name.includes('.') && given === undefined) return name;
  if (given === undefined && (!existsSync(DEFAULT_FILE) || serviceKnown(servicePaths({ name }))))
    return name;
  const peek = peekProject(given ?? DEFAULT_FILE);
  return peek?.services.includes(name) ? `${peek.name}.${name}` : name;
}
