/**
 * The pidfile and its lock. "Running" means the lock file is locked (an OFD lock, released by
 * the kernel when its holder dies); the pidfile is metadata, written atomically by the holder.
 */
import { makeDirs } from './sys/mkdirs.js';
import { closeSync, constants as C, fstatSync, lstatSync, mkdirSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync, fchmodSync } from 'node:fs';
import { dirname } from 'node:path';
import { DaemonError, errnoCode } from './errors.js';
import { isLockedElsewhere, lockExclusive, lockExclusiveWaiting } from './sys/native.js';
import { defaultSignalsDuring } from './sys/blocking.js';
import { holdsLock } from './sys/proc.js';
import { refuseForeignFile } from './owner.js';

const PID_MAX = 4194304; // the kernel's upper bound for pid_max

export interface PidLock {
  fd: number;
  dev: bigint;
  ino: bigint;
}

function fileError(error: unknown, path: string, what: string): DaemonError {
  const code = errnoCode(error);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new DaemonError('NO_PERMISSION', `cannot ${what} ${path}: permission denied`, { path }, { cause: error });
  }
  if (code === 'ELOOP') return new DaemonError('BAD_PIDFILE', `${path} is a symbolic link; refusing to follow it`, { path }, { cause: error });
  if (code === 'EISDIR') return new DaemonError('BAD_PIDFILE', `${path} is a directory, not a file`, { path }, { cause: error });
  // ENOENT while creating, with the parent there: a file system that takes no new files (/proc).
  if (code === 'ENOENT' && what.startsWith('create')) {
    return new DaemonError('NO_PERMISSION', `cannot ${what} ${path}: its file system does not allow creating it`, { path }, { cause: error });
  }
  if (code === 'ENOTDIR') return new DaemonError('BAD_PIDFILE', `a parent of ${path} is not a directory`, { path }, { cause: error });
  return new DaemonError('LOCK_FAILED', `cannot ${what} ${path}: ${(error as Error).message}`, { path }, { cause: error });
}

/** Create the directory holding `path` (0755), mapping failures to typed errors. */
export function ensureDir(path: string): void {
  const dir = dirname(path);
  try {
    makeDirs(dir);
  } catch (error) {
    throw fileError(error, dir, 'create directory');
  }
}

