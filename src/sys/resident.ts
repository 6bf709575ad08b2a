/**
 * A process's resident memory from /proc/PID/statm: the VmRSS of /proc/PID/status (both sum the
 * kernel's per-CPU counters; /proc/PID/stat's resident pages do not, and run ~10 % under), read
 * from ~30 bytes instead of a ~1.4 KB status the kernel formats field by field.
 */
import { pageSize as nativePageSize } from './native.js';
import { readSmall } from './prefetch.js';

let pageBytes: number | undefined;

/** The kernel's page size: what statm counts in. */
export const pageSize = (): number => (pageBytes ??= nativePageSize());

/** Resident bytes of `pid` (its VmRSS), or null when it is gone. */
export function residentBytes(pid: number): number | null {
  const text = readSmall(`/proc/${pid}/statm`);
  if (text === null) return null;
  const pages = Number(text.split(' ', 2)[1]);
  return Number.isFinite(pages) ? pages * pageSize() : null;
}
