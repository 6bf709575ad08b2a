/**
 * The last lines of a service's log for `top`: read from the end of the log file, at most
 * TAIL_BYTES of it whatever the file's size or its lines' length (a refresh must stay cheap).
 * Not its rotated files: right after a rotation the pane starts empty, as the new file is.
 */
import { closeSync, fstatSync, openSync, readSync, constants as C } from 'node:fs';
import { readSpec } from '../../spec-file.js';
import type { ServicePaths } from '../../paths.js';

export const TAIL_BYTES = 64 * 1024;

/** The file its output goes to: as recorded at its last start (--stdout), else NAME.log. */
export function logPath(paths: ServicePaths): string {
  return readSpec(paths)?.stdout ?? paths.logfile;
}

/** The last `n` lines of `path` (a line cut by TAIL_BYTES is left out); [] when there is no file yet. */
export function lastLines(path: string, n: number): string[] {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO put where the log was must not hang us (refused below).
    fd = openSync(path, C.O_RDONLY | C.O_NOCTTY | C.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`cannot read ${path}: not a regular file`);
    const from = Math.max(0, st.size - TAIL_BYTES);
    const buf = Buffer.allocUnsafe(st.size - from);
    const got = readSync(fd, buf, 0, buf.length, from);
    const lines = buf.subarray(0, got).toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop(); // the final newline ends the last line
    if (from > 0) lines.shift(); // begun before what was read
    return n > 0 ? lines.slice(-n) : [];
  } finally {
    closeSync(fd);
  }
}
