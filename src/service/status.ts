/** `status`: one record of what a service is doing, with its LSB status code. */
import { isDaemonError } from '../errors/errors.js';
import type { ServicePaths } from '../config/paths.js';
import { inspectService, type Inspection } from './inspect.js';
import { describeOrphan, findOrphan } from './orphan.js';
import { asOfNow, commandFigures, sinceTicks } from './status-figures.js';
import type { ServiceFacts } from './service-facts.js';
import type { ExitRecord, RunState, ServiceState } from './state.js';

export type StatusCode = 0 | 1 | 3 | 4;

export interface ServiceStatus {
  name: string;
  code: StatusCode;
  /** running | starting | stopping | stopped | exited | failed | dead | unknown | never-started */
  state: RunState | 'dead' | 'unknown' | 'never-started';
  running: boolean;
  pid: number | null;
  /** The COMMAND's pid: while it runs, or (orphan) after its supervisor died. */
  childPid: number | null;
  /** How long the COMMAND (a library daemon: the daemon) has run; null when none runs. */
  uptimeMs: number | null;
  /** How long the supervisor has run: the service, since its start, across restarts. */
  serviceUptimeMs: number | null;
  /** Resident memory of the COMMAND's whole process group (summed over its processes). */
  rssBytes: number | null;
  /** CPU time used by the COMMAND's process group (or the daemon), in ms. */
  cpuMs: number | null;
  /** How many processes rssBytes and cpuMs count. */
  processes: number | null;
  lastExit: ExitRecord | null;
  /** Restarts by the restart policy since the service was started. */
  restarts: number;
  /** The last exits, oldest first. */
  exits: ExitRecord[];
  pidfile: string;
  /** Why it is dead or unknown, in words. */
  reason: string | null;
  /** What keeps its logs from being written, while running. */
  logError: string | null;
  /** Output lost when the service ended (its log file still failing then), in words. */
  logLost: string | null;
  /** The COMMAND's own status line (sd_notify STATUS=), while running. */
  statusText: string | null;
  /** The COMMAND as started (file resolved, then its arguments), as recorded. */
  command: string[] | null;
  /** How it runs (from the last start's record): working directory, user, policy, log files. */
  cwd: string | null;
  user: string | null;
  restartPolicy: ServiceFacts['restartPolicy'] | null;
  logFiles: ServiceFacts['logFiles'] | null;
  /** The project it belongs to (started by `daemonkit up`), else null. */
  project: NonNullable<ServiceFacts['project']> | null;
  /** In a backoff wait: when the next restart is due (ms since the epoch). */
  nextRestartAt: number | null;
  /** A COMMAND still running after its supervisor died: its process group and live members. */
  orphan: { pgid: number; pids: number[] } | null;
  /** Each COMMAND while there are several (`--instances`, a rolling restart's overlap). */
  commands: CommandStatus[] | null;
}

export interface CommandStatus {
  instance: number;
  /** current; the `new` one of a rolling restart, starting beside it; an `old` one stopping. */
  role: 'current' | 'new' | 'old';
  state: RunState;
  pid: number | null;
  uptimeMs: number | null;
  restarts: number;
}

/** Pure: LSB status code and words from an inspection. */
export function classify(insp: Inspection): {
  code: StatusCode;
  state: ServiceStatus['state'];
  reason: string | null;
} {
  const { state, pidfileProblem } = insp;
  if (pidfileProblem?.code === 'PIDFILE_UNREADABLE' || pidfileProblem?.code === 'UNSAFE_PIDFILE')
    return { code: 4, state: 'unknown', reason: pidfileProblem.message };
  if (insp.running) {
    if (insp.launching) return { code: 0, state: 'starting', reason: null };
    const live = state?.state;
    return {
      code: 0,
      state: live === 'stopping' || live === 'starting' || live === 'backoff' ? live : 'running',
      reason: null,
    };
  }
  if (pidfileProblem) {
    const odd = /symbolic link|directory|not a regular file/.test(pidfileProblem.message);
    return odd
      ? { code: 4, state: 'unknown', reason: pidfileProblem.message }
      : { code: 1, state: 'dead', reason: `${pidfileProblem.message}; no daemon holds the lock` };
  }
  if (insp.stalePid !== null) {
    return {
      code: 1,
      state: 'dead',
      reason: `stale pidfile ${insp.paths.pidfile}: pid ${insp.stalePid} is not the daemon (it died or the pid was reused)`,
    };
  }
  if (!state) return { code: 3, state: 'never-started', reason: null };
  if (state.state === 'failed') return { code: 1, state: 'failed', reason: state.error ?? null };
  if (state.state === 'stopped' || state.state === 'exited')
    return { code: 3, state: state.state, reason: null };
  return { code: 1, state: 'dead', reason: 'the daemon died without cleaning up (killed?)' };
}

