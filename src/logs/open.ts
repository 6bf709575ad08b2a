import { closeSync, fstatSync, lstatSync, openSync, constants as C, type Stats } from 'node:fs';

/** What makes an existing file no place for a log: a FIFO or a socket (a directory cannot be
 *  opened for writing anyway). Null for a file, a terminal or a device. */
export function notALog(st: Stats): 'FIFO' | 'socket' | null {
  return st.isFIFO() ? 'FIFO' : st.isSocket() ? 'socket' : null;
}

/**
 * Open a log for appending. O_NONBLOCK: a FIFO without a reader fails (ENXIO) instead of hanging
 * the open; a FIFO or a socket is refused (a log is a file, a terminal, or a device like
 * /dev/null). `rotatable`: a regular file reached by no symbolic link — only those are rotated
 * (a rotation renames and deletes: never a device, never a link instead of its file).
 */
export function openLog(path: string): { fd: number; rotatable: boolean } {
  const fd = openSync(path, C.O_WRONLY | C.O_APPEND | C.O_CREAT | C.O_NOCTTY | C.O_NONBLOCK, 0o644);
  const st = fstatSync(fd);
  const kind = notALog(st);
  if (kind) {
    closeSync(fd);
    throw Object.assign(new Error(`it is a ${kind}, not a file`), { code: 'ENOTFILE' });
  }
  let rotatable = st.isFile();
  try {
    if (rotatable) rotatable = !lstatSync(path).isSymbolicLink();
  } catch {
    rotatable = false;
  }
  return { fd, rotatable };
}
