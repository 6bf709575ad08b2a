/**
 * Option validation, once, at the boundary (pure): every problem is reported at once, each
 * naming the value at fault. Shared by the CLI and the library.
 */
import { checkName, printable } from './paths.js';
import { defaultSchedule, parseSchedule, parseSignal, type StopSchedule } from './schedule.js';
import {
  DEFAULT_POLICY,
  MAX_RESTARTS_LIMIT,
  type RestartMode,
  type RestartPolicy,
} from '../config/restart-policy.js';
import { parseDuration } from '../config/durations.js';
import { DEFAULT_LOG_POLICY, type LogPolicy } from './log-policy.js';
import { validateLogs } from './log-options.js';
import { validateUser } from './user-options.js';
import { validateListen } from './listen-options.js';
import { DEFAULT_LISTEN_MODE, type ListenAddr } from './listen-addr.js';

export { validateLogs } from './log-options.js';
import { parseReady, type ReadySpec } from './ready-spec.js';

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
}

export const DEFAULT_GRACE_MS = 500;
export const DEFAULT_READY_TIMEOUT_MS = 60_000;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

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

function path(value: string | undefined, flag: string, problems: Problems): string | undefined {
  if (value === undefined) return undefined;
  if (value === '' || value.includes('\0') || value.includes('\n')) {
    problems.add(`invalid --${flag} '${printable(value)}': not a usable path`);
    return undefined;
  }
  return value;
}

export function validateStart(opts: StartOptions, problems: Problems): ValidStart {
  let umask = 0o022;
  if (opts.umask !== undefined) {
    const text = typeof opts.umask === 'number' ? opts.umask.toString(8) : opts.umask;
    if (/^0?[0-7]{1,3}$/.test(text)) umask = Number.parseInt(text, 8);
    else
      problems.add(
        `invalid --umask '${printable(String(opts.umask))}': use an octal mask such as 022 or 0077`,
      );
  }
  let graceMs = DEFAULT_GRACE_MS;
  if (opts.graceMs !== undefined) {
    // Milliseconds, as its name says; with a unit (`2s`) any duration.
    const text = String(opts.graceMs);
    const ms = /^[0-9]{1,9}$/.test(text)
      ? Number(text)
      : /^[0-9.]+(?:ms|s|m|h)$/.test(text)
        ? parseDuration(text)
        : null;
    if (ms !== null && ms <= 999_999_999) graceMs = ms;
    else
      problems.add(
        `invalid --grace '${printable(text)}': a whole number of milliseconds, 0 or more (or a duration such as 2s)`,
      );
  }
  const env: string[] = [];
  const entries: [string, string][] = Array.isArray(opts.env)
    ? opts.env.map((item) => {
        const eq = item.indexOf('=');
        return [eq > 0 ? item.slice(0, eq) : '', item];
      })
    : Object.entries(opts.env ?? {}).map(([k, v]) => [k, `${k}=${v}`]);
  for (const [key, item] of entries) {
    if (!ENV_KEY.test(key) || item.includes('\0'))
      problems.add(
        `invalid --env '${printable(item)}': use KEY=VALUE with KEY made of letters, digits and '_'`,
      );
    else env.push(item);
  }
  const out: ValidStart = {
    restart: validateRestart(opts, problems),
    limits: validateLimits(opts.limit ?? [], problems),
    chdir: path(opts.chdir, 'chdir', problems) ?? '/',
    umask,
    stdin: path(opts.stdin, 'stdin', problems) ?? '/dev/null',
    env,
    graceMs,
    clearEnv: opts.clearEnv === true,
    logs: DEFAULT_LOG_POLICY,
    readyTimeoutMs: DEFAULT_READY_TIMEOUT_MS,
    listen: [],
    listenMode: DEFAULT_LISTEN_MODE,
  };
  if (opts.ready !== undefined) {
    const ready = parseReady(opts.ready);
    if (typeof ready === 'string')
      problems.add(`invalid --ready '${printable(opts.ready)}': ${ready}`);
    else out.ready = ready;
  }
  if (opts.readyTimeout !== undefined) {
    const ms = parseDuration(String(opts.readyTimeout));
    if (ms === null || ms === 0)
      problems.add(
        `invalid --ready-timeout '${printable(String(opts.readyTimeout))}': a duration above 0 such as 30s or 2m (a bare number is seconds)`,
      );
    else out.readyTimeoutMs = ms;
    if (opts.ready === undefined) problems.add('--ready-timeout needs --ready');
  }
  const envFile = path(opts.envFile, 'env-file', problems);
  if (envFile !== undefined) out.envFile = envFile;
  if (opts.nice !== undefined) {
    const text = String(opts.nice);
    if (/^-?[0-9]{1,2}$/.test(text) && Number(text) >= -20 && Number(text) <= 19)
      out.nice = Number(text);
    else problems.add(`invalid --nice '${printable(text)}': a nice value from -20 to 19`);
  }
  out.logs = validateLogs(opts, problems);
  const stdout = path(opts.stdout, 'stdout', problems);
  const stderr = path(opts.stderr, 'stderr', problems);
  if (stdout !== undefined) out.stdout = stdout;
  if (stderr !== undefined) out.stderr = stderr;
  validateUser(opts, out, problems);
  validateListen(opts, out, problems);
  return out;
}

const LIMITS = ['nofile', 'core', 'nproc', 'memlock', 'stack', 'as', 'fsize', 'cpu'];

/** Every --limit, each name once: a second one is refused, not a silent override. (How many the
 *  native side takes is checked where the spec is built: resolve.ts.) */
