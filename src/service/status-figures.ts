/**
 * `status`' figures of the COMMAND (a library daemon is its own COMMAND): its pid, how long it
 * and the service have run, its memory and CPU time.
 */
import { bootTicksToMs, forkedNotExeced, readProcStat, startTimeMs } from '../sys/proc.js';
import type { Inspection } from './inspect.js';
import type { Orphan } from './orphan.js';
import type { ServiceStatus } from './status.js';
import type { ServiceState } from './state.js';
import { groupUsage, type Usage, usageOf } from './usage.js';

type Figures = Pick<
  ServiceStatus,
  'childPid' | 'uptimeMs' | 'serviceUptimeMs' | 'rssBytes' | 'cpuMs' | 'processes'
>;

/** The COMMAND's figures: an orphan's, the running service's; none while in a backoff wait. */
export function commandFigures(insp: Inspection, orphan: Orphan | null): Figures {
  const childPid = childPidOf(insp, orphan);
  const proc = insp.pid ? readProcStat(insp.pid) : null;
  const serviceUptimeMs = proc ? Math.max(0, Date.now() - startTimeMs(proc)) : null;
  const { usage, uptimeMs } = usageAndUptime(insp, orphan, childPid, serviceUptimeMs);
  return {
    childPid,
    uptimeMs,
    serviceUptimeMs,
    rssBytes: usage?.rssBytes ?? null,
    cpuMs: usage?.cpuMs ?? null,
    processes: usage ? usage.pids.length : null,
  };
}

/** In a backoff wait there is no COMMAND: the recorded one has exited. */
function childPidOf(insp: Inspection, orphan: Orphan | null): number | null {
  const st = insp.state;
  if (orphan) return orphanPid(orphan.group.pgid, orphan.members);
  if (!insp.running || !st || st.pid !== insp.pid || st.state === 'backoff') return null;
  return commandOf(st).pid ?? null;
}

/**
 * The COMMAND the state names: the one forked and about to exec (`spawning`: its pid and start
 * time are already the COMMAND's; the rest of the record may still name the one before it, until
 * the next write), else the one recorded as running.
 */
function commandOf(st: ServiceState): { pid?: number; pgid?: number; startTime?: number } {
  return st.spawning
    ? { pid: st.spawning.pgid, pgid: st.spawning.pgid, startTime: st.spawning.startTime }
    : { pid: st.childPid, pgid: st.childPgid, startTime: st.childStartTime };
}

/**
 * The COMMAND's usage and uptime. Without a state naming its kind the COMMAND is not known: no
 * figures (not the supervisor's).
 */
function usageAndUptime(
  insp: Inspection,
  orphan: Orphan | null,
  childPid: number | null,
  serviceUptimeMs: number | null,
): { usage: Usage | null; uptimeMs: number | null } {
  const st = insp.state;
  if (orphan) return { usage: usageOf(orphan.members), uptimeMs: sinceTicks(st!.childStartTime) };
  if (insp.running && st?.kind === 'supervisor' && childPid) {
    const command = commandOf(st);
    return {
      usage: groupUsage({
        pgid: command.pgid ?? childPid,
        leaderStartTime: command.startTime ?? 0,
      }),
      uptimeMs:
        sinceTicks(command.startTime) ??
        (st.childStartedAt ? Math.max(0, Date.now() - st.childStartedAt) : null),
    };
  }
  if (insp.running && st && st.kind !== 'supervisor' && insp.pid)
    return { usage: usageOf([insp.pid]), uptimeMs: serviceUptimeMs };
  return { usage: null, uptimeMs: null };
}

/**
 * The state as it holds now: one written at a COMMAND's fork as it would be once the COMMAND has
 * exec'd and started (state-record.ts, one write per start) says `running` with `spawning`;
 * while that process is still forked and not exec'd (PF_FORKNOEXEC), it is starting.
 */
export function asOfNow(st: ServiceState | null): ServiceState | null {
  const forked = st?.spawning;
  if (!st || !forked || (st.state !== 'running' && !st.commands)) return st;
  const proc = readProcStat(forked.pgid);
  if (!proc || proc.startTime !== forked.startTime || !forkedNotExeced(proc)) return st;
  const starting = (s: ServiceState['state']) => (s === 'running' ? 'starting' : s);
  return {
    ...st,
    state: starting(st.state),
    ...(st.commands
      ? {
          commands: st.commands.map((c) =>
            c.pgid === forked.pgid ? { ...c, state: starting(c.state) } : c,
          ),
        }
      : {}),
  };
}

/** ms since a start time in clock ticks after boot, if known. */
export function sinceTicks(ticks: number | undefined): number | null {
  return ticks === undefined ? null : Math.max(0, Date.now() - bootTicksToMs(ticks));
}

/** An orphaned group's COMMAND: its leader while it lives, else the first member left. */
function orphanPid(pgid: number, members: readonly number[]): number | null {
  return members.includes(pgid) ? pgid : (members[0] ?? null);
}
