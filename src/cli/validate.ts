/** A command's arguments turned into the library's options and validated: every problem at once. */
import { isDaemonError } from '../errors/errors.js';
import {
  type Problems,
  validateIdentity,
  validateLineCount,
  validateSignal,
  validateStart,
  validateStop,
} from '../config/options.js';
import { printable, servicePaths } from '../config/paths.js';
import { planRestart } from '../ops/restart.js';
import type { OptionKey } from '../ops/restart-merge.js';
import type { StopSchedule } from '../config/schedule.js';
import { startOptions, type ParsedArgs } from './args.js';
import { hasOption, optionKey, optionRow } from '../config/table/index.js';
import { FLAGS } from './flags.js';
import { problemLines } from './report.js';
import { validateInterval } from './top/interval.js';

/** A start option's library name, from its row (`--grace` is `graceMs`). */
const optionKeyOf = (flag: string): OptionKey =>
  (hasOption(flag) ? optionKey(optionRow(flag)) : flag) as OptionKey;

/** The options cleared by `--no-X` (back to their defaults). */
export function clearedOptions(flags: ParsedArgs['flags']): Set<OptionKey> {
  return new Set(
    Object.keys(flags)
      .filter((f) => f.startsWith('no-'))
      .map((f) => optionKeyOf(f.slice(3))),
  );
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
          problems.list.length === identityProblems ? servicePaths(identity) : null,
          startOptions(args),
          clearedOptions(args.flags),
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

export type Validated = ReturnType<typeof validateArgs>;

/** What a service command's arguments lack or have too many of, beyond the options' values. */
export function commandProblems(args: ParsedArgs, problems: Problems): void {
  const f = args.flags;
  const noCommand = args.rest === null || args.rest.length === 0;
  if ((args.command === 'start' || args.command === 'run') && noCommand) {
    problems.add(
      `'${args.command}' needs a COMMAND after --, e.g. daemonkit ${args.command} --name web -- node server.js`,
    );
  }
  if (args.command === 'export' && noCommand) exportProblems(args, problems);
  if (args.rest !== null && !['start', 'run', 'restart', 'export'].includes(args.command))
    problems.add(`'${args.command}' takes no COMMAND`);
  if (f['user-unit'] && f.user)
    problems.add(
      `a user unit (--user) runs as its user's own manager: it cannot also have --user ${f.user[0]!}`,
    );
}

/** `export` without a COMMAND exports the service as recorded. */
function exportProblems(args: ParsedArgs, problems: Problems): void {
  const f = args.flags;
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

/**
 * With problems found already: the checks of the files and the COMMAND too (invalid values stand
 * at their defaults), so that one run names every problem; they only read.
 */
export async function commandSpecProblems(
  args: ParsedArgs,
  valid: Validated,
  problems: Problems,
): Promise<void> {
  const { start, plan, identity } = valid;
  const command = args.rest && args.rest.length > 0 ? args.rest : plan?.recorded?.command;
  if (!start || !command) return;
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
