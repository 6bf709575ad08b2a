/**
 * Which files of a log are newer than the newest one a follower holds (follow.ts): found by
 * inode where it is now, by content once compressed, or — when it is gone — by last write.
 */
import { closeSync, fstatSync } from 'node:fs';
import {
  type Entry,
  isCopyOf,
  type LogNames,
  lookAt,
  onePerIndex,
  openAll,
  openEntry,
  type Source,
  sameLook,
  scanNow,
  snapshotAll,
} from './chain.js';
import { oldestFiles } from './walk.js';

/** At most this many files are opened at once; more are taken in turns. */
export const MAX_HELD = 64;
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
  /** The index the newest one held was last seen at (files only move up: a look starts there). */
  seen?: number;
}

type Place = { index: number; ino: bigint };

/** How far apart a file's last write and its .gz copy's may be: the compressor gives the copy the
 *  file's times (in float seconds, a µs off at most), as gzip(1) does. */
const SAME_TIME = 1_000_000n;

/** Where `known` is now: its index and the inode there (its own, or its .gz copy's); 'moved'
 *  when a .gz moved on before it could be compared. A quick scan while files move (up, never
 *  down: nothing is passed over), each name looked at just before it is checked; extend()
 *  confirms it in a snapshot. Given the entries of a snapshot, there. `from`: where it was last
 *  seen. `sameTime`: a .gz is compared only when its last write is the file's — a comparison
 *  (opening and inflating it) costs ms under load, while rotation moves the copy on; when that
 *  does not find it, lost() compares every one. */
function locate(
  log: LogNames,
  known: Source,
  { entries, from = 0, sameTime = false }: { entries?: Entry[]; from?: number; sameTime?: boolean },
): Place | 'moved' | null {
  let moved = false;
  let mtime: bigint | null = null;
  for (const e of entries ?? scanNow(log, from)) {
    if (e.ino === known.ino) return { index: e.index, ino: e.ino };
    // Compressed, once its own name is gone (which may happen during the scan).
    if (!e.gz || known.gz) continue;
    const st = fstatSync(known.fd, { bigint: true });
    if (st.nlink > 0n) continue;
    mtime ??= st.mtimeNs;
    const gap = e.mtime - mtime;
    if (sameTime && (gap > SAME_TIME || gap < -SAME_TIME)) continue;
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
  const at = locate(tail.log, known, { entries });
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

/** Names looked at below a held file for the next newer one, at first (then twice as many: a
 *  gap, from a rotation under way or a file removed by hand). */
const BELOW = 2;

/**
 * The file just newer than the one at `at` (open), and its index: the nearest file below it, at
 * one instant — a look at the names between, the open of that file, and a second look that
 * agrees (chain.ts) — so only a few syscalls long: a follower taken off the CPU between a look
 * and an open that came long after it lost every try while rotation went on. 'none': there is
 * none (NAME.log is gone); null: the names moved meanwhile, look again.
 */
function nextNewer(log: LogNames, at: Place): { src: Source; index: number } | 'none' | null {
  for (let width = BELOW; ; width *= 2) {
    const from = Math.max(0, at.index - width);
    const first = lookAt(log, at.index, from);
    if (!first.some((e) => e.index === at.index && e.ino === at.ino)) return null;
    const below = first.filter((e) => e.index < at.index);
    const next = below.find((e) => e.index === below.at(-1)?.index); // plain before its .gz
    if (!next) {
      if (from === 0) return 'none';
      continue;
    }
    const src = openEntry(log, next);
    if (!src) return null;
    const between = first.filter((e) => e.index >= next.index);
    if (sameLook(lookAt(log, at.index, next.index), between)) return { src, index: next.index };
    closeSync(src.fd);
    return null;
  }
}

/** Take the file next newer than `known`, where it was found; false if there is none (yet),
 *  null: look again. */
function takeNext(tail: Tail, at: Place): boolean | null {
  if (at.index === 0) return false; // NAME.log itself, replaced meanwhile: at the next event
  const next = nextNewer(tail.log, at);
  if (next === null) return null;
  if (next === 'none') return false;
  tail.queue.push(next.src);
  tail.seen = next.index;
  return true;
}

/** Take the files newer than a `known` that was not found where it was (or every file, when
 *  none is known); false if there are none (yet), null: look again. */
function takeLost(tail: Tail, known: Source | undefined): boolean | null {
  const newer = lost(tail, known);
  if (newer === null) return null;
  if (newer.length === 0) return false;
  const taken = onePerIndex(newer).reverse().slice(0, MAX_HELD);
  const opened = openAll(tail.log, taken);
  if (!opened) return null; // moved on since the snapshot: look again
  tail.queue.push(...opened);
  tail.seen = taken.at(-1)!.index;
  return true;
}

/** Take (open) the files newer than the newest known one: the next one when it is found, as
 *  rotation goes on, else those written after it; false if there are none (yet). */
export async function extend(tail: Tail): Promise<boolean> {
  const known = tail.queue.at(-1);
  for (let tries = 0; tries < MAX_TRIES && !tail.closed; tries++) {
    // Files moving on while we look: let a signal (Ctrl-C) or an event in between.
    if (tries > 0) await new Promise(setImmediate);
    const at = known ? locate(tail.log, known, { from: tail.seen, sameTime: true }) : null;
    if (at === 'moved') continue;
    const taken = at ? takeNext(tail, at) : takeLost(tail, known);
    if (taken !== null) return taken;
  }
  return false;
}
