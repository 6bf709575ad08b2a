/**
 * `rm`: remove a stopped service's files. Under its locks (a concurrent start or restart cannot
 * race it), marked as a launcher (so nobody takes us for the daemon and signals us), and by file
 * descriptor: the directory is opened once, checked, renamed out of the way (a start that comes
 * now makes a fresh one) and emptied through /proc/self/fd — only of the names daemonkit makes,
 * never recursively, never by a path someone else could swap.
 */
import {
  closeSync,
  constants as C,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DaemonError, errnoCode } from '../errors/errors.js';
import { inspectService, launchMarker } from '../service/inspect.js';
import { noSuchService } from '../service/known.js';
import { describeOrphan, findOrphan } from '../service/orphan.js';
import { asOfNow } from '../service/status-figures.js';
import { printable, type ServicePaths } from '../config/paths.js';
import { acquirePidLock, refuseOddPidfile, refuseUnsafePidfile } from '../service/pidfile.js';
import { readState } from '../service/state.js';
import { inFd, madeByDaemonkit, putBack, removeEntry } from './remove-entries.js';

export { madeByDaemonkit } from './remove-entries.js';

const refuse = (text: string): DaemonError => new DaemonError('NOT_REMOVABLE', text);

/** Why root (or anyone) should not act by name in this directory: another user could swap its
 *  entries. */
function unsafeDir(st: Stats, path: string, parent: boolean): DaemonError | null {
  const me = process.geteuid?.() ?? 0;
  const unsafe = (why: string): DaemonError => new DaemonError('UNSAFE_PIDFILE', why, { path });
  if (st.uid !== me && !(parent && st.uid === 0))
    return unsafe(
      `${path} belongs to uid ${st.uid}, not to the user acting (uid ${me}): remove it as that user`,
    );
  if ((st.mode & 0o022) !== 0 && !(parent && (st.mode & 0o1000) !== 0))
    return unsafe(`${path} is writable by other users: not removing anything in it`);
  return null;
}

const present = (path: string): boolean => {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
};

function openDir(path: string, nofollow: boolean): number {
  try {
    return openSync(path, C.O_RDONLY | C.O_DIRECTORY | (nofollow ? C.O_NOFOLLOW : 0));
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'EACCES' || code === 'EPERM')
      throw new DaemonError('NO_PERMISSION', `cannot open ${path}: permission denied`, { path });
    if (code === 'ELOOP' || code === 'ENOTDIR')
      throw refuse(`${path} is not a directory (a symbolic link?): not removing it`);
    throw error;
  }
}

export interface RemoveResult {
  dir: string;
  removed: string[];
}

/** The service directory and its parent, opened once and checked: no other user can swap
 *  their entries. */
function openDirs(
  paths: ServicePaths,
  owned: number[],
): { parentFd: number; dirFd: number; dirSt: Stats } {
  const parentFd = openDir(dirname(paths.dir), false);
  owned.push(parentFd);
  const dirFd = openDir(paths.dir, true);
  owned.push(dirFd);
  const dirSt = fstatSync(dirFd);
  const unsafe =
    unsafeDir(fstatSync(parentFd), dirname(paths.dir), true) ?? unsafeDir(dirSt, paths.dir, false);
  if (unsafe) throw unsafe;
  return { parentFd, dirFd, dirSt };
}

/** The service's locks (its restart lock, if a restart ever ran, then its lock), as a start takes
 *  them: refused while it runs, starts or restarts, or while a COMMAND it left runs on. */
