/**
 * Walking a log's files from newest to oldest while rotation renames them, a narrow window of
 * names at a time — a snapshot of all of them seldom settles under a flood with thousands kept
 * (two looks at thousands of names, while the supervisor renames them without pause, rarely
 * agree). Files only move up (NAME.log → .1 → .2 …, plain → .gz), never down, so the file next
 * older than one we hold is found by looking where that one is now and just above it, at one
 * instant (chain.ts snapshot()). Each step opens one file: nothing is skipped, nothing taken twice.
 */
import { fstatSync } from 'node:fs';
import {
  highestIndex,
  isCopyOf,
  snapshot,
  type Entry,
  type LogNames,
  type Source,
} from './chain.js';

/** Names looked at in one step (indices; each has a plain and a .gz name). */
const WINDOW = 32;

/** Where a held file is now: it, or its .gz copy once compressed (its own name gone). */
function findIn(log: LogNames, entries: Entry[], held: Source): number | 'moved' {
  const at = entries.findIndex((e) => e.ino === held.ino);
  // After the look: if it still has a name now, it had it then, and would have been found.
  if (at >= 0 || held.gz || fstatSync(held.fd).nlink > 0) return at;
  for (const [i, e] of entries.entries()) {
    if (!e.gz) continue;
    const copy = isCopyOf(log, held, e);
    if (copy === null) return 'moved';
    if (copy) return i;
  }
  return -1;
}

/**
 * The file next older than `held` (open; last seen at index `seen`), or the newest of all when
 * `held` is null. 'end': there is none — `held` is the oldest, or went past --log-keep (and every
 * older one before it); null: the names moved on while we looked, look again.
 */
export function olderThan(log: LogNames, held: Source | null, seen: number): Entry | 'end' | null {
  for (let from = held ? seen : 0, width = WINDOW; ; ) {
    const entries = snapshot(log, from + width, from);
    const at = held ? findIn(log, entries, held) : -1;
    if (at === 'moved') return null;
    const lost = held !== null && at < 0; // not here at that instant: further up, or gone
    const older = lost
      ? undefined
      : entries.find((e) => e.index > (at >= 0 ? entries[at]!.index : -1));
    if (older) return older;
    // Looked at after the snapshot, the highest index bounds where files were then (they only
    // move up); only now, not at each step: a readdir of thousands of names costs.
    if (from + width >= Math.min(highestIndex(log), log.maxIndex)) return 'end';
    if (lost) from += width + 1;
    else width *= 2; // a gap (a file removed by hand): look further
  }
}

/**
 * The oldest files at one instant: the `width` highest indices there are (more when files move
 * up into the top meanwhile), and where that window starts (0: it holds all of them).
 */
export function oldestFiles(log: LogNames, width: number): { entries: Entry[]; from: number } {
  for (let upTo = highestIndex(log) + 1; ; upTo *= 2) {
    const from = Math.max(0, Math.min(upTo, log.maxIndex) - width);
    const entries = snapshot(log, upTo, from);
    if (upTo >= log.maxIndex || !entries.some((e) => e.index === upTo)) return { entries, from };
  }
}
