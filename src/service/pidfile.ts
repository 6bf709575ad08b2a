/**
 * The pidfile and its lock. "Running" means the lock file is locked (an OFD lock, released by
 * the kernel when its holder dies); the pidfile is metadata, written atomically by the holder.
 */
import { makeDirs } from '../files/mkdirs.js';
import {
  closeSync,
  constants as C,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
  fchmodSync,
  type BigIntStats,
  type Stats,
} from 'node:fs';
import { basename, dirname } from 'node:path';
import { checkLogDirPath, InsecureLogDir } from '../files/ancestors.js';
import { ourTrust, replaceableEntry } from '../files/trust.js';
import { DaemonError, errnoCode } from '../errors/errors.js';
import { isLockedElsewhere, lockExclusive, lockExclusiveWaiting } from '../sys/native.js';
import { defaultSignalsDuring } from '../sys/blocking.js';
import { holdsLock, lockHolders } from '../sys/proc-fdinfo.js';
import { lockListed } from '../sys/proc-locks.js';
import { foreignUid, refuseForeignFile } from '../files/owner.js';

const PID_MAX = 4194304; // the kernel's upper bound for pid_max

export interface PidLock {
  fd: number;
  dev: bigint;
  ino: bigint;
}

function fileError(error: unknown, path: string, what: string): DaemonError {
  const code = errnoCode(error);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new DaemonError(
      'NO_PERMISSION',
      `cannot ${what} ${path}: permission denied`,
      { path },
      { cause: error },
    );
  }
  if (code === 'ELOOP')
    return new DaemonError(
      'BAD_PIDFILE',
      `${path} is a symbolic link; refusing to follow it`,
      { path },
      { cause: error },
    );
  if (code === 'EISDIR')
    return new DaemonError(
      'BAD_PIDFILE',
      `${path} is a directory, not a file`,
      { path },
      { cause: error },
    );
  // ENOENT while creating, with the parent there: a file system that takes no new files (/proc).
  if (code === 'ENOENT' && what.startsWith('create')) {
    return new DaemonError(
      'NO_PERMISSION',
      `cannot ${what} ${path}: its file system does not allow creating it`,
      { path },
      { cause: error },
    );
  }
  if (code === 'ENOTDIR')
    return new DaemonError(
      'BAD_PIDFILE',
      `a parent of ${path} is not a directory`,
      { path },
      { cause: error },
    );
  return new DaemonError(
    'LOCK_FAILED',
    `cannot ${what} ${path}: ${(error as Error).message}`,
    { path },
    { cause: error },
  );
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

/**
 * Lock files are 0600: whoever may open one may take a read lock on it, which holds a restart
 * waiting or keeps a start from its lock for as long as they like. Nobody else needs to: a
 * `status` that may not open it asks /proc/locks (probeLock).
 */
const LOCK_MODE = 0o600;

/** Open the lock file; null when `create` is false and it is not there. 'denied': we may not
 *  open it. */
