/**
 * `export systemd -f FILE`: a unit per service of the file and PROJECT.target, printed (each
 * file after a `# FILE` line), written in --output DIR, or with --install into systemd's own
 * directory, followed by the two systemctl commands that load and start them. The units run this
 * node and this CLI by their paths: a path a version manager moves (nvm …) is warned of.
 */
import { mkdirSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { printable } from '../config/paths.js';
import { resolveExecutable } from '../config/resolve.js';
import { hasOption, optionRow, takes } from '../config/table/index.js';
import { DaemonError } from '../errors/errors.js';
import { EXIT } from '../errors/exit-codes.js';
import { projectUnits, versionManager } from '../export/project.js';
import { writeUnitFiles } from '../export/write-units.js';
import type { UnitFile } from '../export/systemd-socket.js';
import type { Project } from '../project/file.js';
import { terminalSafe } from '../service/format.js';
import type { ParsedArgs } from './args.js';
import { err, out } from './print.js';

/** What the command line gives that a services file's export cannot take. */
function argumentProblems(args: ParsedArgs, problems: readonly string[]): string[] {
  const f = args.flags;
  const bad = [...problems];
  if (args.rest !== null)
    bad.push("'export systemd -f FILE' takes no COMMAND: the services file has them");
  for (const k of ['name', 'pidfile', 'service'])
    if (f[k])
      bad.push(
        `'export systemd -f FILE' exports every service of the file: no ${k === 'service' ? 'SERVICE' : `--${k}`}`,
      );
  for (const k of Object.keys(f))
    if (
      hasOption(k) &&
      takes(optionRow(k), 'start') &&
      !['file', 'quiet', 'name', 'pidfile'].includes(k)
    )
      bad.push(
        `option --${k} does not apply to 'export systemd -f FILE': give it in the file, as a key of a service`,
      );
  if (f.install && f.output) bad.push('give either --install or --output DIR, not both');
  return bad;
}

/** A user unit cannot switch users: a service with a user is refused. */
function refuseUsers(project: Project): void {
  for (const s of project.services.values())
    if (s.start.user !== undefined)
      throw new DaemonError(
        'BAD_OPTION',
        `${project.shown}: services.${s.short} has user = '${printable(s.start.user)}': a user unit runs under its user's own manager and cannot switch users (leave --user out)`,
      );
}

/**
 * Each COMMAND by the path `up` would run from here: the unit does not depend on systemd's PATH.
 * One not found is said (the unit looks for it on systemd's PATH). The paths found, each named.
 */
function resolveCommands(project: Project): [string, string][] {
  const commands: [string, string][] = [];
  for (const s of project.services.values()) {
    const found = resolveExecutable(s.command[0]!, process.env.PATH, s.start.chdir);
    if (found) {
      s.command = [found, ...s.command.slice(1)];
      commands.push([`services.${s.short}'s COMMAND`, found]);
    } else
      err(
        `daemonkit: ${printable(project.shown)}: services.${s.short}: COMMAND ${printable(s.command[0]!)} is not found from here: the unit looks for it on systemd's PATH\n`,
      );
  }
  return commands;
}

/** A path the units run that a version manager (nvm …) moves away: warned of. */
function warnVersionManagers(paths: readonly (readonly [string, string])[]): void {
  for (const [what, path] of paths) {
    const manager = versionManager(path);
    if (manager)
      err(
        `daemonkit: the units run ${what} at ${printable(path)}, a path ${manager} changes when it installs another version: the services will not start once it is gone (install it where it stays, e.g. /usr/local, and export again)\n`,
      );
  }
}

/** The units printed, or written in --output DIR or (--install) systemd's directory. */
function placeUnits(
  args: ParsedArgs,
  project: Project,
  units: readonly UnitFile[],
  userUnit: boolean,
): number {
  const f = args.flags;
  const dir = f.install
    ? userUnit
      ? join(homedir(), '.config', 'systemd', 'user')
      : '/etc/systemd/system'
    : f.output?.[0];
  if (dir === undefined) {
    out(units.map((u) => `# ${u.file}\n${u.text}`).join('\n'));
    return EXIT.OK;
  }
  if (f.install) mkdirSync(dir, { recursive: true, mode: 0o755 });
  const written = writeUnitFiles(dir, units);
  if (!f.quiet) for (const path of written) out(`${printable(path)}\n`);
  if (f.install && !f.quiet) {
    const ctl = userUnit ? 'systemctl --user' : 'systemctl';
    out(`now run:\n  ${ctl} daemon-reload\n  ${ctl} enable --now ${project.name}.target\n`);
  }
  return EXIT.OK;
}

export async function exportProject(
  args: ParsedArgs,
  problems: readonly string[],
): Promise<number> {
  const f = args.flags;
  const bad = argumentProblems(args, problems);
  if (bad.length > 0) {
    for (const p of bad) err(`daemonkit: ${terminalSafe(p)}\n`);
    return EXIT.BAD_ARGS;
  }
  const { loadProject, projectFile } = await import('../project/file.js');
  const given = f.file?.[0];
  const project = loadProject(projectFile(given), undefined, given);
  const userUnit = Boolean(f['user-unit']);
  if (userUnit) refuseUsers(project);
  const node = process.execPath;
  const cli = realpathSync(process.argv[1]!);
  const commands = resolveCommands(project);
  warnVersionManagers([['node', node], ["daemonkit's CLI", cli], ...commands]);
  const home = process.env.DAEMONKIT_HOME;
  const units = projectUnits(project, { node, cli, userUnit, ...(home ? { home } : {}) });
  return placeUnits(args, project, units, userUnit);
}
