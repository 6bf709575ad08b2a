/**
 * The COMMAND's process group: signal it whole, and wait (on events, not a sleep loop) until
 * no live member is left. A zombie is not a live member: it has exited.
 */
import { closeSync } from 'node:fs';
import { constants } from 'node:os';
import { killStatus, pidfdOpen, pidfdWait } from './native.js';
import { inOneScan, readProcStat } from './proc.js';
import { groupMembers } from './proc-groups.js';

export interface Group {
  pgid: number;
  /** Start time (clock ticks) of the leader, to tell our group from a recycled id. */
  leaderStartTime: number;
  /** As a subreaper: our live children other than the COMMAND — descendants that left its
   *  group (setsid, double fork) and were re-parented to us when their parent died. */
  adopted?: () => number[];
  /** The last signal sent, for adopted processes that turn up later. */
  lastSignal?: NodeJS.Signals;
}

/** Whether `signal` is followed by SIGCONT, so a stopped process can act on it: not after KILL
 *  (needs none), CONT itself, or a deliberate STOP in a schedule (which the CONT would undo). */
export function needsContinue(signal: NodeJS.Signals): boolean {
  return signal !== 'SIGKILL' && signal !== 'SIGCONT' && signal !== 'SIGSTOP';
}

/** Send `signal` (then SIGCONT, so a stopped process can act on it) to a pid or, negative, a
 *  group. false when there is nobody to signal (ESRCH). */
function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    if (needsContinue(signal)) process.kill(pid, 'SIGCONT');
    return true;
  } catch {
    return false; // exited meanwhile (our unreaped children cannot be recycled)
  }
}

/** Is any process (zombies included) in the group? One syscall, no /proc scan. */
function groupExists(pgid: number): boolean {
  const errno = killStatus(-pgid, 0); // asked at every exit: no exception for the usual ESRCH
  return errno === 0 || errno === constants.errno.EPERM;
}

/** Live members of our group. Empty once the group is gone or its id was recycled. */
export function liveMembers(group: Group): number[] {
  // The common case: no /proc scan needed (inside one, its snapshot answers).
  if (!inOneScan() && !groupExists(group.pgid)) return [];
  const leader = readProcStat(group.pgid);
  // A live process with the leader's pid but another start time means the pid was reused,
  // which the kernel allows only once no member of our group is left.
  if (leader && leader.startTime !== group.leaderStartTime && leader.state !== 'Z') return [];
  return groupMembers(group.pgid).filter((pid) => {
    const st = readProcStat(pid);
    return st !== null && st.session === group.pgid && st.startTime >= group.leaderStartTime;
  });
}

/**
 * Send `signal` to the whole group (then SIGCONT, so a stopped member can act on it). While the
 * leader is our unreaped child the group id is certainly ours; after that, only if members remain.
 */
export function signalGroup(group: Group, signal: NodeJS.Signals, leaderReaped: boolean): boolean {
  group.lastSignal = signal;
  // The group first: it is one syscall, the adopted need a scan of /proc (and a stop's latency
  // starts when the COMMAND gets its signal).
  const sent =
    leaderReaped && liveMembers(group).length === 0 ? false : signalPid(-group.pgid, signal);
  for (const pid of group.adopted?.() ?? []) signalPid(pid, signal);
  return sent;
}

/**
 * Resolve true once no live member remains, false if `ms` passes first. `leaderExit`
 * resolves when our own child (the leader) has been reaped; until then its exit event is
 * the cheapest thing to wait on. Leftover members are waited on through pidfds.
 */
export async function waitGroupGone(
  group: Group,
  leaderExit: Promise<unknown>,
  leaderDone: () => boolean,
  ms: number,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  const seen = new Set<number>();
  for (;;) {
    const left = deadline - Date.now();
    if (!leaderDone()) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        leaderExit.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(resolve, Math.max(0, left), true))),
      ]);
      clearTimeout(timer);
      if (timedOut) return false;
      continue;
    }
    const adopted = group.adopted?.() ?? [];
    for (const pid of adopted) {
      // Adopted after the last signal went out: it gets that signal too.
      if (!seen.has(pid) && group.lastSignal) signalPid(pid, group.lastSignal);
      seen.add(pid);
    }
    const members = [...liveMembers(group), ...adopted];
    if (members.length === 0) return true;
    if (left <= 0) return false;
    const fds: number[] = [];
    for (const pid of members.slice(0, 64)) {
      try {
        fds.push(pidfdOpen(pid));
      } catch {
        // exited between the scan and the open
      }
    }
    if (fds.length === 0) continue;
    try {
      await pidfdWait(fds, left);
    } finally {
      for (const fd of fds) closeSync(fd);
    }
  }
}

export const signalNumber = (signal: NodeJS.Signals): number =>
  (constants.signals as Record<string, number>)[signal] ?? 0;
