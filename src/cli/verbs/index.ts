/** Each command's function, by its name; the one-call ones are written here. */
import { EXIT } from '../../errors/exit-codes.js';
import type { Problems } from '../../config/options.js';
import type { CommandName, ParsedArgs } from '../args.js';
import { colorFor } from '../color.js';
import { out } from '../print.js';
import { say, warn } from '../report.js';
import { validateArgs } from '../validate.js';
import { restart } from './restart.js';
import { start } from './start.js';
import { list, status } from './status.js';
import { stop } from './stop.js';
import type { Verb } from './verb.js';

const reload: Verb = async ({ paths, valid, quiet }) => {
  const { reloadService } = await import('../../ops/reload.js');
  const { pid } = reloadService(paths, valid.signal!);
  if (!quiet) say(`${paths.display}: sent ${valid.signal} to pid ${pid}`);
  return EXIT.OK;
};

const reopen: Verb = async ({ paths, quiet }) => {
  const { reopenLogs } = await import('../../ops/reopen.js');
  const { pid } = await reopenLogs(paths);
  if (!quiet) say(`${paths.display}: log files reopened (pid ${pid})`);
  return EXIT.OK;
};

const logs: Verb = async ({ args, paths, valid }) => {
  const { showLogs } = await import('../logs.js');
  return await showLogs(paths, valid.lines!, Boolean(args.flags.follow), {
    stdout: colorFor(1, args.flags),
    stderr: colorFor(2, args.flags),
  });
};

const exportUnit: Verb = async ({ args, paths, valid }) => {
  const { exportSystemd } = await import('../export.js');
  return exportSystemd(paths, args, valid.start!, valid.schedule!);
};

const run: Verb = async ({ args, paths, valid }) => {
  const { runForeground } = await import('../run.js');
  return await runForeground(paths, args.rest!, valid.start!);
};

const rm: Verb = async ({ paths, quiet }) => {
  const { removeService } = await import('../../ops/remove.js');
  const { dir, removed } = removeService(paths);
  if (!quiet)
    say(
      `${paths.display}: removed ${dir} (${removed.length} file${removed.length === 1 ? '' : 's'})`,
    );
  return EXIT.OK;
};

/** The commands on one service. */
export const SERVICE_VERBS: Readonly<Partial<Record<CommandName, Verb>>> = {
  status,
  stop,
  reload,
  start,
  restart,
  reopen,
  logs,
  export: exportUnit,
  run,
  rm,
};

/** The commands on every service, or none: they are given the problems found so far. */
export const OTHER_VERBS: Readonly<
  Partial<Record<CommandName, (args: ParsedArgs, problems: Problems) => Promise<number>>>
> = {
  list,
  top: async (args, problems) => {
    const { interval } = validateArgs(args, problems);
    if (sayProblems(problems)) return EXIT.BAD_ARGS;
    const { runTop } = await import('../top/main.js');
    return runTop({ intervalMs: interval!, color: colorFor(1, args.flags) });
  },
  completion: async (args, problems) => {
    validateArgs(args, problems);
    if (sayProblems(problems)) return EXIT.BAD_ARGS;
    const { completionScript } = await import('../completion.js');
    out(completionScript(args.flags.shell![0] as 'bash' | 'zsh' | 'fish'));
    return EXIT.OK;
  },
};

/** Each problem on its line; true when there was one. */
export function sayProblems(problems: Problems): boolean {
  for (const p of problems.list) warn(p);
  return problems.list.length > 0;
}
