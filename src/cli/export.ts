/**
 * `export systemd`: the service as a systemd unit on stdout; on stderr, one line for each option
 * the unit cannot carry (src/export/systemd-options.ts says which and why). With a COMMAND, the
 * options given; without one, the service as recorded at its last start (spec.json, as `restart`
 * reads it), so what runs exports as it runs.
 */
import { DaemonError } from '../errors/errors.js';
import { EXIT } from '../errors/exit-codes.js';
import { DEFAULT_READY_TIMEOUT_MS, type ValidStart } from '../config/options.js';
import type { ServicePaths } from '../config/paths.js';
import { printable } from '../config/paths.js';
import { buildCommandSpec } from '../config/resolve.js';
import type { StopSchedule } from '../config/schedule.js';
import { readSpec } from '../service/spec-file.js';
import type { CommandSpec } from '../config/spec.js';
import { systemdUnit, unitNotes, type UnitOptions } from '../export/systemd.js';
import type { ParsedArgs } from './args.js';
import { err, out } from './print.js';
import { quoted, shellWord, strandedArgs } from './relative-args.js';
import { parseListen, type ListenAddr } from '../config/listen-addr.js';
import { socketUnits } from '../export/systemd-socket.js';
import { writeUnitFiles } from '../export/write-units.js';

const pair = (item: string): [string, string] => [
  item.slice(0, item.indexOf('=')),
  item.slice(item.indexOf('=') + 1),
];

/** The unit for the COMMAND and options given. User=/Group= as given: systemd looks them up where
 *  the unit runs, so we do not here. */
function fromArgs(paths: ServicePaths, command: string[], start: ValidStart): UnitOptions {
  const { user, group, ...rest } = start;
  const spec = buildCommandSpec(command, rest, paths, { foreground: true });
  return {
    name: paths.display,
    spec,
    env: start.env.map(pair),
    schedule: [],
    userUnit: false,
    ...(user !== undefined ? { user } : {}),
    ...(group !== undefined ? { group } : {}),
  };
}

/** The unit for the service as recorded: the record is used as it is (the COMMAND's path was
 *  resolved at its start), not looked up again. */
function fromRecord(paths: ServicePaths): UnitOptions {
  const r = readSpec(paths); // a damaged one is an error naming what is wrong (exit 6)
  if (!r) {
    throw new DaemonError(
      'BAD_OPTION',
      `${paths.display}: no COMMAND given and none recorded from an earlier start: give it after --, e.g. daemonkit export systemd --name web -- node server.js`,
    );
  }
  const spec: CommandSpec = {
    command: r.command,
    chdir: r.chdir,
    umask: r.umask,
    stdin: r.stdin,
    stdout: r.stdout,
    stderr: r.stderr,
    env: {},
    envOverrides: r.envOverrides,
    graceMs: r.graceMs,
    ...(r.restart ? { restart: r.restart } : {}),
    ...(r.limits ? { limits: r.limits } : {}),
    ...(r.nice !== undefined ? { nice: r.nice } : {}),
    ...(r.envFile ? { envFile: r.envFile } : {}),
    ...(r.clearEnv ? { clearEnv: true } : {}),
    ...(r.logs ? { logs: r.logs } : {}),
    ...(r.ready
      ? { ready: r.ready, readyTimeoutMs: r.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS }
      : {}),
    ...(r.listen?.length
      ? {
          listen: r.listen.map((a) => parseListen(a) as ListenAddr),
          listenMode: r.listenMode ?? 0o666,
        }
      : {}),
  };
  return {
    name: paths.display,
    spec,
    env: r.envOverrides.map(pair),
    schedule: [],
    userUnit: false,
    ...(r.user !== undefined ? { user: r.user } : {}),
    ...(r.group !== undefined ? { group: r.group } : {}),
  };
}

export function exportSystemd(
  paths: ServicePaths,
  args: ParsedArgs,
  start: ValidStart,
  schedule: StopSchedule,
): number {
  const f = args.flags;
  const given = args.rest !== null && args.rest.length > 0;
  const u: UnitOptions = {
    ...(given ? fromArgs(paths, args.rest!, start) : fromRecord(paths)),
    schedule,
    userUnit: Boolean(f['user-unit']),
    ...(f.pidfile ? { pidfile: f.pidfile[0]! } : {}),
  };
  const text = systemdUnit(u);
  for (const note of unitNotes(u)) err(`daemonkit: ${note}\n`);
  // `node server.js` typed here runs in / without --chdir: the unit could not find server.js.
  const stranded = given && !f.chdir ? strandedArgs(args.rest!, process.cwd(), u.spec.chdir) : [];
  if (stranded.length > 0) {
    err(
      `daemonkit: ${quoted(stranded)} ${stranded.length > 1 ? 'are relative paths' : 'is a relative path'} from here, but the unit runs in ${u.spec.chdir} (WorkingDirectory=): give --chdir ${printable(shellWord(process.cwd()))} or an absolute path\n`,
    );
  }
  const sockets = socketUnits(u);
  const dir = f.output?.[0];
  if (dir === undefined) {
    if (sockets.length > 0)
      throw new DaemonError(
        'BAD_OPTION',
        `--listen makes ${sockets.length + 1} unit files (${paths.display}.service, ${sockets.map((s) => s.file).join(', ')}): give --output DIR to write them there`,
      );
    out(text);
    return EXIT.OK;
  }
  const written = writeUnitFiles(dir, [{ file: `${u.name}.service`, text }, ...sockets]);
  if (!f.quiet) for (const path of written) out(`${printable(path)}\n`);
  return EXIT.OK;
}
