/**
 * `export systemd --output DIR`: the unit files written in DIR, each to a temp name (O_EXCL, never
 * through a link) and renamed over its name. DIR and the directories above it must be ones no
 * untrusted user can change (as /etc/systemd/system): root never writes by path where another
 * user can.
 */
import { closeSync, openSync, renameSync, rmSync, writeSync, constants as C } from 'node:fs';
import { resolve } from 'node:path';
import { DaemonError, errnoCode } from '../errors/errors.js';
import { printable } from '../config/paths.js';
import { checkLogDirPath, InsecureLogDir } from '../files/ancestors.js';
import { ourTrust } from '../files/trust.js';
import type { UnitFile } from './systemd-socket.js';

/** Write every file; returns their paths. */
export function writeUnitFiles(dirGiven: string, files: readonly UnitFile[]): string[] {
  const dir = resolve(dirGiven);
  try {
    checkLogDirPath(`${dir}/${files[0]!.file}`, ourTrust(), `the unit ${files[0]!.file}`);
  } catch (error) {
    if (error instanceof InsecureLogDir)
      throw new DaemonError(
        'NO_PERMISSION',
        `cannot write in --output ${printable(dir)}: ${error.message}`,
        { path: dir },
      );
  }
  return files.map(({ file, text }) => {
    const path = `${dir}/${file}`;
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      const fd = openSync(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o644);
      try {
        writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
    } catch (error) {
      rmSync(tmp, { force: true });
      const code = errnoCode(error);
      throw new DaemonError(
        code === 'EACCES' || code === 'EPERM' ? 'NO_PERMISSION' : 'BAD_OPTION',
        `cannot write ${printable(path)}: ${(error as Error).message}`,
        { path },
      );
    }
    return path;
  });
}
