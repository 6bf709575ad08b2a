/** `status`, `list`, and the word for a service that does not exist. */
import type { DaemonError } from '../../errors/errors.js';
import { exitCodeFor, EXIT } from '../../errors/exit-codes.js';
import {
  commandLines,
  listEntries,
  listLines,
  statusLine,
  terminalJson,
  terminalSafe,
} from '../../service/format.js';
import { statusDetails } from '../../service/format-details.js';
import type { Problems } from '../../config/options.js';
import type { ServicePaths } from '../../config/paths.js';
import type { ParsedArgs } from '../args.js';
import { colorFor, paintListRow, paintStatusLine } from '../color.js';
import { out } from '../print.js';
import { say, warn } from '../report.js';
import type { VerbCall } from './verb.js';
import type { ServiceStatus } from '../../service/status.js';

export async function status({ args, paths, quiet }: VerbCall): Promise<number> {
  const { serviceStatus } = await import('../../service/status.js');
  const s = serviceStatus(paths);
  if (quiet) return s.code; // the exit code says it (as systemctl is-active --quiet)
  if (args.flags.json) out(`${terminalJson(s)}\n`);
  else {
    const color = colorFor(1, args.flags);
    out(`${paintStatusLine(terminalSafe(statusLine(s)), terminalSafe(s.name), s.state, color)}\n`);
    for (const line of commandLines(s)) say(line);
    if (args.flags.verbose) for (const line of statusDetails(s)) say(line);
  }
  return s.code;
}

/** No such service: one line on stderr (not with -q); `status --json` still prints its record. */
export async function noSuch(
  paths: ServicePaths,
  action: 'stop' | 'status' | 'logs',
  missing: DaemonError,
  json: boolean,
  quiet: boolean,
): Promise<number> {
  if (!quiet) warn(missing.message);
  if (action === 'status' && json && !quiet) {
    const { serviceStatus } = await import('../../service/status.js');
    out(`${terminalJson(serviceStatus(paths))}\n`);
  }
  return exitCodeFor(action, missing.code);
}

/** Standalone services first (sorted stably: as listed otherwise), then each project's, by
 *  name. */
function byProject(a: ServiceStatus, b: ServiceStatus): number {
  const x = a.project ? a.project.project : null;
  const y = b.project ? b.project.project : null;
  if (x === null || y === null) return x === y ? 0 : x === null ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `list`: it acts on every service, and takes the problems of its arguments as they are. */
export async function list(args: ParsedArgs, problems: Problems): Promise<number> {
  for (const p of problems.list) warn(p);
  if (problems.list.length > 0) return EXIT.BAD_ARGS;
  if (args.flags.quiet) return EXIT.OK; // -q: nothing to say (as for every command)
  const { listServices } = await import('../../ops/list.js');
  const { daemonkitHome } = await import('../../config/paths.js');
  // Grouped by project (`daemonkit up`): standalone services first, then each project's.
  const rows = listServices(daemonkitHome()).sort(byProject);
  if (args.flags.json) out(`${terminalJson(rows)}\n`);
  else if (rows.length === 0) say(`no services under ${daemonkitHome()}`);
  else {
    // its cells made printable, its lines kept: one per row after the heading
    const color = colorFor(1, args.flags);
    const lines = listLines(rows);
    // A row per service, then one per COMMAND of a service with several (listEntries); a
    // project's services under its heading.
    let text = lines[0]!;
    let line = 1;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const p = row.project;
      if (p && p.project !== rows[i - 1]?.project?.project)
        text += `\n${terminalSafe(`project ${p.project} (${p.file}):`)}`;
      if (!color) {
        // uncoloured, its rows are as listLines made them (paintListRow would change nothing)
        for (let k = 0; k <= (row.commands?.length ?? 0); k++) text += `\n${lines[line++]!}`;
        continue;
      }
      for (const e of listEntries([row]))
        text += `\n${paintListRow(lines[line++]!, terminalSafe(e.name), e.state, color)}`;
    }
    out(`${text}\n`);
  }
  return EXIT.OK;
}
