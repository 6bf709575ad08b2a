import { closeSync, fstatSync, lstatSync, openSync, constants as C } from 'node:fs';

/**
 * Open a log for appending. O_NONBLOCK: a FIFO without a reader fails (ENXIO) instead of hanging
 * the open; a FIFO or a socket is refused (a log is a file, a terminal, or a device like
 * /dev/null). `rotatable`: a regular file reached by no symbolic link — only those are rotated
 * (a rotation renames and deletes: never a device, never a link instead of its file).
 */
export function openLog(path: string): { fd: number; rotatable: boolean } {
  const fd = openSync(path, C.O_WRONLY | C.O_APPEND | C.O_CREAT | C.O_NOCTTY | C.O_NONBLOCK, 0o644);
  const st = fstatSync(fd);
  if (st.isFIFO() || st.isSocket()) {
    closeSync(fd);
    throw Object.assign(new Error(`it is a ${st.isFIFO() ? 'FIFO' : 'socket'}, not a file`), { code: 'ENOTFILE' });
  }
  let rotatable = st.isFile();
  try {
    if (rotatable) rotatable = !lstatSync(path).isSymbolicLink();
  } catch {
    rotatable = false;
  }
  return { fd, rotatable };
}
