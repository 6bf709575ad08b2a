/**
 * Turn validated start options into a CommandSpec: resolve the COMMAND on PATH, check the
 * directories and files it will use. Touches the filesystem (reads only); reports every
 * problem with the exit code its kind deserves.
 */
import { accessSync, closeSync, constants as C, statSync } from 'node:fs';
import { openInputFile, readInputText, type InputFile } from './input-file.js';
import { parseEnvFile } from './envfile.js';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { DaemonError } from '../errors/errors.js';
import type { ValidStart } from './options.js';
import { printable, type ServicePaths } from './paths.js';
import type { CommandSpec } from './spec.js';
import { resolveRunAs, userEnv } from './user.js';
import { transformsLogs } from './log-policy.js';
import { notALog } from '../files/log-dir.js';
import { MAX_ARG_STRLEN, MAX_LIMITS, PATH_MAX } from '../sys/limits.js';
import { logDirProblem } from '../files/ancestors.js';
import { ourTrust } from '../files/trust.js';
import { socketPathProblem, type ListenAddr } from './listen-addr.js';

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, C.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The absolute path the COMMAND would run, as execvp would find it; null if none. */
export function resolveExecutable(
  file: string,
  pathVar: string | undefined,
  cwd: string,
): string | null {
  if (file.includes('/')) {
    const abs = resolve(cwd, file);
    return isExecutableFile(abs) ? abs : null;
  }
  for (const dir of (pathVar ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const candidate = join(dir, file);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

function writableDir(dir: string): boolean {
  try {
    accessSync(dir, C.W_OK | C.X_OK);
    return true;
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** What makes an existing path unusable as a log, checked before anything is opened. */
function unusableLogKind(path: string): string | null {
  try {
    const st = statSync(path);
    return st.isDirectory() ? 'directory' : notALog(st);
  } catch {
    return null; // not there yet: it will be created
  }
}

/** The nearest existing ancestor of a path (where mkdir -p would start). */
function existingAncestor(path: string): string {
  let dir = path;
  for (;;) {
    try {
      statSync(dir);
      return dir;
    } catch {
      const up = dirname(dir);
      if (up === dir) return dir;
      dir = up;
    }
  }
}

/** The variables of an env file, read through one fd (input-file.ts); a bad line is exit 2
 *  naming it. */
function readEnvFile(input: InputFile): [string, string][] {
  const { vars, problems } = parseEnvFile(readInputText(input));
  if (problems.length > 0) {
    const lines = problems.map((p) => `--env-file ${printable(input.path)}: ${p}`);
    throw new DaemonError('BAD_OPTION', lines.join('; '), { path: input.path, problems: lines });
  }
  return vars;
}

/** A long value in a message: its start, and how long it is. */
const cut = (text: string): string =>
  text.length > 64
    ? `${printable(text.slice(0, 60))}… (${Buffer.byteLength(text)} bytes)`
    : printable(text);

/**
 * What the native side could not take (native/limits.h, shared through src/sys/limits.ts): said
 * here, one line each, instead of a start that fails half-way or a path cut short.
 */
function sizeProblems(
  file: string | null,
  args: readonly string[],
  env: Record<string, string>,
  chdir: string,
  limits: readonly unknown[],
): DaemonError[] {
  const problems: DaemonError[] = [];
  const tooLong = (what: string, text: string, max: number): void => {
    if (Buffer.byteLength(text) >= max)
      problems.push(
        new DaemonError(
          'BAD_OPTION',
          `${what} ${cut(text)} is too long: at most ${max - 1} bytes`,
          { path: text },
        ),
      );
    // C would take a NUL for the string's end: another file, argument or value (spawn.c refuses it too).
    else if (text.includes('\0'))
      problems.push(
        new DaemonError('BAD_OPTION', `${what} ${cut(text)} holds a NUL byte`, { path: text }),
      );
  };
  if (file !== null) tooLong('the COMMAND', file, PATH_MAX);
  tooLong('--chdir', chdir, PATH_MAX);
  for (const [i, arg] of args.entries())
    tooLong(`argument ${i + 1} of the COMMAND,`, arg, MAX_ARG_STRLEN);
  for (const [k, v] of Object.entries(env)) {
    if (Buffer.byteLength(k) + 1 + Buffer.byteLength(v) >= MAX_ARG_STRLEN) {
      problems.push(
        new DaemonError(
          'BAD_OPTION',
          `the environment variable ${cut(k)} is too long: at most ${MAX_ARG_STRLEN - 1} bytes with its name`,
          { name: k },
        ),
      );
    } else if (k.includes('\0') || v.includes('\0')) {
      problems.push(
        new DaemonError('BAD_OPTION', `the environment variable ${cut(k)} holds a NUL byte`, {
          name: k,
        }),
      );
    }
  }
  if (limits.length > MAX_LIMITS)
    problems.push(
      new DaemonError(
        'BAD_OPTION',
        `too many --limit values (${limits.length}): at most ${MAX_LIMITS}`,
      ),
    );
  return problems;
}

/** Which problem's exit code a start with several gets: its arguments first, then the rest. */
const PRIORITY: DaemonError['code'][] = ['BAD_OPTION', 'COMMAND_NOT_FOUND', 'NO_PERMISSION'];

export function buildCommandSpec(
  command: string[],
  opts: ValidStart,
  paths: ServicePaths,
  {
    foreground = false,
    cwd = process.cwd(),
    baseEnv = process.env,
    recorded = new Set(),
  }: {
    foreground?: boolean;
    cwd?: string;
    baseEnv?: NodeJS.ProcessEnv;
    /** Options taken from the last start's record (a restart without COMMAND): said so when at
     *  fault. */
    recorded?: ReadonlySet<string>;
  } = {},
): CommandSpec {
  const named = (flag: string, value: string): string =>
    `${flag} ${printable(value)}${recorded.has(flag) ? ' (recorded at the last start)' : ''}`;
  // Every problem is looked for, and all are reported at once (one line, joined).
  const problems: DaemonError[] = [];
  const attempt = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (error) {
      if (!(error instanceof DaemonError)) throw error;
      problems.push(error);
      return undefined;
    }
  };
  if (command.length === 0 || command[0] === '')
    problems.push(
      new DaemonError(
        'BAD_OPTION',
        'no COMMAND given: put it after --, e.g. daemonkit start --name web -- node server.js',
      ),
    );
  const runAs =
    opts.user === undefined ? undefined : attempt(() => resolveRunAs(opts.user!, opts.group));
  const env: Record<string, string> = {};
  if (opts.clearEnv) env.PATH = baseEnv.PATH ?? '/usr/local/bin:/usr/bin:/bin';
  else for (const [k, v] of Object.entries(baseEnv)) if (v !== undefined) env[k] = v;
  const base = { ...env }; // what `start` records for `restart` (env.json)
  // USER, LOGNAME, HOME, SHELL of --user (as systemd's User= sets them); the env file and --env
  // win.
  if (runAs) Object.assign(env, userEnv(runAs));
  const envFile = opts.envFile === undefined ? undefined : resolve(cwd, opts.envFile);
  const serviceUid = runAs ? { serviceUid: runAs.uid } : {};
  const note = (flag: string): { note?: string } =>
    recorded.has(flag) ? { note: ' (recorded at the last start)' } : {};
  if (envFile !== undefined)
    for (const [k, v] of attempt(() =>
      readEnvFile({ flag: '--env-file', path: envFile, ...note('--env-file'), ...serviceUid }),
    ) ?? [])
      env[k] = v;
  for (const item of opts.env) {
    const eq = item.indexOf('=');
    env[item.slice(0, eq)] = item.slice(eq + 1);
  }
  const chdir = resolve(cwd, opts.chdir);
  if (Buffer.byteLength(chdir) < PATH_MAX && !isDirectory(chdir))
    problems.push(
      new DaemonError('BAD_OPTION', `${named('--chdir', chdir)} is not a directory`, {
        path: chdir,
      }),
    );

  const file = command[0] ? resolveExecutable(command[0], env.PATH, cwd) : null;
  if (!file && command[0]) {
    problems.push(
      new DaemonError(
        'COMMAND_NOT_FOUND',
        command[0].includes('/')
          ? `COMMAND ${printable(command[0])} does not exist or is not executable`
          : `COMMAND ${printable(command[0])} not found on PATH`,
        { path: command[0] },
      ),
    );
  }
  problems.push(...sizeProblems(file, command.slice(1), env, chdir, opts.limits));
  // Opened as the supervisor will open it at each (re)start: a name another user may swap is not
  // followed.
  attempt(() =>
    closeSync(
      openInputFile({
        flag: '--stdin',
        path: resolve(cwd, opts.stdin),
        devices: true,
        ...note('--stdin'),
        ...serviceUid,
      }),
    ),
  );
  const out = (p: string | undefined): string | null => (p === undefined ? null : resolve(cwd, p));
  let stdout = out(opts.stdout);
  let stderr = out(opts.stderr);
  if (!foreground) {
    stdout ??= paths.logfile;
    stderr ??= stdout;
  } else if (stderr === null && stdout !== null && opts.stderr === undefined) {
    stderr = null; // foreground: stderr stays the terminal's unless asked
  }
  // --stderr is its own problem when given, even when it names the same path as --stdout.
  const logFiles: [string, string | null][] = [
    ['--stdout', stdout],
    ['--stderr', opts.stderr !== undefined || stderr !== stdout ? stderr : null],
  ];
  for (const [flag, target] of logFiles) {
    const kind = target === null ? null : unusableLogKind(target);
    if (kind)
      problems.push(
        new DaemonError('BAD_OPTION', `${named(flag, target!)} is a ${kind}, not a file`, {
          path: target,
        }),
      );
    // A directory above the log's that another user could redirect (logrotate's "insecure
    // permissions"): root would write wherever they pointed it. The log's own directory may be
    // theirs.
    const insecure = target === null ? null : logDirProblem(dirname(target), ourTrust());
    const label =
      flag === '--stdout' && opts.stdout === undefined
        ? `the log file ${printable(target ?? '')}`
        : named(flag, target ?? '');
    if (insecure)
      problems.push(
        new DaemonError('NO_PERMISSION', `cannot use ${label}: ${insecure}`, { path: target }),
      );
  }
  const unwritable = new Set<string>(); // each directory said once, for the first file it blocks
  for (const target of new Set([paths.pidfile, paths.statefile, stdout, stderr])) {
    if (target === null) continue;
    const dir = existingAncestor(dirname(target));
    if (!unwritable.has(dir) && !writableDir(dir)) {
      unwritable.add(dir);
      const why = isDirectory(dir) ? 'permission denied' : 'it is not a directory';
      problems.push(
        new DaemonError('NO_PERMISSION', `cannot write in ${dir} (needed for ${target}): ${why}`, {
          path: dir,
        }),
      );
    }
  }
  const listen = opts.listen.map(
    (a): ListenAddr => (a.kind === 'unix' ? { ...a, path: resolve(cwd, a.path) } : a),
  );
  for (const a of listen) {
    const why = a.kind === 'unix' ? socketPathProblem(a.path) : null;
    if (why) problems.push(new DaemonError('BAD_OPTION', `invalid --listen: ${why}`));
  }
  if (problems.length > 0) {
    const first = [...problems].sort(
      (x, y) => PRIORITY.indexOf(x.code) - PRIORITY.indexOf(y.code),
    )[0]!;
    if (problems.length === 1) throw first;
    throw new DaemonError(first.code, problems.map((p) => p.message).join('; '), {
      problems: problems.map((p) => p.message),
    });
  }
  return {
    command: [file!, ...command.slice(1)],
    chdir,
    umask: opts.umask,
    stdin: resolve(cwd, opts.stdin),
    stdout,
    stderr,
    env,
    envOverrides: opts.env,
    baseEnv: base,
    graceMs: opts.graceMs,
    restart: opts.restart,
    ...(envFile !== undefined ? { envFile } : {}),
    ...(opts.clearEnv ? { clearEnv: true } : {}),
    ...(opts.limits.length ? { limits: opts.limits } : {}),
    ...(opts.nice !== undefined ? { nice: opts.nice } : {}),
    ...(transformsLogs(opts.logs) ? { logs: opts.logs } : {}),
    ...(opts.ready ? { ready: opts.ready, readyTimeoutMs: opts.readyTimeoutMs } : {}),
    ...(runAs ? { runAs } : {}),
    ...(listen.length > 0 ? { listen, listenMode: opts.listenMode } : {}),
    ...(opts.instances !== undefined ? { instances: opts.instances } : {}),
  };
}
