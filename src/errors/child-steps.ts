/**
 * Why a forked child failed, in the user's words: native/spawn.c says at which step before exec
 * it failed (setuid, chdir, setrlimit, …) and with which errno; here each step's failure becomes
 * one DaemonError naming the step and the value at fault, with the code that gives it its exit
 * code. Apart from errors.ts because only the launchers (src/spawn) need it, and it is one table.
 */
import { readFileSync } from 'node:fs';
import { DaemonError, errnoCode, type DaemonErrorCode } from './errors.js';

/** What a forked child was asked to do, for naming the value when a step of it fails. */
export interface ExecContext {
  cwd?: string;
  user?: string;
  nice?: number;
  limits?: [string, number, number][];
}

/** `nofile=1024`, `core=0:unlimited`: a --limit as the user wrote it. */
export function formatLimit([name, soft, hard]: [string, number, number]): string {
  const v = (n: number): string => (n < 0 ? 'unlimited' : String(n));
  return soft === hard ? `${name}=${v(soft)}` : `${name}=${v(soft)}:${v(hard)}`;
}

/** What a privilege failure needs: root, or (root in a container may lack it) the capability. */
function needs(cap: string, what = 'needs'): string {
  return process.geteuid?.() === 0
    ? `${what} ${cap}, which this root process lacks`
    : `${what} root or ${cap}`;
}

/** The system's cap on nofile (setrlimit refuses more, even to root, with EPERM); null if unknown. */
function nrOpen(): number | null {
  try {
    const n = Number(readFileSync('/proc/sys/fs/nr_open', 'utf8').trim());
    return Number.isSafeInteger(n) ? n : null;
  } catch {
    return null;
  }
}

