/** The CLI's commands: validate, call the library, print, return the exit code. */
import { existsSync } from 'node:fs';
import { type DaemonError, isDaemonError } from '../errors/errors.js';
import { exitCodeFor, EXIT, type Action } from '../errors/exit-codes.js';
import {
  Problems,
  validateIdentity,
  validateLineCount,
  validateSignal,
  validateStart,
  validateStop,
  type ValidStart,
} from '../config/options.js';
import { printable, servicePaths, type ServicePaths } from '../config/paths.js';
import { noSuchService } from '../service/known.js';
import type { StopSchedule } from '../config/schedule.js';
import type { ParsedArgs } from './args.js';
import { FLAGS } from './flags.js';
import { quoted, shellWord, strandedArgs } from './relative-args.js';
import { planRestart, restartSpec, type RestartPlan } from './restart.js';
import { listTable, statusLine, terminalJson, terminalSafe } from '../service/format.js';
import type { ServiceStatus } from '../service/status.js';
import { commandLine, failedStartReport, statusDetails } from '../service/format-details.js';
import { err, out } from './print.js';
import { colorFor, paintListRow, paintStatusLine } from './color.js';
import { validateInterval } from './top/interval.js';
import { startOptions } from './start-options.js';

// Every line may carry a service's words (its STATUS=, an exit reason, a path it chose): made
// printable here, once, for every command.
const say = (text: string): void => out(`${terminalSafe(text)}\n`);
const warn = (text: string): void => err(`daemonkit: ${terminalSafe(text)}\n`);

function report(action: Action, error: unknown, paths?: ServicePaths): number {
  if (!isDaemonError(error)) throw error;
  for (const line of problemLines(error)) warn(line);
  const tail = error.details.stderrTail;
  if (Array.isArray(tail) && paths) {
    // A failed start: the lines that hold its error, then where the whole log is.
    const identity =
      paths.name !== undefined
        ? `--name ${paths.name}`
        : `--pidfile ${commandLine([paths.pidfile])}`;
    const logFile = typeof error.details.logFile === 'string' ? error.details.logFile : null;
    err(`${failedStartReport(paths.display, identity, tail.map(String), logFile).join('\n')}\n`);
  }
  return exitCodeFor(action, error.code);
}

/** An error's problems, one line each (a start with several names each), else its message. */
function problemLines(error: DaemonError): string[] {
  const list = error.details.problems;
  return Array.isArray(list) && list.length > 0 && list.every((p) => typeof p === 'string')
    ? list
    : [error.message];
}

/** A COMMAND that ended within its grace, started without --chdir from a directory where an
 *  argument names a file that / lacks (`node server.js`): most likely it wanted to run here. */
function chdirHint(error: unknown, command: readonly string[], chdir: string): string | null {
  if (!isDaemonError(error) || error.code !== 'START_FAILED' || error.details.exit === undefined)
    return null;
  const stranded = strandedArgs(command, process.cwd(), chdir);
  if (stranded.length === 0) return null;
  return `hint: the COMMAND runs in ${chdir}, where ${quoted(stranded)} ${stranded.length > 1 ? 'do' : 'does'} not exist: did you mean --chdir ${printable(shellWord(process.cwd()))}?`;
}

/** A command's options, validated (pure): every problem is added to `problems`. */
export function validateArgs(args: ParsedArgs, problems: Problems) {
  const f = args.flags;
  // export names the unit after the COMMAND when no --name is given.
  const exportName =
    args.command === 'export' && !f.name && args.rest?.[0]
      ? (args.rest[0].split('/').pop() ?? '').replace(/[^A-Za-z0-9._@+-]/g, '-')
      : null;
  const identity = {
    ...(f.name ? { name: f.name[0]! } : exportName ? { name: exportName } : {}),
    ...(f.pidfile ? { pidfile: f.pidfile[0]! } : {}),
  };
  const identityProblems = problems.list.length;
  // list and top act on every service, completion on none; top's keys run commands under its home.
  if (!['list', 'top', 'completion'].includes(args.command)) validateIdentity(identity, problems);
  else if (
    args.command === 'top' &&
    process.env.DAEMONKIT_HOME !== undefined &&
    !process.env.DAEMONKIT_HOME.startsWith('/')
  ) {
    problems.add(
      `invalid DAEMONKIT_HOME '${printable(process.env.DAEMONKIT_HOME)}': it must be an absolute path`,
    );
  }
  // restart: the recorded options with the given ones laid over them, validated as a whole.
  const plan =
    args.command === 'restart'
      ? planRestart(
          args,
          startOptions(args),
          problems.list.length === identityProblems ? servicePaths(identity) : null,
        )
      : null;
  const start = ['start', 'run', 'restart', 'export'].includes(args.command)
    ? validateStart(plan?.options ?? startOptions(args), problems)
    : null;
  const schedule: StopSchedule | null = ['stop', 'restart', 'export'].includes(args.command)
    ? validateStop(
        {
          ...(f.timeout ? { timeout: f.timeout[0]! } : {}),
          ...(f.retry ? { retry: f.retry[0]! } : {}),
        },
        problems,
      )
    : null;
  const signal = args.command === 'reload' ? validateSignal(f.signal?.[0], problems) : null;
  const lines = args.command === 'logs' ? validateLineCount(f.lines?.[0], problems) : null;
  const interval = args.command === 'top' ? validateInterval(f.interval?.[0], problems) : null;
  return { identity, plan, start, schedule, signal, lines, interval };
}

