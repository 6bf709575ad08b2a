/**
 * Reading a service's log: its last lines, and following it like `tail -F` — through size
 * rotation (the file is renamed and a new one appears, maybe several times between two looks),
 * logrotate's reopen and copytruncate. Follows on directory events (inotify), with a slow
 * re-check as a safety net.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { rotatedPath } from './rotate.js';

const BLOCK = 65536;
/** How far back to look for the file we were reading after it was rotated away. */
const MAX_ROTATED = 1000;

/** The last `n` lines of `path` (reading backwards block by block), where it ends, and its inode. */
export function lastLines(path: string, n: number): { text: Buffer; end: number; ino: number } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return { text: Buffer.alloc(0), end: 0, ino: -1 };
  }
  try {
    const { size: end, ino } = fstatSync(fd);
    if (n <= 0) return { text: Buffer.alloc(0), end, ino };
    const blocks: Buffer[] = [];
    let from = end;
    let newlines = 0;
    while (from > 0) {
      const size = Math.min(BLOCK, from);
      from -= size;
      const block = Buffer.alloc(size);
      readSync(fd, block, 0, size, from);
      blocks.unshift(block);
      // A final newline ends the last line; it does not start another one.
      for (let i = block.length - 1; i >= 0; i--) if (block[i] === 0x0a && !(from + i === end - 1)) newlines++;
      if (newlines >= n) break;
    }
    let text = Buffer.concat(blocks);
    let count = 0;
    for (let i = text.length - 1; i >= 0; i--) {
      if (text[i] === 0x0a && i !== text.length - 1 && ++count === n) {
        text = text.subarray(i + 1);
        break;
      }
    }
    return { text, end, ino };
  } finally {
    closeSync(fd);
  }
}

export interface Following {
  close(): void;
}

const inodeOf = (path: string): number | null => {
  try {
    return statSync(path).ino;
  } catch {
    return null;
  }
};

/**
 * Call `onData` with everything appended to `path` after `offset` of the file with inode `ino`
 * (from lastLines), across rotations, until closed.
 */
export function follow(path: string, offset: number, ino: number, onData: (chunk: Buffer) => void): Following {
  let fd = -1;
  let pos = offset;
  let current = ino;
  const readRest = (): void => {
    if (fd < 0) return;
    if (fstatSync(fd).size < pos) pos = 0; // truncated (copytruncate): start over
    const buf = Buffer.alloc(BLOCK);
    for (let n = readSync(fd, buf, 0, BLOCK, pos); n > 0; n = readSync(fd, buf, 0, BLOCK, pos)) {
      pos += n;
      onData(Buffer.from(buf.subarray(0, n)));
    }
  };
  /** Files rotated after ours and before the new one: `.k-1` … `.1`, when ours is now `.k`. */
  const readSkipped = (newIno: number): void => {
    let k = 1;
    while (k <= MAX_ROTATED && inodeOf(rotatedPath(path, k)) !== current && inodeOf(rotatedPath(path, k, true)) !== current) {
      if (inodeOf(rotatedPath(path, k)) === null && inodeOf(rotatedPath(path, k, true)) === null) return; // ours was removed: nothing to add
      k++;
    }
    for (let j = k - 1; j >= 1; j--) {
      try {
        if (inodeOf(rotatedPath(path, j)) === newIno) continue;
        onData(readFileSync(rotatedPath(path, j)));
      } catch {
        try {
          onData(gunzipSync(readFileSync(rotatedPath(path, j, true)))); // compressed meanwhile
        } catch {
          // gone meanwhile
        }
      }
    }
  };
  const check = (): void => {
    readRest();
    const now = inodeOf(path);
    if (now === null || now === current) return; // moved away, the new one not there yet; or same
    // Rotated: what was written to ours since the last read, then any files rotated in between,
    // then the new file from its start.
    readRest();
    let next = -1;
    try {
      next = openSync(path, 'r');
    } catch {
      return;
    }
    const nextIno = fstatSync(next).ino;
    if (current !== -1) readSkipped(nextIno);
    if (fd >= 0) closeSync(fd);
    fd = next;
    current = nextIno;
    pos = 0;
    readRest();
  };
  // The file we printed the last lines of, wherever a rotation since put it.
  for (let k = 0; k <= MAX_ROTATED && fd < 0 && ino !== -1; k++) {
    const candidate = k === 0 ? path : rotatedPath(path, k);
    if (inodeOf(candidate) === null && k > 0) break;
    try {
      const opened = openSync(candidate, 'r');
      if (fstatSync(opened).ino === ino) fd = opened;
      else closeSync(opened);
    } catch {
      // moved on meanwhile
    }
  }
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dirname(path), () => check());
  } catch {
    watcher = null; // the directory is not there (yet): the timer still checks
  }
  const timer = setInterval(check, 1000);
  check();
  return {
    close() {
      watcher?.close();
      clearInterval(timer);
      if (fd >= 0) closeSync(fd);
      fd = -1;
    },
  };
}
