/**
 * The end of a service's life, as an event a stopper can wait for. A supervisor holds the read
 * end of a pipe that has no writer (its write end closed at once) and closes it right after its
 * lock, when its state is final. A `stop` opens that end for writing through
 * /proc/PID/fd (the state names the fd and the pipe's inode) and polls it: the kernel reports
 * POLLERR to a pipe's writers once it has no reader left. So the stop is done when the service
 * is, not when the supervisor's process has been torn down (its memory unmapped, ~1.5–2 ms
 * later: docs/decisions.md). The supervisor's exit closes the pipe too.
 */
import { closeSync, constants as C, fstatSync, openSync, statSync } from 'node:fs';
import { makePipe } from '../sys/native.js';
import type { ServiceState } from './state.js';

/** The supervisor's side: the pipe's read end (close-on-exec, never the COMMAND's), and its
 *  inode, for the state. */
export function makeRelease(): { fd: number; ino: number } {
  const [readEnd, writeEnd] = makePipe();
  closeSync(writeEnd);
  return { fd: readEnd, ino: fstatSync(readEnd).ino };
}

/**
 * The stopper's side: a write end on the release pipe of daemon `pid` (verified by the caller),
 * or null when its state names none, it is gone already, or it is not ours to open (another
 * user's process): then the caller waits for the process's exit alone. The fd is checked to be
 * the very pipe the state names (by inode) before and after it is opened: an fd number reused
 * for another file or pipe is never taken for it.
 */
export function openRelease(pid: number, state: ServiceState | null): number | null {
  if (state?.pid !== pid || !Number.isInteger(state.releaseFd) || !state.releaseIno) return null;
  const path = `/proc/${pid}/fd/${state.releaseFd}`;
  let fd = -1;
  try {
    const before = statSync(path);
    if (!before.isFIFO() || before.ino !== state.releaseIno) return null;
    fd = openSync(path, C.O_WRONLY | C.O_NONBLOCK | C.O_NOCTTY);
    const after = fstatSync(fd);
    if (after.isFIFO() && after.ino === state.releaseIno) return fd;
  } catch {
    // gone, closed (ENXIO: no reader left), or not ours to open
  }
  if (fd >= 0) closeSync(fd);
  return null;
}
