/**
 * A project's service as `list` sees it, within one scan of /proc: its state names the shared
 * supervisor and the fd it holds the service's lock through, and that fd's fdinfo proves the
 * write lock held on the lock file the path names now — the proof inspectService makes, without
 * opening the lock file to probe it or reading the pidfile (which names the COMMAND, never the
 * lock's holder). Whatever does not fit (no such state, a hint that does not hold, an odd lock
 * file or pidfile) is left to the full inspection: null.
 */
import { lstatSync, type BigIntStats, type Stats } from 'node:fs';
import type { ServicePaths } from '../config/paths.js';
import { me, refuseForeignProcess, trustedOwner } from '../files/owner.js';
import { holdsLockThrough } from '../sys/proc.js';
import type { Inspection } from './inspect.js';
import { readState } from './state.js';

export function inspectSharedQuickly(paths: ServicePaths): Inspection | null {
  const state = readState(paths.statefile);
  const pid = state?.pid;
  const fd = state?.lockFd;
  if (state?.shared !== true || !Number.isInteger(pid) || !Number.isInteger(fd)) return null;
  const lock = lstatOrNull(paths.lockfile, true);
  if (!lock?.isFile() || !trustedOwner(Number(lock.uid))) return null;
  if (!holdsLockThrough(pid!, fd!, lock.dev, lock.ino) || !pidfileHarmless(paths.pidfile))
    return null;
  const probe = { held: true, dev: lock.dev, ino: lock.ino, uid: Number(lock.uid) };
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
  let st: Stats;
  try {
    st = lstatSync(pidfile);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
  if (!st.isFile() || !trustedOwner(st.uid)) return false;
  const uid = me();
  return uid === 0 || (st.uid === uid ? (st.mode & 0o400) !== 0 : (st.mode & 0o004) !== 0);
}

function lstatOrNull(path: string, bigint: true): BigIntStats | null {
  try {
    return lstatSync(path, { bigint });
  } catch {
    return null;
  }
}