export async function runCommand(
  args: ParsedArgs,
  parseProblems: readonly string[] = [],
): Promise<number> {
  const f = args.flags;
  const problems = new Problems();
  for (const p of parseProblems) problems.add(p); // reported together with the options' own
  if (args.command === 'up' || args.command === 'down')
    return (await import('./project.js')).projectCommand(args, problems.list);
  if (f.file && args.command === 'status' && !f.name && !f.pidfile && problems.list.length === 0)
    return (await import('./project.js')).projectStatus(args);
  // A service of a services file by its name there (`status web` → shop.web): with -f FILE, or
  // inside its directory (docs/cli.md#short-names).
  if (f.name && (f.file || !f.name[0]!.includes('.')) && (f.file || existsSync('daemonkit.toml')))
    f.name = [(await import('./project.js')).fileName(f.name[0]!, f.file?.[0])];
  if (args.command === 'list') {
    for (const p of problems.list) warn(p);
    return problems.list.length > 0
      ? EXIT.BAD_ARGS
      : list(Boolean(f.json), Boolean(f.quiet), colorFor(1, f));
  }
  if (args.command === 'top' || args.command === 'completion') {
    const { interval } = validateArgs(args, problems);
    for (const p of problems.list) warn(p);
    if (problems.list.length > 0) return EXIT.BAD_ARGS;
    if (args.command === 'completion') {
      const { completionScript } = await import('./completion.js');
      out(completionScript(f.shell![0] as 'bash' | 'zsh' | 'fish'));
      return EXIT.OK;
    }
    const { runTop } = await import('./top/main.js');
    return runTop({ intervalMs: interval!, color: colorFor(1, f) });
  }
  const quiet = Boolean(f.quiet);
  const { identity, plan, start, schedule, signal, lines } = validateArgs(args, problems);
  if (
    (args.command === 'start' || args.command === 'run') &&
    (args.rest === null || args.rest.length === 0)
  ) {
    problems.add(
      `'${args.command}' needs a COMMAND after --, e.g. daemonkit ${args.command} --name web -- node server.js`,
    );
  }
  if (args.command === 'export' && (args.rest === null || args.rest.length === 0)) {
    if (!f.name && !f.pidfile)
      problems.add(
        `'export systemd' needs a COMMAND after --, e.g. daemonkit export systemd --name web -- node server.js, or the --name of a service started before`,
      );
    // Without a COMMAND the service exports as recorded: options of the start cannot change that.
    const changes = Object.keys(f).filter(
      (k) =>
        Object.hasOwn(FLAGS, k) &&
        FLAGS[k]!.commands !== 'all' &&
        FLAGS[k]!.commands.includes('start') &&
        k !== 'name' &&
        k !== 'pidfile',
    );
    if (changes.length > 0)
      problems.add(
        `'export systemd' without a COMMAND exports the service as recorded at its last start: ${changes.map((k) => `--${k}`).join(', ')} cannot change it (give the COMMAND after -- to export other options)`,
      );
  }
  if (args.rest !== null && !['start', 'run', 'restart', 'export'].includes(args.command))
    problems.add(`'${args.command}' takes no COMMAND`);
  if (f['user-unit'] && f.user)
    problems.add(
      `a user unit (--user) runs as its user's own manager: it cannot also have --user ${f.user[0]!}`,
    );
  if (problems.list.length > 0) {
    // The checks of the files and the COMMAND too (invalid values stand at their defaults), so
    // that one run names every problem; they only read.
    const command = args.rest && args.rest.length > 0 ? args.rest : plan?.recorded?.command;
    if (start && command) {
      try {
        const { buildCommandSpec } = await import('../config/resolve.js');
        // export names --user for systemd to look up where the unit runs: not looked up here.
        const { user: _user, group: _group, ...notUser } = start;
        const opts = args.command === 'export' ? notUser : start;
        buildCommandSpec(command, opts, servicePaths(identity), {
          foreground: args.command === 'run' || args.command === 'export',
          ...(plan ? { recorded: plan.fromRecord } : {}),
        });
      } catch (error) {
        if (isDaemonError(error)) for (const line of problemLines(error)) problems.add(line);
      }
    }
    for (const p of problems.list) warn(p);
    return EXIT.BAD_ARGS;
  }
  const paths = servicePaths(identity);
  const action = args.command;
  try {
    // A mistyped name: said so, with the exit code the action gives for "nothing there".
    if (action === 'stop' || action === 'status' || action === 'logs') {
      const missing = noSuchService(paths);
      if (missing) return await noSuch(paths, action, missing, Boolean(f.json), quiet);
    }
    switch (action) {
      case 'status':
        return await status(paths, Boolean(f.json), Boolean(f.verbose), quiet, colorFor(1, f));
      case 'stop':
        return await stop(paths, schedule!, quiet);
      case 'reload': {
        const { reloadService } = await import('../ops/reload.js');
        const { pid } = reloadService(paths, signal!);
        if (!quiet) say(`${paths.display}: sent ${signal} to pid ${pid}`);
        return EXIT.OK;
      }
      case 'start': {
        const { buildCommandSpec } = await import('../config/resolve.js');
        const { startService, runningPid } = await import('../ops/start.js');
        const { inspectService } = await import('../service/inspect.js');
        // Bad arguments (a COMMAND not found, --stdout a directory) are an error even when the
        // service runs; already running is success (LSB) whatever this caller may not write.
        let spec: ReturnType<typeof buildCommandSpec> | undefined;
        try {
          spec = buildCommandSpec(args.rest!, start!, paths);
        } catch (error) {
          if (
            !isDaemonError(error) ||
            error.code !== 'NO_PERMISSION' ||
            !inspectService(paths).running
          )
            throw error;
        }
        const runningNow = inspectService(paths).running ? await runningPid(paths) : null;
        if (runningNow !== null) {
          if (!quiet) say(`${paths.display}: already running, pid ${runningNow}`);
          return EXIT.OK;
        }
        // the lock went meanwhile: say why we cannot
        spec ??= buildCommandSpec(args.rest!, start!, paths);
        let result: Awaited<ReturnType<typeof startService>>;
        try {
          result = await startService(paths, spec);
        } catch (error) {
          const code = report(action, error, paths);
          const hint = f.chdir ? null : chdirHint(error, args.rest!, spec.chdir);
          if (hint) warn(hint); // after the stderr tail: the last line read
          return code;
        }
        if (result.started && result.logError)
          warn(
            `${paths.display}: ${result.logError}; output waits in the pipe until it can be written`,
          );
        if (!quiet) {
          say(
            result.started
              ? `${paths.display}: started, pid ${result.pid}${result.childPid ? ` (command pid ${result.childPid})` : ''}`
              : `${paths.display}: already running, pid ${result.pid ?? 'unknown'}`,
          );
        }
        return EXIT.OK;
      }
      case 'restart':
        return await restart(paths, args, start!, plan!, schedule!, quiet);
      case 'reopen': {
        const { reopenLogs } = await import('../ops/reopen.js');
        const { pid } = await reopenLogs(paths);
        if (!quiet) say(`${paths.display}: log files reopened (pid ${pid})`);
        return EXIT.OK;
      }
      case 'logs': {
        const { showLogs } = await import('./logs.js');
        return await showLogs(paths, lines!, Boolean(f.follow), {
          stdout: colorFor(1, f),
          stderr: colorFor(2, f),
        });
      }
      case 'export': {
        const { exportSystemd } = await import('./export.js');
        return exportSystemd(paths, args, start!, schedule!);
      }
      case 'run': {
        const { runForeground } = await import('./run.js');
        return await runForeground(paths, args.rest!, start!);
      }
      case 'rm': {
        const { removeService } = await import('../ops/remove.js');
        const { dir, removed } = removeService(paths);
        if (!quiet)
          say(
            `${paths.display}: removed ${dir} (${removed.length} file${removed.length === 1 ? '' : 's'})`,
          );
        return EXIT.OK;
      }
    }
  } catch (error) {
    return report(action, error, paths);
  }
}

