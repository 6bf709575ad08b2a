/**
 * Making a notify socket (NotifyListener.open): a private directory (mkdtemp, 0700) under the
 * parent, and the AF_UNIX datagram socket bound in it, with SO_PASSCRED (native). A failure at
 * either step is one NOTIFY_FAILED error saying which, and leaves nothing behind. (What another
 * user needs to send to it is socket-dir.ts's.)
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonError } from '../errors/errors.js';
import { notifyListen } from '../sys/native.js';
import { removeSocketDir } from './socket-dir.js';

/** sun_path holds 108 bytes, one of them the final NUL. */
const MAX_PATH = 107;

/** The private directory for a socket, made under `parent`. */
export function makeSocketDir(parent: string): string {
  try {
    return mkdtempSync(join(parent, 'dk-notify-')); // mode 0700
  } catch (error) {
    throw new DaemonError(
      'NOTIFY_FAILED',
      `cannot make a directory for the notify socket: ${(error as Error).message}`,
      {},
      { cause: error },
    );
  }
}

/** The socket, bound in `dir`: its path, and its fd and wake eventfd; on failure `dir` is
 *  removed. */
export function bindSocket(dir: string): { path: string; fds: { fd: number; wake: number } } {
  const path = join(dir, 'notify');
  try {
    if (Buffer.byteLength(path) > MAX_PATH)
      throw new Error(`the path ${path} is longer than ${MAX_PATH} bytes`);
    return { path, fds: notifyListen(path) };
  } catch (error) {
    removeSocketDir(path, dir);
    throw new DaemonError(
      'NOTIFY_FAILED',
      `cannot listen for notifications: ${(error as Error).message}`,
      { path },
      { cause: error },
    );
  }
}
