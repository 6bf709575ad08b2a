/** Opening a daemon's log for appending, its failures in words with the exit code they deserve. */
import { dirname, resolve } from 'node:path';
import { DaemonError, errnoCode } from '../errors/errors.js';
import { InsecureLogDir } from '../files/ancestors.js';
import { makeLogDir } from '../files/log-dir.js';
import { openLog } from '../logs/write/open.js';

export function openAppend(
  path: string,
  options: { createDir?: boolean; serviceUid?: number } = {},
): number {
  if (options.createDir) {
    try {
      makeLogDir(dirname(resolve(path)));
    } catch (error) {
      // A directory above it that another user could redirect: refused, as logrotate does.
      if (error instanceof InsecureLogDir)
        throw new DaemonError('NO_PERMISSION', `cannot use ${path}: ${error.message}`, { path });
      // The log directory cannot be made here: "not writable", as LSB's exit 4 has it.
      throw new DaemonError(
        'NO_PERMISSION',
        `cannot create the directory for ${path}: ${inWords(error)}`,
        { path },
      );
    }
  }
  try {
    return openLog(path, options.serviceUid !== undefined ? { serviceUid: options.serviceUid } : {})
      .fd;
  } catch (error) {
    const code = errnoCode(error);
    // EINSECURE, EUNSAFE: a path or a file another user could have planted (log-dir.ts).
    const privilege =
      code === 'EACCES' ||
      code === 'EPERM' ||
      code === 'EROFS' ||
      code === 'EINSECURE' ||
      code === 'EUNSAFE';
    throw new DaemonError(
      privilege ? 'NO_PERMISSION' : 'BAD_OPTION',
      `cannot open ${path} for writing: ${inWords(error)}`,
      { path },
    );
  }
}

/** Why a log file cannot be opened, in words (exit 4 for the first three, else 2). */
const OPEN_FAILURES: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOENT: 'no such directory',
  ENOSPC: 'no space left on the device',
  ENXIO: 'a FIFO with no reader, or a device that is not there',
};

function inWords(error: unknown): string {
  const code = errnoCode(error);
  return code !== undefined && Object.hasOwn(OPEN_FAILURES, code)
    ? OPEN_FAILURES[code]!
    : (error as Error).message;
}