function lockForRemoval(paths: ServicePaths, owned: number[], markLaunch: () => void): void {
  // A restart holds its lock from its stop to its start (none there: no restart ever ran).
  if (present(paths.restartLock)) {
    const restartLock = acquirePidLock(paths.restartLock);
    if (!restartLock) throw refuse(`${paths.display} is being restarted: not removed`);
    owned.push(restartLock.fd);
  }
  // As a start does: the lock holder a marker names is not the daemon (never signalled).
  markLaunch();
  const lock = acquirePidLock(paths.lockfile);
  if (!lock) {
    const insp = inspectService(paths);
    const starting = insp.launching || asOfNow(insp.state)?.state === 'starting';
    throw refuse(
      `${paths.display} is ${starting ? 'starting' : 'running'}${insp.pid ? ` (pid ${insp.pid})` : ''}: stop it first`,
    );
  }
  owned.push(lock.fd);
  const orphan = findOrphan(readState(paths.statefile));
  if (orphan) throw refuse(`${paths.display}: ${describeOrphan(orphan)}: stop it first`);
}

/** Nothing is removed from a directory holding files daemonkit did not make. */
function refuseStrange(paths: ServicePaths, dirFd: number, logName: string): void {
  const strange = readdirSync(inFd(dirFd, '.')).filter((e) => madeByDaemonkit(e, logName) === null);
  if (strange.length === 0) return;
  const shown =
    strange
      .slice(0, 3)
      .map((e) => `'${printable(e)}'`)
      .join(', ') + (strange.length > 3 ? ` and ${strange.length - 3} more` : '');
  throw refuse(`${paths.dir} holds files daemonkit did not make (${shown}): nothing removed`);
}

/** Empty the directory, set aside already, and remove it; on failure what is left is put back
 *  (or stays aside) and named. */
function emptyAside(paths: ServicePaths, parentFd: number, dirFd: number, aside: string): string[] {
  const logName = basename(paths.logfile);
  try {
    // Listed again: a start's marker may have come in before the rename. Nothing comes in by
    // its old name after it.
    const now = readdirSync(inFd(dirFd, '.'));
    for (const entry of now) {
      const kind = madeByDaemonkit(entry, logName);
      if (kind) removeEntry(dirFd, entry, kind);
    }
    rmdirSync(inFd(parentFd, aside));
    return now;
  } catch (error) {
    const left = join(dirname(paths.dir), putBack(parentFd, aside, basename(paths.dir)));
    const code = errnoCode(error);
    const why =
      code === 'ENOTEMPTY' ? 'files came into it meanwhile' : (code ?? (error as Error).message);
    throw new DaemonError(
      code === 'EACCES' || code === 'EPERM' ? 'NO_PERMISSION' : 'NOT_REMOVABLE',
      `cannot remove all of ${paths.dir} (${why}); what is left is in ${left}`,
      { path: left },
    );
  }
}

export function removeService(paths: ServicePaths): RemoveResult {
  const missing = noSuchService(paths);
  if (missing) throw missing;
  refuseOddPidfile(paths.pidfile);
  refuseUnsafePidfile(paths.pidfile);
  const owned: number[] = [];
  const marker = launchMarker(paths, process.pid);
  let markerMade = false;
  try {
    const { parentFd, dirFd, dirSt } = openDirs(paths, owned);
    lockForRemoval(paths, owned, () => {
      writeFileSync(marker, '');
      markerMade = true;
    });
    refuseStrange(paths, dirFd, basename(paths.logfile));
    // Out of the way first: from here on, a start makes a fresh directory and never sees this one.
    const base = basename(paths.dir);
    const aside = `.${base}.rm-${process.pid}`;
    const before = lstatSync(inFd(parentFd, base));
    if (before.ino !== dirSt.ino || before.dev !== dirSt.dev)
      throw refuse(`${paths.dir} was replaced while it was being removed: not removed`);
    renameSync(inFd(parentFd, base), inFd(parentFd, aside));
    markerMade = false; // it went with the directory
    return { dir: paths.dir, removed: emptyAside(paths, parentFd, dirFd, aside) };
  } finally {
    if (markerMade) rmSync(marker, { force: true });
    for (const fd of owned.reverse()) closeSync(fd); // the locks with them
  }
}
