/**
 * Reading a service's log: its last lines, and following it like `tail -F` — through size
 * rotation (the file is renamed and a new one appears), logrotate's reopen and copytruncate.
 * Follows on directory events (inotify), with a slow re-check as a safety net.
 */
import { closeSync, fstatSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';

const BLOCK = 65536;

/** The last `n` lines of `path` (reading backwards block by block), and the offset of its end. */
export function lastLines(path: string, n: number): { text: Buffer; end: number } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return { text: Buffer.alloc(0), end: 0 };
  }
  try {
    const end = fstatSync(fd).size;
    if (n <= 0) return { text: Buffer.alloc(0), end };
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
    return { text, end };
  } finally {
    closeSync(fd);
  }
}

export interface Following {
  close(): void;
}

/** Call `onData` with everything appended to `path` after `offset`, across rotations, until closed. */
export function follow(path: string, offset: number, onData: (chunk: Buffer) => void): Following {
  let fd = -1;
  let ino = -1;
  let pos = offset;
  const open = (): boolean => {
    try {
      fd = openSync(path, 'r');
      ino = fstatSync(fd).ino;
      return true;
    } catch {
      fd = -1;
      return false;
    }
  };
  const readNew = (): void => {
    if (fd < 0) return;
    if (fstatSync(fd).size < pos) pos = 0; // truncated (copytruncate): start over
    const buf = Buffer.alloc(BLOCK);
    for (let n = readSync(fd, buf, 0, BLOCK, pos); n > 0; n = readSync(fd, buf, 0, BLOCK, pos)) {
      pos += n;
      onData(Buffer.from(buf.subarray(0, n)));
    }
  };
  const check = (): void => {
    readNew();
    let current: number | null;
    try {
      current = statSync(path).ino;
    } catch {
      current = null; // moved away, the new one not there yet
    }
    if (current !== null && current !== ino) {
      // Rotated: finish the old file, then the new one from its start.
      if (fd >= 0) closeSync(fd);
      pos = 0;
      if (open()) readNew();
    }
  };
  if (open() && fstatSync(fd).size < pos) pos = 0;
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
