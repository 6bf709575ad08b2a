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
  unlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ENV_RECORD } from '../config/env-record.js';
import { DaemonError, errnoCode } from '../errors/errors.js';
import { inspectService, launchMarker } from '../service/inspect.js';
import { noSuchService } from '../service/known.js';
import { describeOrphan, findOrphan } from '../service/orphan.js';
import { printable, type ServicePaths } from '../config/paths.js';
import { acquirePidLock, refuseOddPidfile, refuseUnsafePidfile } from '../service/pidfile.js';
import { readState } from '../service/state.js';

const FIXED = [
  'pid',
  'pid.lock',
  'state.json',
  'spec.json',
  ENV_RECORD,
  'stop.json',
  'reopen.json',
  'restart.lock',
];
const TEMP = /^(?:pid|state\.json|spec\.json|env\.json|stop\.json|reopen\.json)\.[0-9]+\.tmp$/;
const NOTIFY_DIR = /^dk-notify-[A-Za-z0-9]{6}$/;

/** Pure: is this entry of the service directory one daemonkit makes? 'dir' for a notify
 *  socket's. */
export function madeByDaemonkit(entry: string, logName: string): 'file' | 'dir' | null {
  if (FIXED.includes(entry) || TEMP.test(entry) || /^launching\.[0-9]+$/.test(entry)) return 'file';
  if (entry === logName || entry === `.${logName}.gz.tmp`) return 'file';
  if (entry.startsWith(`${logName}.`) && /^[0-9]+(?:\.gz)?$/.test(entry.slice(logName.length + 1)))
    return 'file';
  return NOTIFY_DIR.test(entry) ? 'dir' : null;
}

const refuse = (text: string): DaemonError => new DaemonError('NOT_REMOVABLE', text);
const inFd = (fd: number, name: string): string => `/proc/self/fd/${fd}/${name}`;

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

export function removeService(paths: ServicePaths): RemoveResult {
  const missing = noSuchService(paths);
  if (missing) throw missing;
  refuseOddPidfile(paths.pidfile);
  refuseUnsafePidfile(paths.pidfile);
  const owned: number[] = [];
  const marker = launchMarker(paths, process.pid);
  let markerMade = false;
  try {
    const parentFd = openDir(dirname(paths.dir), false);
    owned.push(parentFd);
    const dirFd = openDir(paths.dir, true);
    owned.push(dirFd);
    const dirSt = fstatSync(dirFd);
    const unsafe =
      unsafeDir(fstatSync(parentFd), dirname(paths.dir), true) ??
      unsafeDir(dirSt, paths.dir, false);
    if (unsafe) throw unsafe;
    // A restart holds its lock from its stop to its start (none there: no restart ever ran).
    if (present(paths.restartLock)) {
      const restartLock = acquirePidLock(paths.restartLock);
      if (!restartLock) throw refuse(`${paths.display} is being restarted: not removed`);
      owned.push(restartLock.fd);
    }
    // As a start does: the lock holder a marker names is not the daemon (never signalled).
    writeFileSync(marker, '');
    markerMade = true;
    const lock = acquirePidLock(paths.lockfile);
    if (!lock) {
      const insp = inspectService(paths);
      const starting = insp.launching || insp.state?.state === 'starting';
      throw refuse(
        `${paths.display} is ${starting ? 'starting' : 'running'}${insp.pid ? ` (pid ${insp.pid})` : ''}: stop it first`,
      );
    }
    owned.push(lock.fd);
    const orphan = findOrphan(readState(paths.statefile));
    if (orphan) throw refuse(`${paths.display}: ${describeOrphan(orphan)}: stop it first`);
    const logName = basename(paths.logfile);
    const entries = readdirSync(inFd(dirFd, '.'));
    const strange = entries.filter((e) => madeByDaemonkit(e, logName) === null);
    if (strange.length > 0) {
      const shown =
        strange
          .slice(0, 3)
          .map((e) => `'${printable(e)}'`)
          .join(', ') + (strange.length > 3 ? ` and ${strange.length - 3} more` : '');
      throw refuse(`${paths.dir} holds files daemonkit did not make (${shown}): nothing removed`);
    }
    // Out of the way first: from here on, a start makes a fresh directory and never sees this one.
    const base = basename(paths.dir);
    const aside = `.${base}.rm-${process.pid}`;
    const before = lstatSync(inFd(parentFd, base));
    if (before.ino !== dirSt.ino || before.dev !== dirSt.dev)
      throw refuse(`${paths.dir} was replaced while it was being removed: not removed`);
    renameSync(inFd(parentFd, base), inFd(parentFd, aside));
    markerMade = false; // it went with the directory
    try {
      // Listed again: a start's marker may have come in before the rename. Nothing comes in by
      // its old name after it.
      const now = readdirSync(inFd(dirFd, '.'));
      for (const entry of now) {
        const kind = madeByDaemonkit(entry, logName);
        if (kind) removeEntry(dirFd, entry, kind);
      }
      rmdirSync(inFd(parentFd, aside));
      return { dir: paths.dir, removed: now };
    } catch (error) {
      const left = join(dirname(paths.dir), putBack(parentFd, aside, base));
      const code = errnoCode(error);
      const why =
        code === 'ENOTEMPTY' ? 'files came into it meanwhile' : (code ?? (error as Error).message);
      throw new DaemonError(
        code === 'EACCES' || code === 'EPERM' ? 'NO_PERMISSION' : 'NOT_REMOVABLE',
        `cannot remove all of ${paths.dir} (${why}); what is left is in ${left}`,
        { path: left },
      );
    }
  } finally {
    if (markerMade) rmSync(marker, { force: true });
    for (const fd of owned.reverse()) closeSync(fd); // the locks with them
  }
}

/** What is left goes back under its name, unless a start made a fresh directory there meanwhile. */
function putBack(parentFd: number, aside: string, base: string): string {
  try {
    lstatSync(inFd(parentFd, base));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') {
      try {
        renameSync(inFd(parentFd, aside), inFd(parentFd, base));
        return base;
      } catch {
        // leave it aside
      }
    }
  }
  return aside;
}

/** One entry, by the directory's fd. A notify socket's directory is emptied of its one socket,
 *  then removed. */
function removeEntry(dirFd: number, entry: string, kind: 'file' | 'dir'): void {
  if (kind === 'file') {
    try {
      unlinkSync(inFd(dirFd, entry));
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
    return;
  }
  const fd = openSync(inFd(dirFd, entry), C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW);
  try {
    if (fstatSync(fd).uid !== (process.geteuid?.() ?? 0))
      throw new Error(`${entry} belongs to another user`);
    try {
      unlinkSync(inFd(fd, 'notify'));
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
  } finally {
    closeSync(fd);
  }
  rmdirSync(inFd(dirFd, entry));
}