function openLockFile(lockfile: string, create: boolean): number | null;
function openLockFile(lockfile: string, create: false, orDenied: true): number | null | 'denied';
function openLockFile(
  lockfile: string,
  create: boolean,
  orDenied = false,
): number | null | 'denied' {
  const flags = (create ? C.O_RDWR | C.O_CREAT : C.O_RDONLY) | C.O_NOFOLLOW | C.O_NONBLOCK;
  let fd: number;
  try {
    fd = openSync(lockfile, flags, LOCK_MODE);
  } catch (error) {
    if (!create && errnoCode(error) === 'ENOENT') return null;
    if (orDenied && errnoCode(error) === 'EACCES') return 'denied';
    throw fileError(error, lockfile, create ? 'create lock file' : 'open lock file');
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw new DaemonError('BAD_PIDFILE', `lock file ${lockfile} is not a regular file`, {
      path: lockfile,
    });
  }
  // Checked on what we opened, not on the name: whoever holds a lock on another user's file
  // (planted in a sticky world-writable directory) is not ours to report or signal.
  try {
    refuseForeignFile('lock file', lockfile, st.uid);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  // Ours, and left 0644 by an older daemonkit: closed to others from now on (an fd opened
  // before stays open: see waitForRestartLock and docs/decisions.md).
  if (create && (st.mode & 0o777) !== LOCK_MODE && st.uid === process.geteuid?.())
    fchmodSync(fd, LOCK_MODE);
  return fd;
}

/** The file open at `fd`, when `path` still names it (else null: removed or replaced). */
function stillNamed(path: string, fd: number): BigIntStats | null {
  const held = fstatSync(fd, { bigint: true });
  let current: BigIntStats | null;
  try {
    current = lstatSync(path, { bigint: true });
  } catch {
    current = null;
  }
  return current && current.ino === held.ino && current.dev === held.dev ? held : null;
}

/** The lock file made (with its directory) if it is not there, as acquirePidLock would make it,
 *  without taking the lock: `up` makes its services' files while their supervisor boots. */
export function makeLockFile(lockfile: string): void {
  ensureDir(lockfile);
  closeSync(openLockFile(lockfile, true)!);
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
    const held = stillNamed(lockfile, fd);
    if (held) return { fd, dev: held.dev, ino: held.ino };
    closeSync(fd);
  }
  throw new DaemonError('LOCK_FAILED', `lock file ${lockfile} keeps being replaced`, {
    path: lockfile,
  });
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
      if (!lockExclusive(fd)) {
        refuseForeignHolders(fd, path);
        defaultSignalsDuring(() => lockExclusiveWaiting(fd)); // a Ctrl-C meanwhile ends us at once
      }
    } catch (error) {
      closeSync(fd);
      throw error instanceof DaemonError ? error : fileError(error, path, 'lock');
    }
    // `rm` removes the file while it holds the lock: a waiter woken on the removed file would
    // not exclude one that opened the new file. The path must still name the file we locked.
    if (stillNamed(path, fd)) return fd;
    closeSync(fd);
  }
  throw new DaemonError('LOCK_FAILED', `lock file ${path} keeps being replaced`, { path });
}

/**
 * A lock on `path` held by a process of another uid than the file's owner (a read lock through an
 * fd opened while the file was 0644) is never waited for: exit 4 naming the holder. Only
 * restarts of the owner's (or root) wait on each other. Holders we may not see (another user's
 * /proc entries, when we are not root) cannot have opened our 0600 file since.
 */
function refuseForeignHolders(fd: number, path: string): void {
  const st = fstatSync(fd, { bigint: true });
  const owner = Number(st.uid);
  for (const { pid, kind } of lockHolders(st.dev, st.ino)) {
    const uid = foreignUid(pid, owner, true);
    if (uid === null) continue;
    throw new DaemonError(
      'UNSAFE_PIDFILE',
      `lock file ${path} is held by pid ${pid} (a ${kind.toLowerCase()} lock), a process of ${uid}, not of uid ${owner} who owns it: another user's lock is never waited for; refusing to restart`,
      { path, pid },
    );
  }
}

export interface LockProbe {
  held: boolean;
  dev?: bigint;
  ino?: bigint;
  /** The lock file's owner (the caller or root): its daemon runs as this uid. */
  uid?: number;
}

/**
 * Is the lock held by some process? A query only: it never takes the lock. A caller who may not
 * open the lock file (another user's 0600 one) asks /proc/locks about its device and inode.
 */
export function probeLock(lockfile: string): LockProbe {
  const fd = openLockFile(lockfile, false, true);
  if (fd === null) return { held: false };
  if (fd === 'denied') return probeListed(lockfile);
  try {
    const st = fstatSync(fd, { bigint: true });
    return { held: isLockedElsewhere(fd), dev: st.dev, ino: st.ino, uid: Number(st.uid) };
  } finally {
    closeSync(fd);
  }
}

