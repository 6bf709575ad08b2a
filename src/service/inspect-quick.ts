/**
 * A project's service as `list` sees it, within one scan of /proc: its state names the shared
 * supervisor and the fd it holds the service's lock through, and that fd's fdinfo proves the
 * write lock held on the lock file the path names now — the proof inspectService makes, without
 * opening the lock file to probe it or reading the pidfile (which names the COMMAND, never the
 * lock's holder). Whatever does not fit (no such state, a hint that does not hold, an odd lock
 * file or pidfile) is left to the full inspection: null.
 */
import { lstatSync, constants as C } from 'node:fs';
import { constants } from 'node:os';
import type { ServicePaths } from '../config/paths.js';
import { me, prefetchedOwnedFile, refuseForeignProcess, trustedOwner } from '../files/owner.js';
import { holdsLockThrough } from '../sys/proc-fdinfo.js';
import { expectGroups } from '../sys/proc-groups.js';
import { onceInScan, prefetch, prefetched } from '../sys/prefetch.js';
import type { Inspection } from './inspect.js';
import { parseState, readState, type ServiceState } from './state.js';

/** The state as this report's batch read it, parsed once. Only the quick look uses it: the full
 *  inspection reads the state afresh, after the pidfile and with the lock's probe (a stop between
 *  the batch and the probe would pair a free lock with a state still saying running). */
function reportState(path: string): ServiceState | null {
  const kept = onceInScan('states', () => new Map<string, ServiceState | null>());
  let state = kept.get(path);
  if (state === undefined) {
    const text = prefetchedOwnedFile(path, 'state file'); // a refusal throws: not kept
    state = text === undefined ? readState(path) : parseState(text);
    kept.set(path, state);
  }
  return state;
}

export function inspectSharedQuickly(paths: ServicePaths): Inspection | null {
  const state = reportState(paths.statefile);
  const pid = state?.pid;
  const fd = state?.lockFd;
  if (state?.shared !== true || !Number.isInteger(pid) || !Number.isInteger(fd)) return null;
  const lock = lockFileSeen(paths.lockfile);
  if (!lock || (lock.mode & C.S_IFMT) !== C.S_IFREG || !trustedOwner(lock.uid)) return null;
  if (!holdsLockThrough(pid!, fd!, lock.dev, lock.ino) || !pidfileHarmless(paths.pidfile))
    return null;
  const probe = { held: true, dev: lock.dev, ino: lock.ino, uid: lock.uid };
  refuseForeignProcess(pid!, probe.uid, paths.lockfile, `state file ${paths.statefile} names`);
  return {
    paths,
    probe,
    running: true,
    pid: pid!,
    holder: null,
    unverified: false,
    pidfileNamesHolder: false,
    launching: false,
    stalePid: null,
    pidfileProblem: null,
    state,
  };
}

/** No pidfile, or one the full inspection would read without a problem to report: a regular
 *  file of ours (or root's) that we may read. Its pid (the COMMAND's) changes nothing here. */
function pidfileHarmless(pidfile: string): boolean {
  const st = prefetched(pidfile) ?? lstatSeen(pidfile); // its type and owner: no BigInts
  if (st.errno !== 0) return st.errno === constants.errno.ENOENT;
  if ((st.mode & C.S_IFMT) !== C.S_IFREG || !trustedOwner(st.uid)) return false;
  const uid = me();
  return uid === 0 || (st.uid === uid ? (st.mode & 0o400) !== 0 : (st.mode & 0o004) !== 0);
}

/** The lock file's type, owner, device and inode, or null when it cannot be lstat'ed. */
function lockFileSeen(path: string): Omit<Lstat, 'errno'> | null {
  const st = lstatSeen(path);
  return st.errno === 0 ? st : null;
}

interface Lstat {
  errno: number;
  mode: number;
  uid: number;
  dev: bigint;
  ino: bigint;
}

/** `path` lstat'ed: as the report's batch saw it (where its numbers are exact), else now. */
function lstatSeen(path: string): Lstat {
  const ahead = prefetched(path);
  if (ahead && ahead.dev >= 0 && ahead.ino >= 0) {
    const { errno, mode, uid } = ahead;
    return { errno, mode, uid, dev: BigInt(ahead.dev), ino: BigInt(ahead.ino) };
  }
  try {
    const st = lstatSync(path, { bigint: true });
    return { errno: 0, mode: Number(st.mode), uid: Number(st.uid), dev: st.dev, ino: st.ino };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const errno = (constants.errno as Record<string, number>)[code] ?? -1;
    return { errno, mode: 0, uid: 0, dev: 0n, ino: 0n };
  }
}

/**
 * What a report will read for these services' quick looks, read ahead in one call each time
 * (sys/prefetch.ts): their state files, lock files and pidfiles, then each shared supervisor's
 * lock fd's fdinfo and each COMMAND's statm. The process groups their states name are the ones
 * the report's scan of /proc reads the members of (expectGroups).
 */
export function prefetchFor(services: readonly ServicePaths[]): void {
  prefetch(
    services.map((p) => p.statefile),
    services.flatMap((p) => [p.lockfile, p.pidfile]),
  );
  const procFiles: string[] = [];
  const groups: number[] = [];
  for (const { statefile } of services) {
    let st: ServiceState | null;
    try {
      st = reportState(statefile);
    } catch {
      continue; // refused again, and reported, when the service is looked at
    }
    if (!st) continue;
    // Its COMMANDs' groups (status-figures' commandOf, orphan.ts' recorded), whichever they are.
    if (Number.isInteger(st.spawning?.pgid)) groups.push(st.spawning!.pgid);
    if (Number.isInteger(st.childPgid)) groups.push(st.childPgid!);
    if (Number.isInteger(st.childPid)) groups.push(st.childPid!);
    for (const c of st.commands ?? []) if (Number.isInteger(c.pgid)) groups.push(c.pgid!);
    if (st.shared !== true) continue;
    if (Number.isInteger(st.pid) && Number.isInteger(st.lockFd))
      procFiles.push(`/proc/${st.pid}/fdinfo/${st.lockFd}`);
    if (Number.isInteger(st.childPid)) procFiles.push(`/proc/${st.childPid}/statm`);
  }
  prefetch(procFiles);
  expectGroups(groups);
}
