/**
 * `restart` changes exactly the options it is given (pure, table-tested): the recorded start
 * (spec.json) is turned back into the options that make it, the given ones are laid over them
 * option by option, and the caller validates the result as a whole — so `--log-keep 2` is
 * judged with the recorded `--log-max-size`, and `--restart-delay 2s` keeps `--restart always`.
 * Options are handled generically (by key): which are lists, keyed how, and which need another
 * come from the option table; one small table says which are replaced along with another.
 */
import type { StartOptions } from '../config/options.js';
import type { RecordedSpec } from '../service/spec-file.js';
import { describeReady } from '../config/ready-spec.js';
import { START_ROWS, optionKey, optionRow } from '../config/table/index.js';
import { DEFAULT_LISTEN_MODE } from '../config/listen-addr.js';

export type OptionKey = keyof StartOptions;

/** An item's key in a list merged item by item: a given `--env A=2` replaces the recorded `A`
 *  only (the lists are the table's repeatable options, each item `KEY=…`). */
const itemKey = (item: string): string => item.slice(0, Math.max(0, item.indexOf('=')));
const LISTS: ReadonlySet<string> = new Set(
  START_ROWS.filter((r) => r.repeatable && !r.wholeList).map((r) => optionKey(r)),
);

/** An option that goes when the one it needs is cleared (and is not given again now). */
const NEEDS: Readonly<Record<string, string>> = Object.fromEntries(
  START_ROWS.filter((r) => r.needs).map((r) => [optionKey(r), optionKey(optionRow(r.needs!))]),
);

/** Options replaced along with another one given now: a new --user does not keep the old user's
 *  group. */
const REPLACED_WITH: Partial<Record<OptionKey, OptionKey[]>> = {
  user: ['group'],
  listen: ['listenMode'],
};

const asList = (value: StartOptions['env'] | string[]): string[] =>
  Array.isArray(value) ? value : Object.entries(value ?? {}).map(([k, v]) => `${k}=${v}`);

function mergeList(recorded: string[], given: string[], keyOf: (item: string) => string): string[] {
  const givenKeys = new Set(given.map(keyOf));
  return [...recorded.filter((item) => !givenKeys.has(keyOf(item))), ...given];
}

/**
 * The recorded options with the given ones laid over them. `cleared` options (`--no-X`) go back
 * to their defaults first (their dependents with them); a cleared option given again now
 * (`--no-env --env A=1`) starts from nothing.
 */
export function mergeOptions(
  recorded: StartOptions,
  given: StartOptions,
  cleared: ReadonlySet<OptionKey> = new Set(),
): StartOptions {
  const out: Record<string, unknown> = { ...recorded };
  const drop = (key: OptionKey): void => {
    delete out[key];
    for (const [dependent, base] of Object.entries(NEEDS))
      if (base === key && !(dependent in given)) delete out[dependent];
  };
  for (const key of cleared) drop(key);
  for (const key of Object.keys(given) as OptionKey[]) {
    if (given[key] === undefined) continue;
    for (const other of REPLACED_WITH[key] ?? []) if (!(other in given)) delete out[other];
    out[key] =
      LISTS.has(key) && out[key] !== undefined
        ? mergeList(
            asList(out[key] as StartOptions['env']),
            asList(given[key] as StartOptions['env']),
            itemKey,
          )
        : given[key];
  }
  return out as StartOptions;
}

const ms = (value: number): string => `${value}ms`;
const limitText = ([name, soft, hard]: [string, number, number]): string => {
  const n = (v: number): string => (v === -1 ? 'unlimited' : String(v));
  return `${name}=${n(soft)}:${n(hard)}`;
};

/**
 * The options, as `start` takes them, that make the recorded start: validating them gives back
 * what was recorded. Paths are the absolute ones recorded; a stderr that went with stdout is left
 * out, so it goes with stdout again (to a new one given now, too).
 */
export function optionsFromRecord(rec: RecordedSpec): StartOptions {
  const o: StartOptions = {
    chdir: rec.chdir,
    umask: rec.umask,
    stdin: rec.stdin,
    graceMs: rec.graceMs,
  };
  if (rec.stdout !== null) o.stdout = rec.stdout;
  if (rec.stderr !== null && rec.stderr !== rec.stdout) o.stderr = rec.stderr;
  if (rec.envOverrides.length > 0) o.env = [...rec.envOverrides];
  if (rec.restart) {
    const p = rec.restart;
    Object.assign(o, {
      restart: p.restart,
      restartDelay: ms(p.delayMs),
      restartMaxDelay: ms(p.maxDelayMs),
      minUptime: ms(p.minUptimeMs),
      maxRestarts: p.maxRestarts ?? 'infinity',
      restartWindow: ms(p.windowMs), // null: never give up
    });
  }
  if (rec.limits && rec.limits.length > 0) o.limit = rec.limits.map(limitText);
  if (rec.nice !== undefined) o.nice = rec.nice;
  if (rec.envFile !== undefined) o.envFile = rec.envFile;
  if (rec.clearEnv) o.clearEnv = true;
  if (rec.logs) {
    if (rec.logs.timestamps) o.logTimestamps = true;
    if (rec.logs.maxSize !== null) {
      o.logMaxSize = rec.logs.maxSize;
      o.logKeep = rec.logs.keep;
      if (rec.logs.compress) o.logCompress = true;
    }
  }
  if (rec.ready) {
    o.ready = describeReady(rec.ready);
    if (rec.readyTimeoutMs !== undefined) o.readyTimeout = ms(rec.readyTimeoutMs);
  }
  if (rec.user !== undefined) o.user = rec.user;
  if (rec.group !== undefined) o.group = rec.group;
  if (rec.listen?.length) {
    o.listen = [...rec.listen];
    if (rec.listenMode !== undefined && rec.listenMode !== DEFAULT_LISTEN_MODE)
      o.listenMode = `0${rec.listenMode.toString(8)}`;
  }
  if (rec.instances !== undefined) o.instances = rec.instances;
  return o;
}