/** No such service: one line on stderr (not with -q); `status --json` still prints its record. */
async function noSuch(
  paths: ServicePaths,
  action: 'stop' | 'status' | 'logs',
  missing: DaemonError,
  json: boolean,
  quiet: boolean,
): Promise<number> {
  if (!quiet) warn(missing.message);
  if (action === 'status' && json && !quiet) {
    const { serviceStatus } = await import('../service/status.js');
    out(`${terminalJson(serviceStatus(paths))}\n`);
  }
  return exitCodeFor(action, missing.code);
}

async function list(json: boolean, quiet: boolean, color: boolean): Promise<number> {
  if (quiet) return EXIT.OK; // -q: nothing to say (as for every command)
  const { listServices } = await import('../ops/list.js');
  const { daemonkitHome } = await import('../config/paths.js');
  // Grouped by project (`daemonkit up`): standalone services first, then each project's.
  const group = (s: ServiceStatus): string => (s.project ? `1${s.project.project}` : '0');
  const rows = listServices(daemonkitHome()).sort((a, b) =>
    group(a) < group(b) ? -1 : group(a) > group(b) ? 1 : 0,
  );
  if (json) out(`${terminalJson(rows)}\n`);
  else if (rows.length === 0) say(`no services under ${daemonkitHome()}`);
  else {
    // its cells made printable, its lines kept: one per row after the heading
    const lines = listTable(rows).split('\n');
    const text: string[] = [lines[0]!];
    rows.forEach((row, i) => {
      const p = row.project;
      if (p && p.project !== rows[i - 1]?.project?.project)
        text.push(`${terminalSafe(`project ${p.project} (${p.file}):`)}`);
      text.push(paintListRow(lines[i + 1]!, terminalSafe(row.name), row.state, color));
    });
    out(`${text.join('\n')}\n`);
  }
  return EXIT.OK;
}

