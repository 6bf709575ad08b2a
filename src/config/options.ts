/**
 * Option validation, once, at the boundary (pure): every problem is reported at once, each
 * naming the value at fault. Shared by the CLI and the library.
 */
import { checkName, printable } from './paths.js';
import { defaultSchedule, type StopSchedule } from './schedule.js';
import { DEFAULT_POLICY, type RestartMode, type RestartPolicy } from './restart-policy.js';
import { DEFAULT_LOG_POLICY, type LogPolicy } from './log-policy.js';
import { validateLogs } from './log-options.js';
import { validateUser } from './user-options.js';
import { validateListen } from './listen-options.js';
import { DEFAULT_LISTEN_MODE, type ListenAddr } from './listen-addr.js';
import type { ReadySpec } from './ready-spec.js';
import {
  checkList,
  checkOption,
  invalid,
  optionRow,
  type Given,
  type Limit,
} from './table/index.js';

export { validateLogs } from './log-options.js';
export { parseLimit } from './table/index.js';

export interface IdentityOptions {
  name?: string;
  pidfile?: string;
}

export interface RestartOptions {
  restart?: string; // no | on-failure | always
  restartDelay?: string; // durations: 100ms, 2s, 1m; bare numbers are seconds
  restartMaxDelay?: string;
  minUptime?: string;
  /** 0 to 1000000, or `'infinity'` / `Infinity`: never give up. */
  maxRestarts?: string | number;
  restartWindow?: string;
}

export interface StartOptions extends IdentityOptions, RestartOptions {
  /** `NAME=N` or `NAME=SOFT:HARD` (`unlimited` allowed): nofile, core, nproc, memlock, stack,
   *  as, fsize, cpu. */
  limit?: string[];
  nice?: string | number;
  /** dotenv file read at every start and restart; --env values win over it. */
  envFile?: string;
  /** Start the COMMAND from an empty environment (plus PATH, the env file and --env). */
  clearEnv?: boolean;
  chdir?: string;
  umask?: string | number;
  stdin?: string;
  stdout?: string;
  stderr?: string;
  env?: string[] | Record<string, string>;
  graceMs?: number | string;
  /** Prefix each log line with an ISO-8601 UTC timestamp. */
  logTimestamps?: boolean;
  /** Rotate the log file at this size: `10M`, `256K`, bytes as a number. */
  logMaxSize?: string | number;
  /** Rotated files kept (default 5). */
  logKeep?: string | number;
  /** gzip rotated files. */
  logCompress?: boolean;
  /** Readiness: `notify`, `tcp:[HOST:]PORT` or `fd:N`. */
  ready?: string;
  /** How long to wait for readiness (a duration; default 60 s). */
  readyTimeout?: string | number;
  /** Run the COMMAND as this user (a name or uid; `USER:GROUP` also sets the group). Needs root. */
  user?: string | number;
  /** The COMMAND's group (a name or gid) instead of the user's primary group; needs `user`. */
  group?: string | number;
  /** Sockets held for the service's life, given to each COMMAND as fds 3, 4, …:
   *  `[NAME=]tcp:[HOST:]PORT`, `[NAME=]unix:PATH`. */
  listen?: string[];
  /** The mode of unix: sockets (octal, default 0666). */
  listenMode?: string | number;
  /** Copies of the COMMAND under one supervisor, sharing the sockets (default 1). */
  instances?: string | number;
}

export interface ValidStart {
  restart: RestartPolicy;
  limits: [string, number, number][];
  nice?: number;
  envFile?: string;
  clearEnv: boolean;
  chdir: string;
  umask: number;
  stdin: string;
  stdout?: string;
  stderr?: string;
  env: string[]; // KEY=VALUE
  graceMs: number;
  logs: LogPolicy;
  ready?: ReadySpec;
  readyTimeoutMs: number;
  user?: string; // a name or uid, checked for form only (looked up in src/user.ts)
  group?: string;
  listen: ListenAddr[];
  listenMode: number;
  instances?: number;
}

