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
  /** The service's other COMMANDs' groups still alive (instances, a roll's two): stopped too. */
  others: Group[];
}

/**
 * The recorded COMMAND group, if it is still alive. Only meaningful when no supervisor holds
 * the lock (the caller checks that, or holds the lock itself).
 */
export function findOrphan(st: ServiceState | null): Orphan | null {
  if (st?.kind !== 'supervisor') return null;
  const recorded: Group[] = [];
  if (st.childPgid && st.childStartTime !== undefined)
    recorded.push({ pgid: st.childPgid, leaderStartTime: st.childStartTime });
  if (st.spawning?.pgid && st.spawning.startTime !== undefined)
    recorded.push({ pgid: st.spawning.pgid, leaderStartTime: st.spawning.startTime });
  for (const c of st.commands ?? [])
    if (c.pgid && c.startTime !== undefined && !recorded.some((g) => g.pgid === c.pgid))
      recorded.push({ pgid: c.pgid, leaderStartTime: c.startTime });
  const live = recorded
    .map((group) => ({ group, members: liveMembers(group) }))
    .filter((g) => g.members.length > 0);
  if (live.length === 0) return null;
  const [first, ...rest] = live;
  return { ...first!, others: rest.map((g) => g.group) };
}

/** Stop an orphaned group by the schedule; true once it is gone. Call with the lock held. */
export async function stopOrphan(
  paths: ServicePaths,
  st: ServiceState,
  orphan: Orphan,
  schedule: StopSchedule,
): Promise<boolean> {
  const groups = [orphan.group, ...orphan.others];
  const gone = await runSchedule(schedule, {
    send: (signal) => {
      for (const g of groups) void signalGroup(g, signal, true);
    },
    waitGone: async (ms) => {
      const deadline = Date.now() + ms;
      for (const g of groups)
        if (
          !(await waitGroupGone(
            g,
            Promise.resolve(),
            () => true,
            Math.max(0, deadline - Date.now()),
          ))
        )
          return false;
      return true;
    },
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
  const more =
    orphan.others.length > 0
      ? `, and ${orphan.others.length} more COMMAND${orphan.others.length === 1 ? '' : 's'} (process group ${orphan.others.map((g) => g.pgid).join(', ')})`
      : '';
  return `its supervisor died, but its COMMAND still runs unsupervised (process group ${orphan.group.pgid}: pid ${orphan.members.join(', ')})${more}`;
}
