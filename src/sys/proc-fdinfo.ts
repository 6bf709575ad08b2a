/**
 * Lock proof from /proc/PID/fdinfo: which lock a process holds on a file, read from the open
 * file description that holds it (having the file open is not enough). A hint — where the
 * holder says it holds it, or where proc-fds.ts last saw the file open — is only where to look
 * first; each fd is checked afresh, and a negative answer always comes from a fresh walk.
 */
import { readdirSync, statSync } from 'node:fs';
import { inScan, readNow, readSmall } from './prefetch.js';
import { fdHints, openFiles } from './proc-fds.js';
import { devNumbers } from './proc-locks.js';

/**
 * Which lock process `pid` holds on the file with this device and inode: 'WRITE' (a daemon's),
 * 'READ' (never a daemon's: anyone who may read the file can take one), or null. Having the file
 * open is not enough: the kernel lists a lock in /proc/PID/fdinfo/FD only for the open file
 * description that holds it. 'unknown' when /proc/PID/fd is not ours to read (another user).
 */
export function lockHeld(
  pid: number,
  dev: bigint,
  ino: bigint,
  hintFd?: number,
): 'WRITE' | 'READ' | null | 'unknown' {
  const key = `${dev}:${ino}`;
  // A hint (`hintFd`, where the holder says it holds it; keepFdHints' walks) is only where to
  // look first: each fd is checked afresh, as a walk's would be. A negative answer always comes
  // from a fresh walk.
  const hinted = (inScan() ? undefined : fdHints()?.get(pid)?.get(key)) ?? [];
  for (const fd of hintFd === undefined ? hinted : [String(hintFd), ...hinted]) {
    const kind = lockNamed(pid, fd, dev, ino);
    if (kind) return kind;
  }
  const files = openFiles(pid);
  if (files === 'unknown' || files === null) return files;
  for (const fd of files.get(key) ?? []) {
    const kind = lockOn(pid, fd, ino);
    if (kind) return kind;
  }
  return null;
}

/** Is `pid`'s fd open on the file "dev:ino" now? */
function fdIsFile(pid: number, fd: string, key: string): boolean {
  try {
    const st = statSync(`/proc/${pid}/fd/${fd}`, { bigint: true });
    return `${st.dev}:${st.ino}` === key;
  } catch {
    return false; // closed meanwhile, or not ours to read
  }
}

/** The lock held through `pid`'s fd, if that fd is still on inode `ino` (fdinfo gives both in
 *  one read, since Linux 5.14: an fd closed and reopened since it was looked at is not taken). */
function lockOn(pid: number, fd: string, ino: bigint): 'WRITE' | 'READ' | null {
  const info = readNow(`/proc/${pid}/fdinfo/${fd}`);
  if (info === null) return null; // closed meanwhile
  const infoIno = /^ino:\s*(\d+)$/m.exec(info)?.[1];
  if (infoIno !== undefined && BigInt(infoIno) !== ino) return null;
  return (/^lock:.*\b(WRITE|READ)\b/m.exec(info)?.[1] as 'WRITE' | 'READ' | undefined) ?? null;
}

/**
 * The lock held through `pid`'s fd on the file dev:ino, from the fd's fdinfo alone: the kernel
 * lists there the locks of that open file description, each with the device and inode it is on
 * ("lock:\t1: OFDLCK ADVISORY  WRITE -1 fe:00:2230598 0 EOF"). Where stat's device is not the
 * inode's own (btrfs subvolumes), the fd is stat'ed as a walk would.
 */
function lockNamed(
  pid: number,
  fd: string,
  dev: bigint,
  ino: bigint,
  ahead = false,
): 'WRITE' | 'READ' | null {
  // `ahead`: as a report's batch read it (the quick look's proof, all of it from that batch);
  // else now.
  const path = `/proc/${pid}/fdinfo/${fd}`;
  const info = ahead ? readSmall(path) : readNow(path);
  if (info === null) return null; // closed, or not ours to read
  // Numbers, not BigInts, where they are exact: `list` made ~10 BigInts per service here.
  const [major, minor] = devNumbers(dev);
  const inoText = String(ino);
  LOCK_LINE.lastIndex = 0;
  for (let m = LOCK_LINE.exec(info); m; m = LOCK_LINE.exec(info)) {
    if (m[4] !== inoText && BigInt(m[4]!) !== ino) continue;
    const kind = m[1] as 'WRITE' | 'READ';
    // parseInt is exact to 13 hex digits; a longer number cannot round to a 32-bit one
    if (Number.parseInt(m[2]!, 16) === major && Number.parseInt(m[3]!, 16) === minor) return kind;
    return fdIsFile(pid, fd, `${dev}:${ino}`) && lockOn(pid, fd, ino) === kind ? kind : null;
  }
  return null;
}

/** A lock line of fdinfo: its kind, and the device (hex major, minor) and inode it is on. */
const LOCK_LINE = /^lock:.*\b(WRITE|READ)\s+\S+\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/gm;

/** Does `pid` hold a write lock on that file through its fd `fd`? (The state's lockFd, proven.) */
export const holdsLockThrough = (pid: number, fd: number, dev: bigint, ino: bigint): boolean =>
  lockNamed(pid, String(fd), dev, ino, true) === 'WRITE';

/** Does process `pid` hold a write lock on that file? See lockHeld. */
export function holdsLock(
  pid: number,
  dev: bigint,
  ino: bigint,
  hintFd?: number,
): boolean | 'unknown' {
  const kind = lockHeld(pid, dev, ino, hintFd);
  return kind === 'unknown' ? 'unknown' : kind === 'WRITE';
}

/** Every process but us with a lock on that file, and which (a /proc scan: see lockHeld). */
export function lockHolders(dev: bigint, ino: bigint): { pid: number; kind: 'WRITE' | 'READ' }[] {
  const found: { pid: number; kind: 'WRITE' | 'READ' }[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    const kind = lockHeld(pid, dev, ino);
    if (kind === 'WRITE' || kind === 'READ') found.push({ pid, kind });
  }
  return found;
}
