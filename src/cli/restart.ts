/**
 * `restart`: the recorded start with exactly the options given now changed (src/restart-merge.ts),
 * the COMMAND replaced only when one is given, and the environment recorded at `start` unless
 * --update-env asks for the caller's.
 */
import { DaemonError } from '../errors/errors.js';
import type { StartOptions, ValidStart } from '../config/options.js';
import type { ServicePaths } from '../config/paths.js';
import { mergeOptions, optionsFromRecord, type OptionKey } from '../ops/restart-merge.js';
import { readSpec, type RecordedSpec } from '../service/spec-file.js';
import type { ParsedArgs } from './args.js';
import { FLAGS } from './flags.js';

export interface RestartPlan {
  /** The last start's record, when it can be used. */
  recorded: RecordedSpec | null;
  /** Why it cannot (damaged, unreadable): an error only when no COMMAND is given. */
  specError: unknown;
  /** The options to validate: the recorded ones with the given ones laid over them. */
  options: StartOptions;
  /** Flags whose value comes from the record (said so when at fault). */
  fromRecord: Set<string>;
}

/** `--grace` is `graceMs`; every other start option is its flag in camelCase. */
const optionKey = (flag: string): OptionKey =>
  (flag === 'grace'
    ? 'graceMs'
    : flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())) as OptionKey;
const flagOf = (key: string): string =>
  key === 'graceMs' ? '--grace' : `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The options cleared by `--no-X` (back to their defaults). */
export function clearedOptions(flags: ParsedArgs['flags']): Set<OptionKey> {
  return new Set(
    Object.keys(flags)
      .filter((f) => f.startsWith('no-'))
      .map((f) => optionKey(f.slice(3))),
  );
}

/** paths null: the identity is invalid (said elsewhere); nothing is read. */
export function planRestart(
  args: ParsedArgs,
  given: StartOptions,
  paths: ServicePaths | null,
): RestartPlan {
  const plan: RestartPlan = {
    recorded: null,
    specError: null,
    options: given,
    fromRecord: new Set(),
  };
  if (!paths) return plan;
  try {
    plan.recorded = readSpec(paths);
  } catch (error) {
    plan.specError = error;
  }
  if (!plan.recorded) return plan; // none (or damaged, and a COMMAND is given): a fresh start
  const recorded = optionsFromRecord(plan.recorded);
  plan.options = mergeOptions(recorded, given, clearedOptions(args.flags));
  for (const key of Object.keys(recorded)) if (!(key in given)) plan.fromRecord.add(flagOf(key));
  return plan;
}

/** What to start: the COMMAND given, else the recorded one; and the environment to start from. */
export async function restartSpec(
  paths: ServicePaths,
  args: ParsedArgs,
  start: ValidStart,
  plan: RestartPlan,
) {
  const { buildCommandSpec } = await import('../config/resolve.js');
  const { readEnvRecord } = await import('../config/env-record.js');
  let command = args.rest && args.rest.length > 0 ? args.rest : null;
  if (!command) {
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
    command = plan.recorded.command;
  }
  // The environment decided at start, unless asked for ours; a fresh start (nothing recorded),
  // or a record from before env.json, starts from ours.
  const baseEnv =
    args.flags['update-env'] || !plan.recorded
      ? process.env
      : (readEnvRecord(paths) ?? process.env);
  const spec = buildCommandSpec(command, start, paths, { recorded: plan.fromRecord, baseEnv });
  // A service of a project stays one; changed here, it is no longer what its file defines
  // (the next `up` restarts it as the file has it).
  const project = plan.recorded?.project;
  if (project) spec.project = changesStart(args) ? { ...project, definition: null } : project;
  return spec;
}

/** A COMMAND, a start option or --no-X / --update-env given: the start is not the recorded one. */
function changesStart(args: ParsedArgs): boolean {
  if (args.rest && args.rest.length > 0) return true;
  return Object.keys(args.flags).some(
    (k) =>
      k.startsWith('no-') ||
      k === 'update-env' ||
      (Object.hasOwn(FLAGS, k) &&
        FLAGS[k]!.commands !== 'all' &&
        FLAGS[k]!.commands.includes('start') &&
        k !== 'name' &&
        k !== 'pidfile'),
  );
}
