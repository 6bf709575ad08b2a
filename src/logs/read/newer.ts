/**
 * Which files of a log are newer than the newest one a follower holds (follow.ts): found by
 * inode where it is now, by content once compressed, or — when it is gone — by last write.
 */
import { fstatSync } from 'node:fs';
import {
  type Entry,
  isCopyOf,
  type LogNames,
  onePerIndex,
  openAll,
  type Source,
  scanNow,
  snapshot,
  snapshotAll,
} from './chain.js';
import { oldestFiles } from './walk.js';

/** At most this many files are opened at once; more are taken in turns. */
const MAX_HELD = 64;
/** Snapshots to try while files move on before they are opened (then: at the next event). */
const MAX_TRIES = 1000;

/** A follower's files: `queue` oldest first, the last the newest known. */
export interface Tail {
  log: LogNames;
  queue: Source[];
  closed: boolean;
  /** Said once: files were rotated past --log-keep before they were read. */
  warned: boolean;
  warn(message: string): void;
}

type Place = { index: number; ino: bigint };

/** Where `known` is now: its index and the inode there (its own, or its .gz copy's); 'moved'
 *  when a .gz moved on before it could be compared. A quick scan while files move (up, never
 *  down: nothing is passed over), each name looked at just before it is checked; extend()
 *  confirms it in a snapshot. Given the entries of a snapshot, there. */
function locate(log: LogNames, known: Source, entries?: Entry[]): Place | 'moved' | null {
  let moved = false;
  for (const e of entries ?? scanNow(log)) {
    if (e.ino === known.ino) return { index: e.index, ino: e.ino };
    // Compressed, once its own name is gone (which may happen during the scan).
    if (!e.gz || known.gz || fstatSync(known.fd).nlink > 0) continue;
    const copy = isCopyOf(log, known, e);
    if (copy) return { index: e.index, ino: e.ino };
    moved ||= copy === null;
  }
  return moved ? 'moved' : null;
}

/** Deleted: rotated past --log-keep, or removed by hand. A log's files are written one after
 *  the other, so those written to after ours are the newer ones (a tie — one clock tick — is
 *  taken as newer: a line twice rather than lines lost). Not ctime: logrotate deletes the
 *  oldest file after renaming the others, so they would look older than it. */
function newerThanDeleted(tail: Tail, mtimeNs: bigint, entries: Entry[]): Entry[] {
  const newer = entries.filter((e) => e.mtime >= mtimeNs);
  if (!tail.warned && entries.some((e) => e.index > 0) && newer.length === entries.length) {
    // Even the oldest rotated file is newer than ours: ours went past --log-keep before we were
    // done with the names, and files after it may have gone the same way unread.
    tail.warned = true;
    tail.warn(
      `logs -f fell behind: files of ${tail.log.path} were rotated past --log-keep while it read; lines may be missing here`,
    );
  }
  return newer;
}

/** Not found by the quick scan: the entries newer than it among `entries` (`all`: every file
 *  there is); null: look again; undefined: these do not tell. */
function lostAmong(
  tail: Tail,
  known: Source,
  entries: Entry[],
  all: boolean,
): Entry[] | null | undefined {
  const st = fstatSync(known.fd, { bigint: true });
  const at = locate(tail.log, known, entries);
  if (at === 'moved') return null;
  if (at) return entries.filter((e) => e.index < at.index);
  // Not among the oldest files: below them (or elsewhere), or deleted before one of them was
  // written.
  if (!all && (st.nlink > 0n || !entries.some((e) => e.mtime >= st.mtimeNs))) return undefined;
  // moved elsewhere (dateext, olddir)
  if (st.nlink > 0n) return entries.filter((e) => e.index === 0);
  return newerThanDeleted(tail, st.mtimeNs, entries);
}

/** The entries newer than `known` (null: look again), or all (no file known): found among the
 *  oldest files — what a follower that fell behind resumes with, in a snapshot that settles
 *  under a flood — and only when they do not tell, in a snapshot of every name. */
function lost(tail: Tail, known: Source | undefined): Entry[] | null {
  const oldest = oldestFiles(tail.log, 2 * MAX_HELD);
  if (!known) return oldest.entries; // extend() takes the oldest of them
  const newer = lostAmong(tail, known, oldest.entries, oldest.from === 0);
  return newer !== undefined
    ? newer
    : (lostAmong(tail, known, snapshotAll(tail.log), true) ?? null);
}

/** One look for the files newer than `known`; null: files moved on meanwhile, look again. */
function newerOnce(tail: Tail, known: Source | undefined): Entry[] | null {
  const at = known ? locate(tail.log, known) : null;
  if (at === 'moved') return null;
  if (!known || !at) return lost(tail, known);
  // The next files only (at most MAX_HELD are taken at once): `known` and the names just
  // below it, at one instant.
  const entries = snapshot(tail.log, at.index, Math.max(0, at.index - MAX_HELD));
  // moved on meanwhile
  if (!entries.some((e) => e.index === at.index && e.ino === at.ino)) return null;
  return entries.filter((e) => e.index < at.index);
}

/** Take (open) the files newer than the newest known one; false if there are none (yet). */
export async function extend(tail: Tail): Promise<boolean> {
  const known = tail.queue.at(-1);
  for (let tries = 0; tries < MAX_TRIES && !tail.closed; tries++) {
    // Files moving on while we look: let a signal (Ctrl-C) or an event in between.
    if (tries > 0) await new Promise(setImmediate);
    const newer = newerOnce(tail, known);
    if (newer === null) continue;
    if (newer.length === 0) return false;
    const opened = openAll(tail.log, onePerIndex(newer).reverse().slice(0, MAX_HELD));
    if (!opened) continue; // moved on since the snapshot: look again
    tail.queue.push(...opened);
    return true;
  }
  return false;
}
