/**
 * A COMMAND whose supervisor died without stopping it (kill -9, OOM killer): found from the
 * state file's process group and the leader's start time (never by name), then reported by
 * `status` and stopped by `stop` and `start`, so it is neither left running nor duplicated.
 */
import type { ServicePaths } from '../config/paths.js';
import { removePidfile } from './pidfile.js';
import { runSchedule, type StopSchedule } from '../config/schedule.js';
import { writeState, type ServiceState } from './state.js';
import { liveMembers, signalGroup, waitGroupGone, type Group } from '../sys/group.js';

export interface Orphan {
  group: Group;
  members: number[];
}

/**
 * The recorded COMMAND group, if it is still alive. Only meaningful when no supervisor holds
 * the lock (the caller checks that, or holds the lock itself).
 */
export function findOrphan(st: ServiceState | null): Orphan | null {
  if (st?.kind !== 'supervisor' || !st.childPgid || st.childStartTime === undefined) return null;
  const group: Group = { pgid: st.childPgid, leaderStartTime: st.childStartTime };
  const members = liveMembers(group);
  return members.length > 0 ? { group, members } : null;
}

/** Stop an orphaned group by the schedule; true once it is gone. Call with the lock held. */
export async function stopOrphan(
  paths: ServicePaths,
  st: ServiceState,
  orphan: Orphan,
  schedule: StopSchedule,
): Promise<boolean> {
  const gone = await runSchedule(schedule, {
    send: (signal) => void signalGroup(orphan.group, signal, true),
    waitGone: (ms) => waitGroupGone(orphan.group, Promise.resolve(), () => true, ms),
  });
  if (gone) {
    writeState(paths.statefile, {
      ...st,
      state: 'stopped',
      error: 'its supervisor had died; the orphaned COMMAND was stopped',
    });
    removePidfile(paths.pidfile, st.pid); // the dead supervisor's: we hold the lock now
    if (st.shared && st.childPid) removePidfile(paths.pidfile, st.childPid); // it named the COMMAND
  }
  return gone;
}

export function describeOrphan(orphan: Orphan): string {
  return `its supervisor died, but its COMMAND still runs unsupervised (process group ${orphan.group.pgid}: pid ${orphan.members.join(', ')})`;
}
