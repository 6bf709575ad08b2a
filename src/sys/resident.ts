/**
 * A process's resident memory from /proc/PID/statm: the VmRSS of /proc/PID/status (both sum the
 * kernel's per-CPU counters; /proc/PID/stat's resident pages do not, and run ~10 % under), read
 * from ~30 bytes instead of a ~1.4 KB status the kernel formats field by field.
 */
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { readSmall } from './prefetch.js';

const AT_PAGESZ = 6n;
let pageBytes: number | undefined;

/** The kernel's page size, from the auxiliary vector it gave this process (AT_PAGESZ). */
export function pageSize(): number {
  if (pageBytes !== undefined) return pageBytes;
  pageBytes = 4096; // if auxv cannot be read: the size on x86-64
  try {
    const auxv = readFileSync('/proc/self/auxv');
    const wide = process.arch.endsWith('64');
    const le = endianness() === 'LE';
    const word = (at: number): bigint =>
      wide
        ? le
          ? auxv.readBigUInt64LE(at)
          : auxv.readBigUInt64BE(at)
        : BigInt(le ? auxv.readUInt32LE(at) : auxv.readUInt32BE(at));
    const step = wide ? 16 : 8;
    for (let at = 0; at + step <= auxv.length; at += step) {
      const type = word(at);
      if (type === 0n) break;
      if (type === AT_PAGESZ) {
        pageBytes = Number(word(at + step / 2));
        break;
      }
    }
  } catch {
    // not readable: keep the default
  }
  return pageBytes;
}

/** Resident bytes of `pid` (its VmRSS), or null when it is gone. */
export function residentBytes(pid: number): number | null {
  const text = readSmall(`/proc/${pid}/statm`);
  if (text === null) return null;
  const pages = Number(text.split(' ', 2)[1]);
  return Number.isFinite(pages) ? pages * pageSize() : null;
}
