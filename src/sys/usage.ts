/**
 * CPU time and memory of whole process groups, from one scan of /proc: for a screen of many
 * services, one pass over every process instead of one per service. Read-only.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { arch } from 'node:process';

export interface GroupUsage {
  /** Live members (zombies are not: they have exited). */
  members: number;
  /** utime + stime of the live members, plus cutime + cstime (their reaped children's), in clock
   *  ticks. */
  ticks: number;
  /** Resident memory of the live members, summed (shared pages count once per member, as in ps). */
  rssBytes: number;
}

/** The kernel's page size, from the auxiliary vector (AT_PAGESZ); 4096 if it cannot be read. */
function pageSize(): number {
  try {
    const auxv = readFileSync('/proc/self/auxv');
    const wide = !['arm', 'ia32', 'mips', 'mipsel', 'ppc'].includes(arch);
    const step = wide ? 16 : 8;
    for (let at = 0; at + step <= auxv.length; at += step) {
      const type = wide ? Number(auxv.readBigUInt64LE(at)) : auxv.readUInt32LE(at);
      if (type === 6)
        return wide ? Number(auxv.readBigUInt64LE(at + 8)) : auxv.readUInt32LE(at + 4);
      if (type === 0) break;
    }
  } catch {
    // no /proc/self/auxv: the usual size
  }
  return 4096;
}
let page: number | null = null;

/**
 * Usage of each group in `pgids` (a group with no live member is absent), and the group of each
 * process in `pids` that is alive: so a caller that knows a pid, not its group, learns both in
 * the one scan.
 */
export function scanGroups(
  pgids: ReadonlySet<number>,
  pids: ReadonlySet<number> = new Set(),
): { groups: Map<number, GroupUsage>; groupOf: Map<number, number> } {
  page ??= pageSize();
  const groups = new Map<number, GroupUsage>();
  const groupOf = new Map<number, number>();
  const wanted = new Set(pgids);
  const found: { pgrp: number; ticks: number; rss: number }[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch {
      continue; // gone meanwhile
    }
    // comm may hold spaces and parentheses: the fields start after the last ')'.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (f[0] === 'Z' || f[0] === 'X') continue;
    const pgrp = Number(f[2]);
    if (pids.has(pid)) {
      groupOf.set(pid, pgrp);
      wanted.add(pgrp);
    }
    found.push({
      pgrp,
      ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]),
      rss: Number(f[21]) * page,
    });
  }
  for (const p of found) {
    if (!wanted.has(p.pgrp)) continue;
    const g = groups.get(p.pgrp) ?? { members: 0, ticks: 0, rssBytes: 0 };
    groups.set(p.pgrp, {
      members: g.members + 1,
      ticks: g.ticks + p.ticks,
      rssBytes: g.rssBytes + p.rss,
    });
  }
  return { groups, groupOf };
}
