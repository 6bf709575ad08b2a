/** `status`: one record of what a service is doing, with its LSB status code. */
import { isDaemonError } from './errors.js';
import type { ServicePaths } from './paths.js';
import { inspectService, type Inspection } from './inspect.js';
import { describeOrphan, findOrphan } from './orphan.js';
import type { ExitRecord, RunState } from './state.js';
import { readProcStat, readProcStatus, startTimeMs, USER_HZ } from './sys/proc.js';

export type StatusCode = 0 | 1 | 3 | 4;

export interface ServiceStatus {
  name: string;
  code: StatusCode;
  /** running | starting | stopping | stopped | exited | failed | dead | unknown | never-started */
  state: RunState | 'dead' | 'unknown' | 'never-started';
  running: boolean;
  pid: number | null;
  childPid: number | null;
  uptimeMs: number | null;
  rssBytes: number | null;
  /** CPU time used by the COMMAND (or the daemon), in ms. */
  cpuMs: number | null;
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
}

function rssOf(pid: number | null | undefined): number | null {
  if (!pid) return null;
  const kb = readProcStatus(pid)?.VmRSS;
  return kb ? Number.parseInt(kb, 10) * 1024 : null;
}

function cpuOf(pid: number | null): number | null {
  const st = pid ? readProcStat(pid) : null;
  return st ? (st.cpuTicks * 1000) / USER_HZ : null;
}

/** Pure: LSB status code and words from an inspection. */
export function classify(insp: Inspection): { code: StatusCode; state: ServiceStatus['state']; reason: string | null } {
  const { state, pidfileProblem } = insp;
  if (pidfileProblem?.code === 'PIDFILE_UNREADABLE' || pidfileProblem?.code === 'UNSAFE_PIDFILE') return { code: 4, state: 'unknown', reason: pidfileProblem.message };
  if (insp.running) {
    if (insp.launching) return { code: 0, state: 'starting', reason: null };
    const live = state?.state;
    return { code: 0, state: live === 'stopping' || live === 'starting' || live === 'backoff' ? live : 'running', reason: null };
  }
  if (pidfileProblem) {
    const odd = /symbolic link|directory|not a regular file/.test(pidfileProblem.message);
    return odd ? { code: 4, state: 'unknown', reason: pidfileProblem.message } : { code: 1, state: 'dead', reason: `${pidfileProblem.message}; no daemon holds the lock` };
  }
  if (insp.stalePid !== null) {
    return { code: 1, state: 'dead', reason: `stale pidfile ${insp.paths.pidfile}: pid ${insp.stalePid} is not the daemon (it died or the pid was reused)` };
  }
  if (!state) return { code: 3, state: 'never-started', reason: null };
  if (state.state === 'failed') return { code: 1, state: 'failed', reason: state.error ?? null };
  if (state.state === 'stopped' || state.state === 'exited') return { code: 3, state: state.state, reason: null };
  return { code: 1, state: 'dead', reason: 'the daemon died without cleaning up (killed?)' };
}

/** Status unknown (exit 4): a file of the service, or the lock's holder, is another user's. */
export function untrustedStatus(name: string, pidfile: string, reason: string): ServiceStatus {
  return {
    name, code: 4, state: 'unknown', running: false, pid: null, childPid: null, uptimeMs: null, rssBytes: null, cpuMs: null,
    lastExit: null, restarts: 0, exits: [], pidfile, reason, logError: null, logLost: null, statusText: null,
  };
}

export function serviceStatus(paths: ServicePaths): ServiceStatus {
  let insp: Inspection;
  try {
    insp = inspectService(paths);
  } catch (error) {
    if (isDaemonError(error) && error.code === 'UNSAFE_PIDFILE') return untrustedStatus(paths.display, paths.pidfile, error.message);
    throw error;
  }
  const orphan = insp.running ? null : findOrphan(insp.state);
  const { code, state, reason } = orphan ? { code: 1 as const, state: 'dead' as const, reason: describeOrphan(orphan) } : classify(insp);
  const st = insp.state;
  // In a backoff wait there is no COMMAND: the recorded one has exited.
  const childPid = insp.running && st?.childPid && st.pid === insp.pid && st.state !== 'backoff' ? st.childPid : null;
  const proc = insp.pid ? readProcStat(insp.pid) : null;
  return {
    name: paths.display, code, state, running: insp.running, pid: insp.pid, childPid,
    uptimeMs: proc ? Math.max(0, Date.now() - startTimeMs(proc)) : null,
    // The COMMAND's figures (a library daemon is its own COMMAND); none while in a backoff wait.
    // Without a state naming its kind the COMMAND is not known: no figures (not the supervisor's).
    rssBytes: insp.running && st ? rssOf(st.kind === 'supervisor' ? childPid : insp.pid) : null,
    cpuMs: insp.running && st ? cpuOf(st.kind === 'supervisor' ? childPid : insp.pid) : null,
    lastExit: st?.lastExit ?? null,
    restarts: st?.restarts ?? 0,
    exits: st?.exits ?? (st?.lastExit ? [st.lastExit] : []),
    pidfile: paths.pidfile,
    reason,
    logError: insp.running && st?.pid === insp.pid ? st.logError ?? null : null,
    logLost: !insp.running ? st?.logLost ?? null : null,
    statusText: insp.running && st?.pid === insp.pid ? st.notifyStatus ?? null : null,
  };
}