/** Status unknown (exit 4): a file of the service, or the lock's holder, is another user's. */
export function untrustedStatus(name: string, pidfile: string, reason: string): ServiceStatus {
  return {
    name,
    code: 4,
    state: 'unknown',
    running: false,
    pid: null,
    childPid: null,
    uptimeMs: null,
    serviceUptimeMs: null,
    rssBytes: null,
    cpuMs: null,
    processes: null,
    lastExit: null,
    restarts: 0,
    exits: [],
    pidfile,
    reason,
    logError: null,
    logLost: null,
    statusText: null,
    ...facts(null),
    nextRestartAt: null,
    orphan: null,
    commands: null,
  };
}

export function serviceStatus(paths: ServicePaths): ServiceStatus {
  let insp: Inspection;
  try {
    insp = inspectService(paths);
  } catch (error) {
    if (isDaemonError(error) && error.code === 'UNSAFE_PIDFILE')
      return untrustedStatus(paths.display, paths.pidfile, error.message);
    throw error;
  }
  if (insp.running) insp = { ...insp, state: asOfNow(insp.state) };
  const orphan = insp.running ? null : findOrphan(insp.state);
  const { code, state, reason } = orphan
    ? { code: 1 as const, state: 'dead' as const, reason: describeOrphan(orphan) }
    : classify(insp);
  const runs = recorded(insp);
  // In this order: `status --json` prints the fields as they are listed here.
  return {
    name: paths.display,
    code,
    state,
    running: insp.running,
    pid: insp.pid,
    ...commandFigures(insp, orphan),
    lastExit: runs.lastExit,
    restarts: runs.restarts,
    exits: runs.exits,
    pidfile: paths.pidfile,
    reason,
    logError: runs.logError,
    logLost: runs.logLost,
    statusText: runs.statusText,
    ...facts(insp.state),
    nextRestartAt: runs.nextRestartAt,
    orphan: orphan ? { pgid: orphan.group.pgid, pids: orphan.members } : null,
    commands: runs.commands,
  };
}

/** What the state records of its runs, and (while it runs) what the running daemon says. */
function recorded(
  insp: Inspection,
): Pick<
  ServiceStatus,
  | 'lastExit'
  | 'restarts'
  | 'exits'
  | 'logError'
  | 'logLost'
  | 'statusText'
  | 'nextRestartAt'
  | 'commands'
> {
  const st = insp.state;
  const current = insp.running && st?.pid === insp.pid; // the state is the running daemon's own
  return {
    lastExit: st?.lastExit ?? null,
    restarts: st?.restarts ?? 0,
    exits: st?.exits ?? (st?.lastExit ? [st.lastExit] : []),
    logError: current ? (st?.logError ?? null) : null,
    logLost: !insp.running ? (st?.logLost ?? null) : null,
    statusText: current ? (st?.notifyStatus ?? null) : null,
    nextRestartAt: current && st?.state === 'backoff' ? (st.nextRestartAt ?? null) : null,
    commands: current && st?.commands ? commandsNow(st) : null,
  };
}

function commandsNow(st: ServiceState): CommandStatus[] {
  return (st.commands ?? []).map((c) => ({
    instance: c.instance,
    role: c.role,
    state: c.state,
    pid: c.pid,
    uptimeMs: c.pid === null ? null : sinceTicks(c.startTime),
    restarts: c.restarts,
  }));
}

/** How it was started, as the last start recorded it (also once it has ended). */
function facts(
  st: ServiceState | null,
): Pick<ServiceStatus, 'command' | 'cwd' | 'user' | 'restartPolicy' | 'logFiles' | 'project'> {
  return {
    command: st?.command ?? null,
    cwd: st?.cwd ?? null,
    user: st?.user ?? null,
    restartPolicy: st?.restartPolicy ?? null,
    logFiles: st?.logFiles ?? null,
    project: st?.project ?? null,
  };
}