/** probeLock without opening the file: lstat (the name, never a link followed), then
 *  /proc/locks. */
function probeListed(lockfile: string): LockProbe {
  let st: BigIntStats;
  try {
    st = lstatSync(lockfile, { bigint: true });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return { held: false };
    throw fileError(error, lockfile, 'open lock file');
  }
  if (!st.isFile())
    throw new DaemonError('BAD_PIDFILE', `lock file ${lockfile} is not a regular file`, {
      path: lockfile,
    });
  refuseForeignFile('lock file', lockfile, Number(st.uid));
  let held: boolean;
  try {
    held = lockListed(st.dev, st.ino);
  } catch (error) {
    throw fileError(error, lockfile, 'probe the lock of (through /proc/locks)');
  }
  return { held, dev: st.dev, ino: st.ino, uid: Number(st.uid) };
}

/**
 * Does `pid` hold the service's lock? Proof that the pid is the daemon, not a recycled pid or a
 * process that merely has the file open. 'unknown' when its /proc entries are not ours to read.
 * `hintFd`: the fd it is said to hold it through (state.json's lockFd), looked at first, proven
 * the same way.
 */
export function pidHoldsLock(pid: number, probe: LockProbe, hintFd?: number): boolean | 'unknown' {
  return probe.dev !== undefined && probe.ino !== undefined
    ? holdsLock(pid, probe.dev, probe.ino, hintFd)
    : false;
}

