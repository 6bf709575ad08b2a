/**
 * Who may have written what daemonkit acts on. start-stop-daemon's rule, applied to every file
 * read to decide whom to signal (the lock file, the pidfile, state.json, launch markers, requests):
 * it must be the caller's or root's — a file another user planted (in a sticky /tmp-like
 * directory, say) never names a process for us. And a process of another uid than the lock
 * file's owner is never taken for the daemon, whatever names it.
 */
import { DaemonError } from './errors.js';
import { processUids } from './sys/proc.js';

const me = (): number => process.geteuid?.() ?? 0;

/** The caller's or root's: a file daemonkit may believe. */
export function trustedOwner(uid: number): boolean {
  return uid === me() || uid === 0;
}

/** Refuse (UNSAFE_PIDFILE, exit 4) a file owned by anyone but the caller or root. */
export function refuseForeignFile(what: string, path: string, uid: number): void {
  if (trustedOwner(uid)) return;
  throw new DaemonError('UNSAFE_PIDFILE', `${what} ${path} is owned by uid ${uid}, not by the user acting (uid ${me()}) or root: another user could have planted it; refusing to use it`, { path });
}

/**
 * Refuse a process that holds (or is named for) the lock but does not run as the lock file's
 * owner, by real or effective uid: another user's program (a setuid one too) is never our daemon.
 * A process already gone passes: there is nothing to take for anything.
 */
export function refuseForeignProcess(pid: number, owner: number, lockfile: string, how: string): void {
  const ids = processUids(pid);
  if (!ids || (ids.real === owner && ids.effective === owner)) return;
  const uid = ids.real === ids.effective ? `uid ${ids.real}` : `uid ${ids.real} (effective uid ${ids.effective})`;
  throw new DaemonError('UNSAFE_PIDFILE', `${how} pid ${pid}, a process of ${uid}, not of uid ${owner} who owns the lock file ${lockfile}: a process of another user is never taken for the daemon; refusing to use it`, { path: lockfile, pid });
}