/** An errno's text, lower case as our messages have it: "Operation not permitted" -> "operation not permitted". */
function strerror(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  const colon = message.indexOf(': ');
  const text = colon >= 0 ? message.slice(colon + 2) : message;
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** The steps a forked child takes before exec, as native/spawn.c names them (STEP_NAMES, the
 *  module's `childSteps`): a failure there carries its name in `step`, and its errno. */
export type ChildStep =
  | 'execve'
  | 'setgroups'
  | 'setgid'
  | 'setuid'
  | 'verify'
  | 'chdir'
  | 'setsid'
  | 'fds'
  | 'setrlimit'
  | 'nice'
  | 'pipe'
  | 'fork'
  | 'subreaper';

interface StepFailure {
  error: unknown;
  file: string;
  context: ExecContext;
  /** EPERM or EACCES: a privilege the step needs is missing. */
  denied: boolean;
  /** ` as user NAME`, or nothing. */
  as: string;
}

const failed = (
  code: DaemonErrorCode,
  message: string,
  f: StepFailure,
  step: ChildStep,
  path: string | undefined = f.file,
): DaemonError => new DaemonError(code, message, { path, step }, { cause: f.error });

/** setgroups/setgid/setuid: refused is exit 4, naming the user and the capability. */
const switchIds =
  (step: 'setgroups' | 'setgid' | 'setuid', cap: string) =>
  (f: StepFailure): DaemonError =>
    f.denied
      ? failed(
          'NO_PERMISSION',
          `cannot run ${f.file}${f.as}: ${step}: permission denied (${needs(cap)})`,
          f,
          step,
        )
      : failed(
          'SPAWN_FAILED',
          `cannot run ${f.file}${f.as}: ${step}: ${strerror(f.error)}`,
          f,
          step,
        );

/** A step of the launch itself, no option's doing: exit 1, saying what could not be given. */
const launch =
  (step: ChildStep, what: string) =>
  (f: StepFailure): DaemonError =>
    failed(
      'SPAWN_FAILED',
      `cannot start ${f.file}: could not give it ${what}: ${strerror(f.error)}`,
      f,
      step,
    );

/**
 * Each step's failure as the user sees it, in one place: one line naming the step and the value
 * at fault, with its code (so its exit code, src/exit-codes.ts). A privilege failure (EPERM or
 * EACCES at nice, setrlimit, setgroups, setgid, setuid) is NO_PERMISSION, exit 4; a value the
 * system refuses anyway is BAD_OPTION, exit 2; a COMMAND that cannot be executed is exit 5.
 * test/unit/child-steps.test.mjs checks every step the native module names is here.
 */
export const CHILD_STEP_FAILURES: Readonly<Record<ChildStep, (f: StepFailure) => DaemonError>> = {
  execve(f) {
    const code = errnoCode(f.error);
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'ENOEXEC'
          ? 'not an executable format'
          : code === 'EACCES'
            ? 'permission denied'
            : (f.error as Error).message;
    const notFound =
      code === 'ENOENT' || code === 'EACCES' || code === 'ENOEXEC' || code === 'ENOTDIR';
    return new DaemonError(
      notFound ? 'COMMAND_NOT_FOUND' : 'SPAWN_FAILED',
      `cannot execute ${f.file}${f.as}: ${why}`,
      { path: f.file },
      { cause: f.error },
    );
  },
  setgroups: switchIds('setgroups', 'CAP_SETGID'),
  setgid: switchIds('setgid', 'CAP_SETGID'),
  setuid: switchIds('setuid', 'CAP_SETUID'),
  verify: (f) =>
    failed(
      'NO_PERMISSION',
      `cannot run ${f.file}${f.as}: the switch did not take (an id unchanged, or root could be regained)`,
      f,
      'verify',
    ),
  chdir(f) {
    const why =
      errnoCode(f.error) === 'ENOENT'
        ? 'no such directory'
        : f.denied
          ? 'permission denied'
          : strerror(f.error);
    return failed(
      f.denied ? 'NO_PERMISSION' : 'BAD_OPTION',
      `cannot enter --chdir ${f.context.cwd ?? '(unknown)'}${f.as}: ${why}`,
      f,
      'chdir',
      f.context.cwd,
    );
  },
  nice(f) {
    const what = `cannot set --nice ${f.context.nice ?? '(unknown)'}`;
    return f.denied
      ? failed('NO_PERMISSION', `${what}: permission denied (${needs('CAP_SYS_NICE')})`, f, 'nice')
      : failed('BAD_OPTION', `${what}: ${strerror(f.error)}`, f, 'nice');
  },
  setrlimit(f) {
    const index = (f.error as { index?: unknown }).index;
    const limit = typeof index === 'number' ? f.context.limits?.[index] : undefined;
    const what = `cannot set --limit ${limit ? formatLimit(limit) : '(unknown)'}`;
    const most = limit?.[0] === 'nofile' ? nrOpen() : null;
    // nofile above fs.nr_open is EPERM even for root: a value too big, not a missing privilege.
    if (
      limit &&
      most !== null &&
      (limit[2] < 0 || limit[2] > most || limit[1] < 0 || limit[1] > most)
    ) {
      return failed(
        'BAD_OPTION',
        `${what}: above the system's most, ${most} (/proc/sys/fs/nr_open)`,
        f,
        'setrlimit',
      );
    }
    return f.denied
      ? failed(
          'NO_PERMISSION',
          `${what}: permission denied (${needs('CAP_SYS_RESOURCE', 'raising a hard limit needs')})`,
          f,
          'setrlimit',
        )
      : failed('BAD_OPTION', `${what}: ${strerror(f.error)}`, f, 'setrlimit');
  },
  setsid: launch('setsid', 'its own session (setsid)'),
  fds: launch('fds', 'its file descriptors in place'),
  pipe: launch('pipe', 'a pipe to report its exec on (pipe2)'),
  fork: launch('fork', 'a process (fork)'),
  subreaper: launch('subreaper', 'its orphans (prctl PR_SET_CHILD_SUBREAPER)'),
};

/**
 * A forked child that failed, as the user should see it: by the step it failed at (`step`, set
 * by native/spawn.c; none, as for an error thrown before the fork, is taken as exec's), mapped in
 * CHILD_STEP_FAILURES.
 */
export function execFailure(error: unknown, file: string, context: ExecContext = {}): DaemonError {
  const code = errnoCode(error);
  const step = (error as { step?: unknown } | null)?.step;
  const known =
    typeof step === 'string' && Object.hasOwn(CHILD_STEP_FAILURES, step)
      ? (step as ChildStep)
      : 'execve';
  const as = context.user !== undefined ? ` as user ${context.user}` : '';
  return CHILD_STEP_FAILURES[known]({
    error,
    file,
    context,
    denied: code === 'EPERM' || code === 'EACCES',
    as,
  });
}