function validateLimits(texts: readonly string[], problems: Problems): [string, number, number][] {
  const out: [string, number, number][] = [];
  const seen = new Map<string, string>();
  for (const text of texts) {
    const parsed = parseLimit(text);
    if (typeof parsed === 'string') {
      problems.add(`invalid --limit '${printable(text)}': ${parsed}`);
      continue;
    }
    const before = seen.get(parsed[0]);
    if (before !== undefined)
      problems.add(
        `invalid --limit '${printable(text)}': ${parsed[0]} is already set by --limit '${printable(before)}' (give each limit once)`,
      );
    else out.push(parsed);
    seen.set(parsed[0], text);
  }
  return out;
}

/** `nofile=1024`, `core=0`, `nproc=100:200`, `stack=unlimited` → [name, soft, hard] (-1 =
 *  unlimited); else why not. */
export function parseLimit(text: string): [string, number, number] | string {
  const m = /^([a-z]+)=([^:]+)(?::(.+))?$/.exec(text);
  if (!m) return 'use NAME=N or NAME=SOFT:HARD, e.g. nofile=65536 or core=0';
  const [, name, softText, hardText] = m as unknown as [string, string, string, string | undefined];
  if (!LIMITS.includes(name)) return `unknown limit '${name}': use one of ${LIMITS.join(', ')}`;
  const value = (t: string): number | null =>
    t === 'unlimited' || t === 'infinity' ? -1 : /^[0-9]{1,15}$/.test(t) ? Number(t) : null;
  const soft = value(softText);
  const hard = hardText === undefined ? soft : value(hardText);
  if (soft === null || hard === null) return 'limits are whole numbers or "unlimited"';
  if (hard !== -1 && (soft === -1 || soft > hard)) return 'the soft limit is above the hard one';
  return [name, soft, hard];
}

/** `--max-restarts`: 0 to MAX_RESTARTS_LIMIT, or `infinity` (also Infinity from the library):
 *  null. */
function parseMaxRestarts(value: string | number): number | null | undefined {
  if (value === Infinity || value === 'infinity') return null;
  const text = String(value);
  return /^[0-9]{1,7}$/.test(text) && Number(text) <= MAX_RESTARTS_LIMIT ? Number(text) : undefined;
}

const MODES: readonly RestartMode[] = ['no', 'on-failure', 'always'];

/** The restart policy from --restart and its tuning options. */
export function validateRestart(opts: RestartOptions, problems: Problems): RestartPolicy {
  const policy: RestartPolicy = { ...DEFAULT_POLICY };
  if (opts.restart !== undefined) {
    if ((MODES as readonly string[]).includes(opts.restart))
      policy.restart = opts.restart as RestartMode;
    else
      problems.add(`invalid --restart '${printable(opts.restart)}': use no, on-failure or always`);
  }
  const durations: [
    keyof RestartOptions,
    string,
    'delayMs' | 'maxDelayMs' | 'minUptimeMs' | 'windowMs',
  ][] = [
    ['restartDelay', 'restart-delay', 'delayMs'],
    ['restartMaxDelay', 'restart-max-delay', 'maxDelayMs'],
    ['minUptime', 'min-uptime', 'minUptimeMs'],
    ['restartWindow', 'restart-window', 'windowMs'],
  ];
  for (const [key, flag, field] of durations) {
    const text = opts[key];
    if (text === undefined) continue;
    const ms = parseDuration(String(text));
    if (ms === null)
      problems.add(
        `invalid --${flag} '${printable(String(text))}': a duration such as 100ms, 2s or 1m (a bare number is seconds)`,
      );
    else policy[field] = ms;
  }
  if (opts.maxRestarts !== undefined) {
    const max = parseMaxRestarts(opts.maxRestarts);
    if (max === undefined)
      problems.add(
        `invalid --max-restarts '${printable(String(opts.maxRestarts))}': a whole number from 0 to ${MAX_RESTARTS_LIMIT}, or infinity (never give up)`,
      );
    else policy.maxRestarts = max;
  }
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
    try {
      schedule = parseSchedule(opts.retry);
    } catch (error) {
      problems.add(`invalid --retry: ${(error as Error).message}`);
    }
  }
  if (opts.timeout !== undefined) {
    // A duration like every other (`2s`, `500ms`); a bare number is seconds.
    const ms = parseDuration(opts.timeout);
    if (ms === null || opts.timeout.trim() !== opts.timeout)
      problems.add(
        `invalid --timeout '${printable(opts.timeout)}': a duration such as 10s, 500ms or 1m (a bare number is seconds)`,
      );
    else schedule ??= defaultSchedule(ms / 1000);
  }
  return problems.list.length > before ? defaultSchedule() : (schedule ?? defaultSchedule());
}

export function validateSignal(value: string | undefined, problems: Problems): NodeJS.Signals {
  if (value === undefined) return 'SIGHUP';
  const s = parseSignal(value);
  if (!s || s.number === 0) {
    problems.add(`invalid --signal '${printable(value)}': use a signal name such as HUP or USR2`);
    return 'SIGHUP';
  }
  return s.signal;
}

/** `logs -n N`: how many lines to show first (default 50). */
export function validateLineCount(value: string | undefined, problems: Problems): number {
  if (value === undefined) return 50;
  // 15 digits: every such number is exact in a double (as many lines as there can be).
  if (/^[0-9]{1,15}$/.test(value)) return Number(value);
  problems.add(
    `invalid --lines '${printable(value)}': a whole number of lines, 0 to 999999999999999`,
  );
  return 50;
}