async function status(
  paths: ServicePaths,
  json: boolean,
  verbose: boolean,
  quiet: boolean,
  color: boolean,
): Promise<number> {
  const { serviceStatus } = await import('../service/status.js');
  const s = serviceStatus(paths);
  if (quiet) return s.code; // the exit code says it (as systemctl is-active --quiet)
  if (json) out(`${terminalJson(s)}\n`);
  else {
    out(`${paintStatusLine(terminalSafe(statusLine(s)), terminalSafe(s.name), s.state, color)}\n`);
    if (verbose) for (const line of statusDetails(s)) say(line);
  }
  return s.code;
}

async function stop(
  paths: ServicePaths,
  schedule: StopSchedule,
  quiet: boolean,
  forRestart = false,
): Promise<number> {
  const { stopService } = await import('../ops/stop.js');
  // Blocking: the CLI has nothing else to do while it waits (no thread pool to start for it).
  const result = await stopService(paths, schedule, { block: true, forRestart });
  for (const note of result.notes) warn(note);
  if (!quiet)
    say(result.wasRunning ? `${paths.display}: stopped` : `${paths.display}: not running`);
  return EXIT.OK;
}

async function restart(
  paths: ServicePaths,
  args: ParsedArgs,
  start: ValidStart,
  plan: RestartPlan,
  schedule: StopSchedule,
  quiet: boolean,
): Promise<number> {
  const { startService } = await import('../ops/start.js');
  const spec = await restartSpec(paths, args, start, plan);
  // Restarts take turns (systemd queues them too): overlapping ones would stop each other's fresh
  // starts. The lock goes with this process; a plain `stop` does not wait for it.
  const { waitForRestartLock } = await import('../service/pidfile.js');
  waitForRestartLock(paths.restartLock);
  await stop(paths, schedule, true, true);
  const result = await startService(paths, spec);
  if (!quiet)
    say(
      `${paths.display}: ${result.started ? 'restarted' : 'already running'}, pid ${result.pid ?? 'unknown'}`,
    );
  return EXIT.OK;
}
