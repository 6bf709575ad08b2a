/**
 * Turn validated start options into a CommandSpec: resolve the COMMAND on PATH, check the
 * directories and files it will use. Touches the filesystem (reads only); reports every
 * problem with the exit code its kind deserves (problems.ts).
 */
import { closeSync } from 'node:fs';
import { resolve } from 'node:path';
import { DaemonError } from '../errors/errors.js';
import { PATH_MAX } from '../sys/limits.js';
import { parseEnvFile } from './envfile.js';
import { type InputFile, openInputFile, readInputText } from './input-file.js';
import { type ListenAddr, socketPathProblem } from './listen-addr.js';
import { transformsLogs } from './log-policy.js';
import type { ValidStart } from './options.js';
import { printable, type ServicePaths } from './paths.js';
import { Problems } from './problems.js';
import { isDirectory, resolveExecutable } from './resolve-files.js';
import { logFileProblems, type Outputs, outputs, unwritableProblems } from './resolve-outputs.js';
import { sizeProblems } from './size-limits.js';
import type { CommandSpec, RunAs } from './spec.js';
import { resolveRunAs, userEnv } from './user.js';

export { resolveExecutable } from './resolve-files.js';

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

interface Context {
  opts: ValidStart;
  cwd: string;
  problems: Problems;
  runAs: RunAs | undefined;
  envFile: string | undefined;
}

const serviceUid = (c: Context): { serviceUid?: number } =>
  c.runAs ? { serviceUid: c.runAs.uid } : {};

/** The COMMAND's environment, and the base of it `start` records for `restart` (env.json). */
function environment(c: Context, baseEnv: NodeJS.ProcessEnv) {
  const { opts, problems } = c;
  const env: Record<string, string> = {};
  if (opts.clearEnv) env.PATH = baseEnv.PATH ?? '/usr/local/bin:/usr/bin:/bin';
  else for (const [k, v] of Object.entries(baseEnv)) if (v !== undefined) env[k] = v;
  const base = { ...env };
  // USER, LOGNAME, HOME, SHELL of --user (as systemd's User= sets them); the env file and --env
  // win.
  if (c.runAs) Object.assign(env, userEnv(c.runAs));
  const path = c.envFile;
  if (path !== undefined) {
    const input = { flag: '--env-file', path, ...problems.note('--env-file'), ...serviceUid(c) };
    for (const [k, v] of problems.attempt(() => readEnvFile(input)) ?? []) env[k] = v;
  }
  for (const item of opts.env) {
    const eq = item.indexOf('=');
    env[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return { env, base };
}

/** The COMMAND's executable, found as execvp would (null: not found, a problem). */
function executable(command: string[], pathVar: string | undefined, c: Context): string | null {
  const file = command[0] ? resolveExecutable(command[0], pathVar, c.cwd) : null;
  if (!file && command[0]) {
    const name = printable(command[0]);
    c.problems.add(
      new DaemonError(
        'COMMAND_NOT_FOUND',
        command[0].includes('/')
          ? `COMMAND ${name} does not exist or is not executable`
          : `COMMAND ${name} not found on PATH`,
        { path: command[0] },
      ),
    );
  }
  return file;
}

/** --stdin opened as the supervisor will open it at each (re)start: a name another user may
 *  swap is not followed. */
function checkStdin(c: Context): void {
  const path = resolve(c.cwd, c.opts.stdin);
  const input = { flag: '--stdin', path, devices: true, ...c.problems.note('--stdin') };
  c.problems.attempt(() => closeSync(openInputFile({ ...input, ...serviceUid(c) })));
}

/** The --listen addresses, unix paths made absolute and checked. */
function listenAddrs(c: Context): ListenAddr[] {
  const listen = c.opts.listen.map(
    (a): ListenAddr => (a.kind === 'unix' ? { ...a, path: resolve(c.cwd, a.path) } : a),
  );
  for (const a of listen) {
    const why = a.kind === 'unix' ? socketPathProblem(a.path) : null;
    if (why) c.problems.add(new DaemonError('BAD_OPTION', `invalid --listen: ${why}`));
  }
  return listen;
}

/** The spec itself, once every check has passed. */
function assemble(
  c: Context,
  command: string[],
  parts: Outputs & { file: string; chdir: string; listen: ListenAddr[] },
  { env, base }: { env: Record<string, string>; base: Record<string, string> },
): CommandSpec {
  const { opts, runAs, envFile } = c;
  return {
    command: [parts.file, ...command.slice(1)],
    chdir: parts.chdir,
    umask: opts.umask,
    stdin: resolve(c.cwd, opts.stdin),
    stdout: parts.stdout,
    stderr: parts.stderr,
    env,
    envOverrides: opts.env,
    baseEnv: base,
    graceMs: opts.graceMs,
    restart: opts.restart,
    ...(envFile !== undefined ? { envFile } : {}),
    ...(opts.clearEnv ? { clearEnv: true } : {}),
    ...(opts.limits.length ? { limits: opts.limits } : {}),
    ...(opts.nice !== undefined ? { nice: opts.nice } : {}),
    ...(opts.instances !== undefined ? { instances: opts.instances } : {}),
    ...(transformsLogs(opts.logs) ? { logs: opts.logs } : {}),
    ...(opts.ready ? { ready: opts.ready, readyTimeoutMs: opts.readyTimeoutMs } : {}),
    ...(runAs ? { runAs } : {}),
    ...(parts.listen.length > 0 ? { listen: parts.listen, listenMode: opts.listenMode } : {}),
  };
}

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
  const problems = new Problems(recorded);
  if (command.length === 0 || command[0] === '')
    problems.add(
      new DaemonError(
        'BAD_OPTION',
        'no COMMAND given: put it after --, e.g. daemonkit start --name web -- node server.js',
      ),
    );
  const runAs =
    opts.user === undefined
      ? undefined
      : problems.attempt(() => resolveRunAs(opts.user!, opts.group));
  const envFile = opts.envFile === undefined ? undefined : resolve(cwd, opts.envFile);
  const c: Context = { opts, cwd, problems, runAs, envFile };
  const env = environment(c, baseEnv);
  const chdir = resolve(cwd, opts.chdir);
  if (Buffer.byteLength(chdir) < PATH_MAX && !isDirectory(chdir))
    problems.add(
      new DaemonError('BAD_OPTION', `${problems.named('--chdir', chdir)} is not a directory`, {
        path: chdir,
      }),
    );
  const file = executable(command, env.env.PATH, c);
  problems.add(...sizeProblems(file, command.slice(1), env.env, chdir, opts.limits));
  checkStdin(c);
  const out = outputs(opts, paths, cwd, foreground);
  logFileProblems(problems, opts, out);
  problems.add(...unwritableProblems(paths, out));
  const listen = listenAddrs(c);
  problems.throwAny();
  return assemble(c, command, { ...out, file: file!, chdir, listen }, env);
}
