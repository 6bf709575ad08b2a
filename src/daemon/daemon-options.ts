/**
 * A Daemon's and daemonize()'s options (DaemonizeOptions), checked once and all together: the
 * option table's checks, shared with the CLI, plus what only a library program can get wrong
 * (user, group or listen, which are a COMMAND's; log options without a restart policy). Every
 * problem goes into one BAD_OPTION error in the library's words (`restartDelay`, not
 * `--restart-delay`).
 */
import { DaemonError } from '../errors/errors.js';
import { Problems, validateIdentity, validateStart, type StartOptions } from '../config/options.js';
import { servicePaths, type ServicePaths } from '../config/paths.js';
import { transformsLogs } from '../config/log-policy.js';
import { optionKey, optionsOf } from '../config/table/index.js';
import { shouldDetach, type DetachOption } from './detect.js';
import { inLibraryWords } from './option-names.js';

/** The options a Daemon takes, by the names its errors use: its identity's and a start's (the
 *  option table's), --retry, and its own two. */
const OPTION_NAMES: ReadonlySet<string> = new Set([
  ...optionsOf('start')
    .filter((r) => r.commands !== 'all')
    .map(optionKey),
  'retry',
  'detach',
  'waitForReady',
]);

/** One BAD_OPTION error for every problem, each in the library's words (`restartDelay`, not
 *  `--restart-delay`). */
export function libraryOptionError(list: readonly string[]): DaemonError {
  const problems = list.map((p) => inLibraryWords(p, OPTION_NAMES));
  return new DaemonError('BAD_OPTION', problems.join('; '), { problems });
}

export interface DaemonizeOptions extends StartOptions {
  /** Wait for an explicit ready() instead of declaring readiness as soon as the daemon runs. */
  waitForReady?: boolean;
  /**
   * 'auto' (default): detach unless started by a service manager or as a container's init
   * (see detect.ts); true: always detach; false: never (the daemon runs in the foreground).
   */
  detach?: DetachOption;
  /** Told how the launch went, in the launcher (daemonize() itself never resolves there). */
  onLaunched?(outcome: LaunchResult): void;
}

export type LaunchResult =
  | { ok: true; started: boolean; pid: number | null }
  | { ok: false; error: DaemonError };

/** Validate once: every problem in one BAD_OPTION error. */
export function resolveDaemonOptions(options: DaemonizeOptions): {
  paths: ServicePaths;
  start: ReturnType<typeof validateStart>;
  detach: DetachOption;
} {
  const problems = new Problems();
  validateIdentity(options, problems);
  const start = validateStart(options, problems);
  if (transformsLogs(start.logs) && start.restart.restart === 'no') {
    // Without a restart policy there is no supervisor: the daemon writes its own stdout.
    problems.add(
      'logTimestamps and logMaxSize need a restart policy (a supervising daemon owns the log files); without one, the daemon writes its own output',
    );
  }
  const detach = options.detach ?? 'auto';
  if (detach !== 'auto' && detach !== true && detach !== false)
    problems.add(`invalid detach '${String(detach)}': use 'auto', true or false`);
  // A Daemon is the program itself, and the launcher's copy of it: there is no COMMAND to drop.
  if (options.user !== undefined || options.group !== undefined)
    problems.add(
      "user and group are for a service's COMMAND (buildCommandSpec, startService), not for a Daemon: run the program with `daemonkit start --user`",
    );
  if (options.listen !== undefined || options.listenMode !== undefined)
    problems.add(
      "listen is for a service's COMMAND (`daemonkit start --listen`); a program takes its sockets with listenFds()",
    );
  if (problems.list.length > 0) throw libraryOptionError(problems.list);
  const paths = servicePaths({
    ...(options.name ? { name: options.name } : {}),
    ...(options.pidfile ? { pidfile: options.pidfile } : {}),
  });
  return { paths, start, detach };
}

/** Whether `start` detaches here: the option, or for 'auto' the new-style rule (detect.ts). */
export function detaches(options: DaemonizeOptions): boolean {
  return shouldDetach(resolveDaemonOptions(options).detach);
}
