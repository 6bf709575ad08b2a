/**
 * The rows of a report's scan of /proc (native/scan.c, taken by proc-groups.ts): their layout,
 * and a process's stat as the scan read it. In a module of its own so that proc.ts (which asks
 * it first, inside a scan) and proc-groups.ts (which makes the scan) share the layout without
 * importing each other.
 */
import { keptInScan } from './prefetch.js';
import type { ProcStat } from './proc.js';

/**
 * A report's scan of /proc (native/scan.c): each process's stat line taken apart in C, SCAN_ROW
 * numbers per process by increasing pid — ~500 lines of ~300 bytes were as many strings, and the
 * objects made of them, which the young generation copied at each scavenge.
 */
export const SCAN_ROW = 11;
export const UNREADABLE = 0; // gone, or not ours to read
export const TOO_LONG = -1; // over 64 KiB: read on its own
export const NOT_READ = -2; // in none of the groups the scan was for

export interface Scan {
  rows: Float64Array;
  groups: Map<number, number[]>;
  /** The groups it read the members of; null: every process. */
  only: Set<number> | null;
}

/** `pid`'s stat as this scan read it: null when it could not, undefined when the scan (not
 *  made yet, or made before `pid` existed) has no answer, or the line is to be read on its own. */
export function statScanned(pid: number): ProcStat | null | undefined {
  const rows = (keptInScan('scan') as Scan | undefined)?.rows;
  if (!rows) return undefined;
  let lo = 0;
  let hi = rows.length / SCAN_ROW - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = mid * SCAN_ROW;
    const found = rows[at]!;
    if (found < pid) lo = mid + 1;
    else if (found > pid) hi = mid - 1;
    else return rowStat(rows, at);
  }
  return undefined;
}

function rowStat(rows: Float64Array, at: number): ProcStat | null | undefined {
  const state = rows[at + 1]!;
  if (state === UNREADABLE) return null;
  if (state === TOO_LONG || state === NOT_READ) return undefined;
  return {
    pid: rows[at]!,
    state: String.fromCharCode(state),
    ppid: rows[at + 2]!,
    pgrp: rows[at + 3]!,
    session: rows[at + 4]!,
    ttyNr: rows[at + 5]!,
    startTime: rows[at + 6]!,
    rssPages: rows[at + 7]!,
    cpuTicks: rows[at + 8]!,
    childCpuTicks: rows[at + 9]!,
    flags: rows[at + 10]!,
  };
}
