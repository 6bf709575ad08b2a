/**
 * Reading a gzipped log file as far as it goes, as zcat does: a damaged one — cut short, with
 * garbage after its end, a wrong CRC — yields all that its deflate data decompresses to, and only
 * then is the damage said (a DamagedGzip). zlib's own gunzip checks the trailer before it hands
 * on the last block, and so loses that block; here the members are parsed by hand (RFC 1952) and
 * their deflate data inflated raw, the trailer checked after.
 */
import { readSync } from 'node:fs';
import * as zlibModule from 'node:zlib';
import { constants as zlib, createInflateRaw } from 'node:zlib';

const INPUT = 65536;
const [FHCRC, FEXTRA, FNAME, FCOMMENT] = [2, 4, 8, 16];
/** zlib.crc32 is Node ≥ 20.15: without it only the length is checked. */
const { crc32 } = zlibModule as { crc32?: (data: Buffer, value?: number) => number };

/** A .gz that could be read only so far (code: like zlib's own errors, see blocks.ts
 *  isZlibError). */
export class DamagedGzip extends Error {
  readonly code = 'Z_DAMAGED';
}

const read = (fd: number, at: number, length: number): Buffer => {
  const buf = Buffer.allocUnsafe(length);
  return buf.subarray(0, readSync(fd, buf, 0, length, at));
};

/** The length of the member header at `at`; throws if there is none. */
function headerLength(fd: number, at: number): number {
  const h = read(fd, at, INPUT);
  if (h.length < 10 || h[0] !== 0x1f || h[1] !== 0x8b || h[2] !== 8)
    throw new DamagedGzip('not in gzip format');
  const flags = h[3]!;
  let n = 10;
  if (flags & FEXTRA) n += 2 + (h.length >= 12 ? h.readUInt16LE(10) : INPUT);
  for (const flag of [FNAME, FCOMMENT]) if (flags & flag) n = h.indexOf(0, n) + 1 || INPUT + 1;
  if (flags & FHCRC) n += 2;
  if (n > h.length) throw new DamagedGzip('unexpected end of file (its header is cut short)');
  return n;
}

/** Call `fn` with each block of the content of a gzip file (all its members), until it returns
 *  false; throws a DamagedGzip after all that could be read was given. */
export async function eachGunzipped(
  fd: number,
  size: number,
  fn: (chunk: Buffer) => unknown,
): Promise<void> {
  for (let at = 0; at < size; ) {
    const start = at + headerLength(fd, at);
    // Z_SYNC_FLUSH at the end: a file cut short gives all it holds, not an error in its place.
    const inflate = createInflateRaw({ finishFlush: zlib.Z_SYNC_FLUSH });
    let [length, crc] = [0, 0];
    const feed = (async () => {
      for (
        let pos = start;
        pos < size && !inflate.destroyed && !inflate.writableEnded;
        pos += INPUT
      ) {
        if (!inflate.write(read(fd, pos, Math.min(INPUT, size - pos))))
          await new Promise((resolve) => inflate.once('drain', resolve).once('close', resolve));
      }
      if (!inflate.writableEnded) inflate.end();
    })();
    try {
      for await (const chunk of inflate as AsyncIterable<Buffer>) {
        length += chunk.length;
        if (crc32) crc = crc32(chunk, crc);
        if ((await fn(chunk)) === false) return;
      }
    } catch (error) {
      throw new DamagedGzip(`${(error as Error).message} (its content is damaged from there on)`);
    } finally {
      inflate.destroy();
      await feed;
    }
    // The deflate data ends where inflating stopped; the trailer follows: CRC-32 and length.
    const end = start + inflate.bytesWritten;
    const trailer = read(fd, end, 8);
    if (trailer.length < 8) throw new DamagedGzip('unexpected end of file (it is cut short)');
    if (
      (crc32 && trailer.readUInt32LE(0) !== crc >>> 0) ||
      trailer.readUInt32LE(4) !== length % 2 ** 32
    ) {
      throw new DamagedGzip('CRC error (its content is damaged)');
    }
    at = end + 8;
    const next = read(fd, at, Math.min(INPUT, size - at));
    if (next.length >= 2 && next[0] === 0x1f && next[1] === 0x8b) continue; // another member
    if (next.some((byte) => byte !== 0)) throw new DamagedGzip('trailing garbage ignored');
    return; // zeros after the end (a block device's padding) are no damage, as for gzip
  }
}
