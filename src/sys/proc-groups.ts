/**
 * A process group's live members, from /proc: inside a report (withOneProcScan) from one native
 * scan of /proc for every group it asks about, indexed by group; outside one, from a scan of its
 * own that reads each stat line's head only (the supervisor's look at its COMMAND's group, at
 * every exit). The scan's row layout is in proc-rows.ts.
 */
import { readdirSync } from 'node:fs';
import { procScan } from './native.js';
import { inScan, keepInScan, keptInScan, readNow } from './prefetch.js';
import { readProcStat } from './proc.js';
import { NOT_READ, SCAN_ROW, type Scan, TOO_LONG, UNREADABLE } from './proc-rows.js';

const Z = 'Z'.charCodeAt(0);
const X = 'X'.charCodeAt(0);

/** The process groups a report will ask about (its COMMANDs', named by their states): its scan
 *  of /proc then reads only their members' stat lines — a process's group asked first, by
 *  getpgid(2), a syscall instead of a file. A question about another group scans everything. */
export function expectGroups(pgids: readonly number[]): void {
  if (inScan() && keptInScan('scan') === undefined) keepInScan('expected', new Set(pgids));
}

/** This report's scan that answers for group `pgid`: taken at the first question, and again,
 *  of everything, at a question about a group the first did not read. */
function scanFor(pgid: number): Scan {
  const kept = keptInScan('scan') as Scan | undefined;
  if (kept && (kept.only === null || kept.only.has(pgid))) return kept;
  const expected = keptInScan('expected') as Set<number> | undefined;
  const only = !kept && expected?.has(pgid) ? expected : null;
  const rows = procScan(only ? Float64Array.from(only) : undefined);
  const scan = { rows, groups: groupsOf(rows), only };
  keepInScan('scan', scan);
  return scan;
}

/** The live processes of each process group in these rows of a scan. */
function groupsOf(rows: Float64Array): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (let at = 0; at < rows.length; at += SCAN_ROW) {
    const pid = rows[at]!;
    let state = rows[at + 1]!;
    let pgrp = rows[at + 3]!;
    if (state === UNREADABLE || state === NOT_READ) continue;
    if (state === TOO_LONG) {
      const st = readProcStat(pid);
      if (!st) continue;
      state = st.state.charCodeAt(0);
      pgrp = st.pgrp;
    }
    if (state === Z || state === X) continue;
    const list = groups.get(pgrp);
    if (list) list.push(pid);
    else groups.set(pgrp, [pid]);
  }
  return groups;
}

/** A stat line's state and process group, without taking the rest apart. */
function statHead(text: string): { state: string; pgrp: number } {
  const close = text.lastIndexOf(')');
  const ppid = text.indexOf(' ', close + 2) + 1;
  const pgrp = text.indexOf(' ', ppid) + 1;
  return { state: text[close + 2] ?? '?', pgrp: Number(text.slice(pgrp, text.indexOf(' ', pgrp))) };
}

/** Live (non-zombie) members of a process group, found by scanning /proc. */
export function groupMembers(pgid: number): number[] {
  if (inScan()) return [...(scanFor(pgid).groups.get(pgid) ?? [])];
  return groupsNow(pgid).get(pgid) ?? [];
}

/** The live processes of group `only`, from a scan of /proc of its own (the supervisor's look
 *  at one group, at every exit: each line read as it goes, no list made). */
function groupsNow(only: number): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  const pids = readdirSync('/proc')
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid > 0);
  for (const pid of pids) {
    // Only the state and group here.
    const text = readNow(`/proc/${pid}/stat`);
    const st = text === null ? null : statHead(text);
    if (!st || st.state === 'Z' || st.state === 'X' || st.pgrp !== only) continue;
    const list = groups.get(st.pgrp);
    if (list) list.push(pid);
    else groups.set(st.pgrp, [pid]);
  }
  return groups;
}