/** A row's default, parsed by its own kind (a test checks every default parses). */
function defaultOf<T>(name: string): T {
  const row = optionRow(name);
  const parsed = row.kind.parse(row.default ?? '');
  if (!parsed.ok) throw new Error(`--${name}'s default does not parse: ${parsed.why}`);
  return parsed.value as T;
}

export const DEFAULT_GRACE_MS = defaultOf<number>('grace');
export const DEFAULT_READY_TIMEOUT_MS = defaultOf<number>('ready-timeout');
const DEFAULT_UMASK = defaultOf<number>('umask');
const DEFAULT_STDIN = defaultOf<string>('stdin');

export class Problems {
  readonly list: string[] = [];
  add(problem: string): void {
    this.list.push(problem);
  }
}

export function validateIdentity(
  opts: IdentityOptions,
  problems: Problems,
  env: NodeJS.ProcessEnv = process.env,
): void {
  if (env.DAEMONKIT_HOME !== undefined && !env.DAEMONKIT_HOME.startsWith('/')) {
    problems.add(
      `invalid DAEMONKIT_HOME '${printable(env.DAEMONKIT_HOME)}': it must be an absolute path`,
    );
  }
  if (opts.name === undefined && opts.pidfile === undefined)
    problems.add('a service needs --name NAME or --pidfile PATH');
  if (opts.name !== undefined) {
    const why = checkName(opts.name);
    if (why) problems.add(why);
  }
  if (opts.pidfile !== undefined) {
    if (opts.pidfile === '' || opts.pidfile.includes('\0') || opts.pidfile.endsWith('/')) {
      problems.add(`invalid --pidfile '${printable(opts.pidfile)}': it must name a file`);
    }
  }
}

/** `--name`'s value, checked by its row when given: undefined when not given or refused. */
function given<T>(name: string, value: Given | undefined, problems: Problems): T | undefined {
  return value === undefined ? undefined : checkOption<T>(name, value, problems);
}

/** --env as a list of KEY=VALUE, or (library) a record: each checked by the row. */
function validateEnv(env: StartOptions['env'], problems: Problems): string[] {
  const out: string[] = [];
  const row = optionRow('env');
  const entries: [string | null, string][] = Array.isArray(env)
    ? env.map((item) => [null, item])
    : Object.entries(env ?? {}).map(([k, v]) => [k, `${k}=${v}`]);
  for (const [key, item] of entries) {
    const parsed = row.kind.parse(item);
    // A record's key must be the whole name: { 'A=B': 'c' } is not A set to B=c.
    if (parsed.ok && (key === null || item.slice(0, item.indexOf('=')) === key)) out.push(item);
    else
      problems.add(
        invalid(
          row,
          item,
          parsed.ok ? "use KEY=VALUE with KEY made of letters, digits and '_'" : parsed.why,
        ),
      );
  }
  return out;
}

