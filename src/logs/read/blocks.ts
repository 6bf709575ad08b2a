/**
 * Reading a log's files a block at a time: plain ones by offset, gzipped ones through zlib
 * (at once when small and sound, streamed otherwise: gunzip.ts). Bytes are handed on as they are:
 * nothing is cut or
 * joined, and the callee may make us wait (back-pressure).
 */
import { fstatSync, readSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { eachGunzipped } from './gunzip.js';

export const BLOCK = 65536;
const NEWLINE = 0x0a;
/** A .gz this small is read and inflated at once (when its content is not larger than the
 *  second). */
const SMALL_GZ = 65536;
const SMALL_GZ_CONTENT = 4 << 20;

/** Where output goes; a promise: wait for it (back-pressure) before the next block. */
export type Write = (chunk: Buffer) => unknown;

/** Call `fn` with each block of a plain file from `from` to `to` (or its end), until it returns
 *  false; `fn` may wait. */
export async function eachBlock(
  fd: number,
  from: number,
  to: number,
  fn: (chunk: Buffer) => unknown,
): Promise<number> {
  let pos = from;
  for (let blocks = 1; pos < to; blocks++) {
    const buf = Buffer.allocUnsafe(Math.min(BLOCK, to - pos));
    const n = readSync(fd, buf, 0, buf.length, pos);
    if (n <= 0) break;
    pos += n;
    if ((await fn(n === buf.length ? buf : buf.subarray(0, n))) === false) break;
    // Output that never blocks (a file) must not keep signals out while much is read: a turn of
    // the event loop every 4 MiB.
    if (blocks % 64 === 0) await new Promise(setImmediate);
  }
  return pos;
}

/** zlib's own error or gunzip.ts's (a damaged or cut .gz), not one of ours. */
export const isZlibError = (error: unknown): boolean =>
  Boolean((error as NodeJS.ErrnoException).code?.startsWith('Z_'));

/**
 * Call `fn` with each block of a gzipped file's content, until it returns false. A damaged one's
 * damage goes to `damaged` after all it holds, ended with a newline if it was cut inside a line
 * (else its last piece of a line would be glued to the next file's first).
 */
export async function eachInflatedLine(
  fd: number,
  fn: (chunk: Buffer) => unknown,
  damaged: (error: Error) => void,
): Promise<void> {
  let [last, stopped] = [-1, false];
  try {
    await eachInflated(fd, async (chunk) => {
      if (chunk.length) last = chunk[chunk.length - 1]!;
      return (stopped = (await fn(chunk)) === false) ? false : undefined;
    });
  } catch (error) {
    if (!isZlibError(error)) throw error;
    damaged(error as Error);
    if (!stopped && last >= 0 && last !== NEWLINE) await fn(Buffer.from('\n'));
  }
}

/** Call `fn` with each block of a gzipped file's content, until it returns false. */
async function eachInflated(fd: number, fn: (chunk: Buffer) => unknown): Promise<void> {
  const size = fstatSync(fd).size;
  if (size <= SMALL_GZ) {
    // A small one (a rotated file of a few KiB) at once: a stream costs more than the work.
    const gz = Buffer.allocUnsafe(size);
    let content: Buffer | null = null;
    try {
      content = gunzipSync(gz.subarray(0, readSync(fd, gz, 0, size, 0)), {
        maxOutputLength: SMALL_GZ_CONTENT,
      });
    } catch {
      // larger than that inside (or damaged): streamed, below
    }
    if (content) {
      for (let at = 0; at < content.length; at += BLOCK)
        if ((await fn(content.subarray(at, at + BLOCK))) === false) break;
      return;
    }
  }
  await eachGunzipped(fd, size, fn);
}
