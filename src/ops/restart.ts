/**
 * `restart`: the recorded start with exactly the options given now changed (restart-merge.ts),
 * the COMMAND replaced only when one is given, and the environment recorded at `start` unless
 * the caller's is asked for; then a stop and a start, one restart of a service at a time.
 * The CLI's `restart` and the library's restartService are both this.
 */
import { closeSync } from 'node:fs';
import { DaemonError } from '../errors/errors.js';
import { Problems, validateStart, type StartOptions, type ValidStart } from '../config/options.js';
import type { ServicePaths } from '../config/paths.js';
import { mergeOptions, optionsFromRecord, type OptionKey } from './restart-merge.js';
import { defaultSchedule, type StopSchedule } from '../config/schedule.js';
import type { CommandSpec } from '../config/spec.js';
import { readSpec, type RecordedSpec } from '../service/spec-file.js';
import { rowOfKey } from '../config/table/index.js';
import type { StopResult } from './stop.js';

export interface RestartPlan {
  /** The last start's record, when it can be used. */
  recorded: RecordedSpec | null;
  /** Why it cannot (damaged, unreadable): an error only when no COMMAND is given. */
  specError: unknown;
  /** The options to validate: the recorded ones with the given ones laid over them. */
  options: StartOptions;
  /** Flags whose value comes from the record (said so when at fault). */
  fromRecord: Set<string>;
  /** A start option given or cleared now: the start is no longer the recorded one. */
  changes: boolean;
}

/** A start option's flag, from its row (`graceMs` is `--grace`). */
const flagOf = (key: string): string => `--${rowOfKey(key)?.name ?? key}`;

/** The options to validate for a restart. paths null: the identity is invalid (said elsewhere);
 *  nothing is read. */
export function planRestart(
  paths: ServicePaths | null,
  given: StartOptions,
  cleared: ReadonlySet<OptionKey> = new Set(),
): RestartPlan {
  const plan: RestartPlan = {
    recorded: null,
    specError: null,
    options: given,
    fromRecord: new Set(),
    changes: Object.keys(given).length > 0 || cleared.size > 0,
  };
  if (!paths) return plan;
  try {
    plan.recorded = readSpec(paths);
  } catch (error) {
    plan.specError = error;
  }
  if (!plan.recorded) return plan; // none (or damaged, and a COMMAND is given): a fresh start
  const recorded = optionsFromRecord(plan.recorded);
  plan.options = mergeOptions(recorded, given, cleared);
  for (const key of Object.keys(recorded)) if (!(key in given)) plan.fromRecord.add(flagOf(key));
  return plan;
}

/** What to start: `command` when given, else the recorded one; and the environment to start
 *  from. (Modules imported when used: the CLI plans every restart it validates.) */
export async function restartSpec(
  paths: ServicePaths,
  valid: ValidStart,
  plan: RestartPlan,
  command: readonly string[] | null,
  updateEnv: boolean,
): Promise<CommandSpec> {
  const { buildCommandSpec } = await import('../config/resolve.js');
  const { readEnvRecord } = await import('../service/spec-file.js');
  let run = command && command.length > 0 ? [...command] : null;
  if (!run) {
    // a damaged one is an error naming what is wrong (exit 6)
    if (plan.specError) throw plan.specError;
    if (!plan.recorded) {
      const { noSuchService } = await import('../service/known.js');
      throw (
        noSuchService(paths) ??
        new DaemonError(
          'BAD_OPTION',
          `${paths.display}: no COMMAND given and none recorded from an earlier start`,
        )
      );
    }
    run = plan.recorded.command;
  }
  // The environment decided at start, unless asked for ours; a fresh start (nothing recorded),
  // or a record from before env.json, starts from ours.
  const baseEnv = updateEnv || !plan.recorded ? process.env : (readEnvRecord(paths) ?? process.env);
  const spec = buildCommandSpec(run, valid, paths, { recorded: plan.fromRecord, baseEnv });
  // A service of a project stays one; changed here, it is no longer what its file defines (the
  // next `up` restarts it as the file has it).
  const project = plan.recorded?.project;
  if (project)
    spec.project =
      (command && command.length > 0) || updateEnv || plan.changes
        ? { ...project, definition: null }
        : project;
  return spec;
}

export interface RestartResult {
  /** false: another start got there first (it runs; `pid` is its). */
  started: boolean;
  pid: number | null;
  /** What the stop saw on the way (a stale pidfile, an orphan stopped), for the caller to show. */
  notes: string[];
}

/**
 * Stop (as part of a restart: a start it cuts short says so), then start `spec`. Restarts take
 * turns on the service's restart lock (systemd queues them too): overlapping ones would stop
 * each other's fresh starts. Waiting for it blocks the thread. `stopped` hears of the stop before
 * the start begins.
 */
export async function stopAndStart(
  paths: ServicePaths,
  spec: CommandSpec,
  schedule: StopSchedule,
  options: { block?: boolean; stopped?: (result: StopResult) => void } = {},
): Promise<RestartResult> {
  const { waitForRestartLock } = await import('../service/pidfile.js');
  const { stopService } = await import('./stop.js');
  const { startService } = await import('./start.js');
  const lock = waitForRestartLock(paths.restartLock);
  try {
    const stop = await stopService(paths, schedule, {
      block: options.block === true,
      forRestart: true,
    });
    options.stopped?.(stop);
    const result = await startService(paths, spec);
    return { started: result.started, pid: result.pid ?? null, notes: stop.notes };
  } finally {
    closeSync(lock);
  }
}

export interface RestartOptions {
  /** Start options to change, as validateStart takes them; the others stay as recorded. */
  options?: StartOptions;
  /** Options put back to their defaults first (the CLI's `--no-env`: 'env'). */
  cleared?: Iterable<OptionKey>;
  /** A new COMMAND; by default the recorded one. */
  command?: readonly string[];
  /** Start from this process's environment instead of the one recorded at start. */
  updateEnv?: boolean;
  /** The stop's schedule; by default defaultSchedule(). */
  schedule?: StopSchedule;
  /** Wait for the stop on the calling thread (see stopService). */
  block?: boolean;
}

/** `daemonkit restart` as a function: BAD_OPTION (every problem in `details.problems`) before
 *  anything stops, else the stop and the start. */
export async function restartService(
  paths: ServicePaths,
  options: RestartOptions = {},
): Promise<RestartResult> {
  const plan = planRestart(paths, options.options ?? {}, new Set(options.cleared ?? []));
  const problems = new Problems();
  const valid = validateStart(plan.options, problems);
  if (problems.list.length > 0)
    throw new DaemonError('BAD_OPTION', problems.list.join('; '), { problems: problems.list });
  const spec = await restartSpec(
    paths,
    valid,
    plan,
    options.command ?? null,
    options.updateEnv === true,
  );
  return stopAndStart(paths, spec, options.schedule ?? defaultSchedule(), {
    block: options.block === true,
  });
}
