import { basename, dirname, resolve } from 'node:path';
import { LogDir, type LogDirOptions } from '../../files/log-dir.js';

export { notALog } from '../../files/log-dir.js';

/**
 * Open a log for appending, once (a launcher's stdio): through its directory's fd, with
 * LogDir's rules (ancestors ours; in a directory others can write, no link followed and only a
 * file of ours or the service user's). Throws InsecureLogDir (code EINSECURE), EUNSAFE, ENOTFILE
 * or the open's errno.
 */
export function openLog(
  path: string,
  options: LogDirOptions = {},
): { fd: number; rotatable: boolean } {
  const abs = resolve(path);
  const dir = LogDir.open(dirname(abs), options);
  try {
    return dir.openLog(basename(abs));
  } finally {
    dir.release();
  }
}
