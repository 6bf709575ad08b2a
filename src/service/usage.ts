/**
 * What a service's processes use, from /proc: the resident memory and CPU time of every live
 * process in the COMMAND's process group (children and grandchildren that did not make a group
 * of their own), as `systemctl status` counts a unit's cgroup. Resident sets are summed, so pages
 * shared between members (a fork's copy-on-write memory) count once per member, as in `ps`.
 */
import type { Group } from '../sys/group.js';
import { liveMembers } from '../sys/group.js';
import { readProcStat, USER_HZ } from '../sys/proc.js';
import { residentBytes } from '../sys/resident.js';

export interface Usage {
  rssBytes: number;
  /** User + system time of the members, and of their children they have waited for. */
  cpuMs: number;
  /** The processes counted. */
  pids: number[];
}

/** The usage of these processes; null when none of them could be read (all gone). */
export function usageOf(pids: readonly number[]): Usage | null {
  let rssBytes = 0;
  let ticks = 0;
  const counted: number[] = [];
  for (const pid of pids) {
    const st = readProcStat(pid);
    if (!st || st.state === 'Z' || st.state === 'X') continue; // exited meanwhile
    // VmRSS (resident.ts), not /proc/PID/stat's resident pages, ~10 % under it on Linux 6.18.
    const bytes = residentBytes(pid);
    counted.push(pid);
    ticks += st.cpuTicks + st.childCpuTicks;
    if (bytes !== null) rssBytes += bytes;
  }
  return counted.length > 0 ? { rssBytes, cpuMs: (ticks * 1000) / USER_HZ, pids: counted } : null;
}

/** The usage of a COMMAND's whole process group (the recorded one: a recycled id counts
 *  nothing). */
export function groupUsage(group: Group): Usage | null {
  return usageOf(liveMembers(group));
}
