/**
 * Who may have written what daemonkit acts on. start-stop-daemon's rule, applied to every file
 * read to decide whom to signal (the lock file, the pidfile, state.json, launch markers, requests):
 * it must be the caller's or root's — a file another user planted (in a sticky /tmp-like
 * directory, say) never names a process for us. And a process of another uid than the lock
 * file's owner is never taken for the daemon, whatever names it.
 */
import { closeSync, fstatSync, openSync, readFileSync, constants as C } from 'node:fs';
import { DaemonError } from '../errors/errors.js';
import { processUids } from '../sys/proc-status.js';
import { prefetched, type Seen } from '../sys/prefetch.js';
import { constants } from 'node:os';

let euid: number | undefined;
/** Our effective uid: asked once (nothing in daemonkit's processes changes it; `list` asked ~600
 *  times). */
export const me = (): number => (euid ??= process.geteuid?.() ?? 0);

/** The caller's or root's: a file daemonkit may believe. */
export function trustedOwner(uid: number): boolean {
  return uid === me() || uid === 0;
}

/** Refuse (UNSAFE_PIDFILE, exit 4) a file owned by anyone but the caller or root. */
export function refuseForeignFile(what: string, path: string, uid: number): void {
  if (trustedOwner(uid)) return;
  throw new DaemonError(
    'UNSAFE_PIDFILE',
    `${what} ${path} is owned by uid ${uid}, not by the user acting (uid ${me()}) or root: another user could have planted it; refusing to use it`,
    { path },
  );
}

/**
 * The text of the regular file at `path` if we may believe it: not followed if a symbolic link,
 * not waited on if a FIFO. null when there is none, it is not a regular file or it cannot be read.
 * Another user's file is refused as `refuseAs` (UNSAFE_PIDFILE) when that is given, and else
 * ignored (null, the file left as it is).
 */
export function readOwnedFile(path: string, refuseAs?: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return null;
    if (refuseAs !== undefined) refuseForeignFile(refuseAs, path, st.uid);
    else if (!trustedOwner(st.uid)) return null;
    return readFileSync(fd, 'utf8');
  } catch (error) {
    if (error instanceof DaemonError) throw error;
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * How a message names the uid of process `pid` when it runs as another uid than `owner`, by real
 * or effective uid ("uid R", or "uid R (effective uid E)"); null when it runs as `owner` (or as
 * root, with `rootToo`), or is gone.
 */
export function foreignUid(pid: number, owner: number, rootToo = false): string | null {
  const ids = processUids(pid);
  if (!ids || (ids.real === owner && ids.effective === owner)) return null;
  if (rootToo && ids.real === 0 && ids.effective === 0) return null;
  return ids.real === ids.effective
    ? `uid ${ids.real}`
    : `uid ${ids.real} (effective uid ${ids.effective})`;
}

/**
 * Refuse a process that holds (or is named for) the lock but does not run as the lock file's
 * owner, by real or effective uid: another user's program (a setuid one too) is never our daemon.
 * A process already gone passes: there is nothing to take for anything.
 */
export function refuseForeignProcess(
  pid: number,
  owner: number,
  lockfile: string,
  how: string,
): void {
  const uid = foreignUid(pid, owner);
  if (uid === null) return;
  throw new DaemonError(
    'UNSAFE_PIDFILE',
    `${how} pid ${pid}, a process of ${uid}, not of uid ${owner} who owns the lock file ${lockfile}: a process of another user is never taken for the daemon; refusing to use it`,
    { path: lockfile, pid },
  );
}

/** readOwnedFile's rules on what a report's batch read (sys/prefetch.ts), or undefined when it
 *  did not read `path` whole: read it now. */
export function prefetchedOwnedFile(path: string, refuseAs?: string): string | null | undefined {
  const ahead = prefetched(path);
  if (!ahead || ahead.errno === constants.errno.EFBIG) return undefined;
  return ownedText(path, ahead, refuseAs);
}

function ownedText(path: string, ahead: Seen, refuseAs?: string): string | null {
  if (ahead.errno !== 0 || (ahead.mode & C.S_IFMT) !== C.S_IFREG) return null;
  if (refuseAs !== undefined) refuseForeignFile(refuseAs, path, ahead.uid);
  else if (!trustedOwner(ahead.uid)) return null;
  return ahead.text;
}
