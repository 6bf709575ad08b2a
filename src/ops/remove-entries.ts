/** The entries of a service directory `rm` may remove — only the names daemonkit makes — and
 *  removing them by the directory's fd (remove.ts). */
import {
  closeSync,
  constants as C,
  fstatSync,
  lstatSync,
  openSync,
  renameSync,
  rmdirSync,
  unlinkSync,
} from 'node:fs';
import { ENV_RECORD } from '../config/env-record.js';
import { errnoCode } from '../errors/errors.js';

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

export const inFd = (fd: number, name: string): string => `/proc/self/fd/${fd}/${name}`;

/** What is left goes back under its name, unless a start made a fresh directory there meanwhile. */
export function putBack(parentFd: number, aside: string, base: string): string {
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
export function removeEntry(dirFd: number, entry: string, kind: 'file' | 'dir'): void {
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