/** Write "PID\n" atomically (temp file + rename): readers never see it empty or partial. */
export function writePidfile(pidfile: string, pid: number): void {
  refuseOddPidfile(pidfile);
  const tmp = `${pidfile}.${pid}.tmp`;
  try {
    const fd = openNew(tmp);
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

/** A new file at `tmp`, after a leftover of an earlier process with our pid is removed: tried
 *  first, as an unlink even of nothing locks the directory. */
function openNew(tmp: string): number {
  const flags = C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW;
  try {
    return openSync(tmp, flags, 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    unlinkSync(tmp);
    return openSync(tmp, flags, 0o644);
  }
}

/**
 * start-stop-daemon's rule: never act on a pidfile that someone else could have written — one
 * in a world-writable directory without the sticky bit, or one owned by another user. And
 * logrotate's, for the directories: whoever can rename an entry on the way to the pidfile (a
 * directory of theirs above it, or its own directory writable by them and not sticky) could
 * swap in a link to a directory of root's, where root would then replace, lock and remove files
 * of these names, or move root's lock file and pidfile away and have a second supervisor started.
 * The check of src/logs/ancestors.ts, with the pidfile's directory judged as a log's parent is.
 */
export function refuseUnsafePidfile(pidfile: string): void {
  const dir = dirname(pidfile);
  const trust = ourTrust();
  let real: ReturnType<typeof checkLogDirPath>;
  try {
    real = checkLogDirPath(dir, trust, `the pidfile ${pidfile}`);
  } catch (error) {
    if (!(error instanceof InsecureLogDir)) throw fileError(error, pidfile, 'inspect pidfile');
    throw new DaemonError('UNSAFE_PIDFILE', `${error.message}; refusing to use it`, {
      path: pidfile,
    });
  }
  let d: Stats;
  try {
    d = lstatSync(real.real);
  } catch {
    return; // not there yet: we create it, with our own mode
  }
  if ((d.mode & 0o002) !== 0 && (d.mode & 0o1000) === 0) {
    throw new DaemonError(
      'UNSAFE_PIDFILE',
      `pidfile directory ${dir} is world-writable without the sticky bit: anyone could replace ${pidfile}; refusing to use it`,
      { path: dir },
    );
  }
  // Sticky and root's (as /tmp): nobody else may rename our entries; else nobody else may write it.
  const writer = replaceableEntry(d, basename(pidfile), null, trust);
  if (writer) {
    throw new DaemonError(
      'UNSAFE_PIDFILE',
      `pidfile directory ${dir} is ${writer}: they could replace ${pidfile} or its lock file; refusing to use it`,
      { path: dir },
    );
  }
  let st: Stats;
  try {
    st = lstatSync(pidfile);
  } catch {
    return;
  }
  const me = process.geteuid?.() ?? 0;
  if (st.uid !== me) {
    throw new DaemonError(
      'UNSAFE_PIDFILE',
      `pidfile ${pidfile} is owned by uid ${st.uid}, not by the user acting (uid ${me}); refusing to use it`,
      { path: pidfile },
    );
  }
}

/** A pidfile path that is a symlink, a directory or any non-regular file is refused, untouched. */
export function refuseOddPidfile(pidfile: string): void {
  let st: Stats;
  try {
    st = lstatSync(pidfile);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw fileError(error, pidfile, 'inspect pidfile');
  }
  if (st.isSymbolicLink())
    throw new DaemonError(
      'BAD_PIDFILE',
      `pidfile ${pidfile} is a symbolic link; refusing to use it`,
      { path: pidfile },
    );
  if (st.isDirectory())
    throw new DaemonError('BAD_PIDFILE', `pidfile ${pidfile} is a directory, not a file`, {
      path: pidfile,
    });
  if (!st.isFile())
    throw new DaemonError('BAD_PIDFILE', `pidfile ${pidfile} is not a regular file`, {
      path: pidfile,
    });
}

/**
 * Read a pidfile strictly: one decimal pid (2..pid_max, not ours) and an optional newline.
 * null when there is no pidfile. Anything else is a BAD_PIDFILE error naming the content.
 */
export function readPidfile(pidfile: string, allowOwnPid = false): number | null {
  try {
    refuseOddPidfile(pidfile);
  } catch (error) {
    if (error instanceof DaemonError && error.code === 'NO_PERMISSION')
      throw new DaemonError('PIDFILE_UNREADABLE', error.message, error.details);
    throw error;
  }
  let fd: number;
  try {
    fd = openSync(pidfile, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return null;
    if (code === 'EACCES' || code === 'EPERM')
      throw new DaemonError(
        'PIDFILE_UNREADABLE',
        `cannot read pidfile ${pidfile}: permission denied`,
        { path: pidfile },
      );
    throw fileError(error, pidfile, 'read pidfile');
  }
  const buf = Buffer.alloc(64);
  let n: number;
  try {
    refuseForeignFile('pidfile', pidfile, fstatSync(fd).uid);
    n = readSync(fd, buf, 0, buf.length, 0);
  } catch (error) {
    if (error instanceof DaemonError) throw error;
    throw new DaemonError(
      'PIDFILE_UNREADABLE',
      `cannot read pidfile ${pidfile}: ${(error as Error).message}`,
      { path: pidfile },
    );
  } finally {
    closeSync(fd);
  }
  const text = buf.subarray(0, n).toString('latin1');
  const shown = JSON.stringify(text.length > 20 ? `${text.slice(0, 20)}...` : text);
  if (n === 0)
    throw new DaemonError('BAD_PIDFILE', `pidfile ${pidfile} is empty`, { path: pidfile });
  if (!/^[0-9]{1,10}\n?$/.test(text))
    throw new DaemonError('BAD_PIDFILE', `pidfile ${pidfile} holds ${shown}, not a pid`, {
      path: pidfile,
    });
  const pid = Number.parseInt(text, 10);
  if (pid < 2 || pid > PID_MAX)
    throw new DaemonError(
      'BAD_PIDFILE',
      `pidfile ${pidfile} holds ${pid}, which cannot be a daemon's pid`,
      { path: pidfile },
    );
  if (pid === process.pid && !allowOwnPid)
    throw new DaemonError(
      'BAD_PIDFILE',
      `pidfile ${pidfile} holds ${pid}, the pid of this very command`,
      { path: pidfile },
    );
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