export function validateStart(opts: StartOptions, problems: Problems): ValidStart {
  // The order of the checks is the order of the problems said.
  const umask = given<number>('umask', opts.umask, problems) ?? DEFAULT_UMASK;
  const graceMs = given<number>('grace', opts.graceMs, problems) ?? DEFAULT_GRACE_MS;
  const env = validateEnv(opts.env, problems);
  const restart = validateRestart(opts, problems);
  const limits = checkList(optionRow('limit'), opts.limit ?? []);
  for (const why of limits.whys) problems.add(why);
  const out: ValidStart = {
    restart,
    limits: limits.values as Limit[],
    chdir: '/',
    umask,
    stdin: DEFAULT_STDIN,
    env,
    graceMs,
    clearEnv: opts.clearEnv === true,
    logs: DEFAULT_LOG_POLICY,
    readyTimeoutMs: DEFAULT_READY_TIMEOUT_MS,
    listen: [],
    listenMode: DEFAULT_LISTEN_MODE,
  };
  out.chdir = given<string>('chdir', opts.chdir, problems) ?? out.chdir;
  out.stdin = given<string>('stdin', opts.stdin, problems) ?? out.stdin;
  const ready = given<ReadySpec>('ready', opts.ready, problems);
  if (ready !== undefined) out.ready = ready;
  out.readyTimeoutMs =
    given<number>('ready-timeout', opts.readyTimeout, problems) ?? out.readyTimeoutMs;
  if (opts.readyTimeout !== undefined && opts.ready === undefined)
    problems.add('--ready-timeout needs --ready');
  const envFile = given<string>('env-file', opts.envFile, problems);
  if (envFile !== undefined) out.envFile = envFile;
  const nice = given<number>('nice', opts.nice, problems);
  if (nice !== undefined) out.nice = nice;
  out.logs = validateLogs(opts, problems);
  const stdout = given<string>('stdout', opts.stdout, problems);
  const stderr = given<string>('stderr', opts.stderr, problems);
  if (stdout !== undefined) out.stdout = stdout;
  if (stderr !== undefined) out.stderr = stderr;
  validateUser(opts, out, problems);
  validateListen(opts, out, problems);
  const instances = given<number>('instances', opts.instances, problems);
  if (instances !== undefined && instances > 1) out.instances = instances; // 1: as not given
  return out;
}

/** The restart policy from --restart and its tuning options. */
export function validateRestart(opts: RestartOptions, problems: Problems): RestartPolicy {
  const policy: RestartPolicy = { ...DEFAULT_POLICY };
  policy.restart = given<RestartMode>('restart', opts.restart, problems) ?? policy.restart;
  const durations: [
    string,
    Given | undefined,
    'delayMs' | 'maxDelayMs' | 'minUptimeMs' | 'windowMs',
  ][] = [
    ['restart-delay', opts.restartDelay, 'delayMs'],
    ['restart-max-delay', opts.restartMaxDelay, 'maxDelayMs'],
    ['min-uptime', opts.minUptime, 'minUptimeMs'],
    ['restart-window', opts.restartWindow, 'windowMs'],
  ];
  for (const [name, value, field] of durations)
    policy[field] = given<number>(name, value, problems) ?? policy[field];
  const max = given<number | null>('max-restarts', opts.maxRestarts, problems);
  if (max !== undefined) policy.maxRestarts = max;
  if (policy.restart !== 'no' && policy.delayMs === 0)
    problems.add('invalid --restart-delay 0: restarts need a delay of at least 1ms');
  if (policy.windowMs === 0)
    problems.add('invalid --restart-window 0: the window must be longer than 0');
  return policy;
}

/** --timeout DURATION and --retry SCHEDULE → one schedule (default TERM/10/KILL/5). */
export function validateStop(
  opts: { timeout?: string; retry?: string },
  problems: Problems,
): StopSchedule {
  // Each value is checked even when both are given, so every problem is said at once.
  const before = problems.list.length;
  if (opts.timeout !== undefined && opts.retry !== undefined)
    problems.add('give either --timeout or --retry, not both (--retry TERM/N/KILL/M says both)');
  let schedule: StopSchedule | null = null;
  if (opts.retry !== undefined) {
    const parsed = optionRow('retry').kind.parse(opts.retry);
    if (parsed.ok) schedule = parsed.value as StopSchedule;
    else problems.add(`invalid --retry: ${parsed.why}`);
  }
  const ms = given<number>('timeout', opts.timeout, problems);
  if (ms !== undefined) schedule ??= defaultSchedule(ms / 1000);
  return problems.list.length > before ? defaultSchedule() : (schedule ?? defaultSchedule());
}

export function validateSignal(value: string | undefined, problems: Problems): NodeJS.Signals {
  return given<NodeJS.Signals>('signal', value, problems) ?? defaultOf<NodeJS.Signals>('signal');
}

/** `logs -n N`: how many lines to show first (default 50). */
export function validateLineCount(value: string | undefined, problems: Problems): number {
  // 15 digits: every such number is exact in a double (as many lines as there can be).
  return given<number>('lines', value, problems) ?? defaultOf<number>('lines');
}