function openLockFile(lockfile: string, create: boolean): number | null {
  const flags = (create ? C.O_RDWR | C.O_CREAT : C.O_RDONLY) | C.O_NOFOLLOW | C.O_NONBLOCK;
  let fd: number;
  try {
    fd = openSync(lockfile, flags, 0o644);
  } catch (error) {
    if (!create && errnoCode(error) === 'ENOENT') return null;
    throw fileError(error, lockfile, create ? 'create lock file' : 'open lock file');
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw new DaemonError('BAD_PIDFILE', `lock file ${lockfile} is not a regular file`, { path: lockfile });
  }
  // Checked on what we opened, not on the name: whoever holds a lock on another user's file
  // (planted in a sticky world-writable directory) is not ours to report or signal.
  try {
    refuseForeignFile('lock file', lockfile, st.uid);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  // Ours and new (a caller's umask 077 made it 0600): 0644, so other users' `status` can probe it.
  if (create && (st.mode & 0o777) !== 0o644 && st.uid === process.geteuid?.() && st.size === 0) fchmodSync(fd, 0o644);
  return fd;
}

/**
 * Take the service's lock for this process's whole life. Returns null when another process
 * holds it (the service is running). The fd is close-on-exec: children never inherit it.
 */
export function acquirePidLock(lockfile: string): PidLock | null {
  ensureDir(lockfile);
  for (let attempt = 0; attempt < 5; attempt++) {
    const fd = openLockFile(lockfile, true)!;
    if (!lockExclusive(fd)) {
      closeSync(fd);
      return null;
    }
    // The path must still name the file we locked (nobody replaced it in between).
    const held = fstatSync(fd, { bigint: true });
    let current;
    try {
      current = lstatSync(lockfile, { bigint: true });
    } catch {
      current = null;
    }
    if (current && current.ino === held.ino && current.dev === held.dev) return { fd, dev: held.dev, ino: held.ino };
    closeSync(fd);
  }
  throw new DaemonError('LOCK_FAILED', `lock file ${lockfile} keeps being replaced`, { path: lockfile });
}

/**
 * Wait for the service's restart lock and take it (blocking the thread: for a CLI with nothing
 * else to do). A `restart` holds it from its stop to its start, so overlapping restarts run one
 * after the other instead of stopping each other's fresh starts. Close the fd to release it.
 */
export function waitForRestartLock(path: string): number {
  for (let attempt = 0; attempt < 100; attempt++) {
    ensureDir(path);
    const fd = openLockFile(path, true)!;
    try {
      defaultSignalsDuring(() => lockExclusiveWaiting(fd)); // a Ctrl-C meanwhile ends us at once
    } catch (error) {
      closeSync(fd);
      throw fileError(error, path, 'lock');
    }
    // `rm` removes the file while it holds the lock: a waiter woken on the removed file would
    // not exclude one that opened the new file. The path must still name the file we locked.
    const held = fstatSync(fd, { bigint: true });
    let current;
    try {
      current = lstatSync(path, { bigint: true });
    } catch {
      current = null;
    }
    if (current && current.ino === held.ino && current.dev === held.dev) return fd;
    closeSync(fd);
  }
  throw new DaemonError('LOCK_FAILED', `lock file ${path} keeps being replaced`, { path });
}

export interface LockProbe {
  held: boolean;
  dev?: bigint;
  ino?: bigint;
  /** The lock file's owner (the caller or root): its daemon runs as this uid. */
  uid?: number;
}

/** Is the lock held by some process? A query only: it never takes the lock. */
export function probeLock(lockfile: string): LockProbe {
  const fd = openLockFile(lockfile, false);
  if (fd === null) return { held: false };
  try {
    const st = fstatSync(fd, { bigint: true });
    return { held: isLockedElsewhere(fd), dev: st.dev, ino: st.ino, uid: Number(st.uid) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Does `pid` hold the service's lock? Proof that the pid is the daemon, not a recycled pid or a
 * process that merely has the file open. 'unknown' when its /proc entries are not ours to read.
 */
export function pidHoldsLock(pid: number, probe: LockProbe): boolean | 'unknown' {
  return probe.dev !== undefined && probe.ino !== undefined ? holdsLock(pid, probe.dev, probe.ino) : false;
}

/** Write "PID\n" atomically (temp file + rename): readers never see it empty or partial. */
export function writePidfile(pidfile: string, pid: number): void {
  refuseOddPidfile(pidfile);
  const tmp = `${pidfile}.${pid}.tmp`;
  try {
    try {
      unlinkSync(tmp);
    } catch {
      // no leftover from an earlier process with our pid
    }
    const fd = openSync(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o644);
    try {
      fchmodSync(fd, 0o644);
      const text = Buffer.from(`${pid}\n`);
      if (writeSync(fd, text) !== text.length) throw new Error('short write');
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, pidfile); // replaces a symlink itself, never writes through it
  } catch (error) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean up
    }
    if (error instanceof DaemonError) throw error;
    throw fileError(error, pidfile, 'write pidfile');
  }
}

/**
 * start-stop-daemon's rule: never act on a pidfile that someone else could have written — one
 * in a world-writable directory without the sticky bit, or one owned by another user.
 */
export function refuseUnsafePidfile(pidfile: string): void {
  const dir = dirname(pidfile);
  let d;
  try {
    d = statSync(dir);
  } catch {
    return; // not there yet: we create it, with our own mode
  }
  if ((d.mode & 0o002) !== 0 && (d.mode & 0o1000) === 0) {
    throw new DaemonError('UNSAFE_PIDFILE', `pidfile directory ${dir} is world-writable without the sticky bit: anyone could replace ${pidfile}; refusing to use it`, { path: dir });
  }
  let st;
  try {
    st = lstatSync(pidfile);
  } catch {
    return;
  }
  const me = process.geteuid?.() ?? 0;
  if (st.uid !== me) {
    throw new DaemonError('UNSAFE_PIDFILE', `pidfile ${pidfile} is owned by uid ${st.uid}, not by the user acting (uid ${me}); refusing to use it`, { path: pidfile });
  }
}

/** A pidfile path that is a symlink, a directory or any non-regular file is refused, untouched. */
export function refuseOddPidfile(pidfile: string): void {
  let st;
  try {
    st = lstatSync(pidfile);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw fileError(error, pidfile, 'inspect pidfile');
  }
  if (st.isSymbolicLink()) throw new DaemonError('BAD_PIDFILE', `pidfile ${pidfile} is a symbolic link; refusing to use it`, { path: pidfile });
  if (st.isDirectory()) throw new DaemonError('BAD_PIDFILE', `pidfile ${pidfile} is a directory, not a file`, { path: pidfile });
  if (!st.isFile()) throw new DaemonError('BAD_PIDFILE', `pidfile ${pidfile} is not a regular file`, { path: pidfile });
}

/**
 * Read a pidfile strictly: one decimal pid (2..pid_max, not ours) and an optional newline.
 * null when there is no pidfile. Anything else is a BAD_PIDFILE error naming the content.
 */
export function readPidfile(pidfile: string, allowOwnPid = false): number | null {
  try {
    refuseOddPidfile(pidfile);
  } catch (error) {
    if (error instanceof DaemonError && error.code === 'NO_PERMISSION') throw new DaemonError('PIDFILE_UNREADABLE', error.message, error.details);
    throw error;
  }
  let fd: number;
  try {
    fd = openSync(pidfile, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return null;
    if (code === 'EACCES' || code === 'EPERM') throw new DaemonError('PIDFILE_UNREADABLE', `cannot read pidfile ${pidfile}: permission denied`, { path: pidfile });
    throw fileError(error, pidfile, 'read pidfile');
  }
  const buf = Buffer.alloc(64);
  let n: number;
  try {
    refuseForeignFile('pidfile', pidfile, fstatSync(fd).uid);
    n = readSync(fd, buf, 0, buf.length, 0);
  } catch (error) {
    if (error instanceof DaemonError) throw error;
    throw new DaemonError('PIDFILE_UNREADABLE', `cannot read pidfile ${pidfile}: ${(error as Error).message}`, { path: pidfile });
  } finally {
    closeSync(fd);
  }
  const text = buf.subarray(0, n).toString('latin1');
  const shown = JSON.stringify(text.length > 20 ? `${text.slice(0, 20)}...` : text);
  if (n === 0) throw new DaemonError('BAD_PIDFILE', `pidfile ${pidfile} is empty`, { path: pidfile });
  if (!/^[0-9]{1,10}\n?$/.test(text)) throw new DaemonError('BAD_PIDFILE', `pidfile ${pidfile} holds ${shown}, not a pid`, { path: pidfile });
  const pid = Number.parseInt(text, 10);
  if (pid < 2 || pid > PID_MAX) throw new DaemonError('BAD_PIDFILE', `pidfile ${pidfile} holds ${pid}, which cannot be a daemon's pid`, { path: pidfile });
  if (pid === process.pid && !allowOwnPid) throw new DaemonError('BAD_PIDFILE', `pidfile ${pidfile} holds ${pid}, the pid of this very command`, { path: pidfile });
  return pid;
}

/** Remove the pidfile if it still names `pid` (never someone else's). */
export function removePidfile(pidfile: string, pid: number): void {
  try {
    if (readPidfile(pidfile, true) !== pid) return;
    unlinkSync(pidfile);
  } catch {
    // already gone or not ours: leave it
  }
}
