/**
 * A log and its rotated files — NAME.log, NAME.log.1, NAME.log.1.gz, … — as they were at one
 * instant, and opening them.
 *
 * Rotation renames files while we look, so one look (a stat per name) is not an instant; two
 * looks in a row that agree on every name's inode are: a name never gets back an inode it lost
 * (files only move up), so each binding held from the first look to the second, and all of them
 * at the moment between. Files are then opened by name and checked by inode: an
 * open file stays readable however it is renamed, compressed or deleted afterwards.
 * (Reading them: blocks.ts.)
 */
import { closeSync, fstatSync, readSync } from 'node:fs';
import { constants as zlib, gunzipSync } from 'node:zlib';
import { LogNames, type Source } from './names.js';

export { LogNames, type Source } from './names.js';

/** Looks before settling for the last one (a directory that never holds still for two). */
const MAX_LOOKS = 1000;
/** Indices scanNow looks at before it reads how many there are. */
const NEAR = 8;

/** One of the log's files in a look: `index` 0 is NAME.log itself. */
export interface Entry {
  path: string;
  index: number;
  gz: boolean;
  ino: bigint;
  /** Last write: for telling files older than a deleted one from newer ones (a log's files are
   *  written one after the other; a rename or compression does not change it, see rotate.ts). */
  mtime: bigint;
}

export const nameAt = (path: string, index: number, gz: boolean): string =>
  index === 0 ? path : `${path}.${index}${gz ? '.gz' : ''}`;

/** A log given by its path: read as names.ts says (skipped files named through `warn`). */
export const logNames = (log: string | LogNames, warn?: (message: string) => void): LogNames =>
  typeof log === 'string' ? new LogNames(log, warn ? { warn } : {}) : log;

/** The highest K of the NAME.log.K and NAME.log.K.gz there are now (0: none). */
export const highestIndex = (log: LogNames): number => log.highestIndex();

/** The names of NAME.log.`from` … NAME.log.`upTo` (index 0: NAME.log itself), plain then .gz. */
function slots(from: number, upTo: number): { index: number; gz: boolean }[] {
  const names: { index: number; gz: boolean }[] = [];
  for (let index = from; index <= upTo; index++) {
    names.push({ index, gz: false });
    if (index > 0) names.push({ index, gz: true });
  }
  return names;
}

/**
 * The log's files from NAME.log.`from` to NAME.log.`upTo` at one instant, newest first
 * (NAME.log, .1, .1.gz, .2, …). A narrow range settles sooner: while the supervisor rotates
 * without pause (thousands of renames a second), two looks at hundreds of names seldom agree.
 */
export function snapshot(log: LogNames, upTo: number, from = 0): Entry[] {
  let prev = lookAt(log, upTo, from);
  for (let i = 0; i < MAX_LOOKS; i++) {
    const next = lookAt(log, upTo, from);
    if (sameLook(next, prev)) break;
    prev = next;
  }
  return prev;
}

/** One look at the names of NAME.log.`from` … NAME.log.`upTo`, newest first: each name looked at
 *  in turn, not an instant — two that agree are (snapshot()). */
export function lookAt(log: LogNames, upTo: number, from = 0): Entry[] {
  const entries: Entry[] = [];
  for (const { index, gz } of slots(from, Math.min(upTo, log.maxIndex))) {
    const path = nameAt(log.path, index, gz);
    const st = log.look(path);
    if (st) entries.push({ path, index, gz, ...st });
  }
  return entries;
}

/** Two looks at the same names agree: each name held the same file (or none) in both. */
export const sameLook = (a: Entry[], b: Entry[]): boolean =>
  a.length === b.length && a.every((e, i) => e.path === b[i]!.path && e.ino === b[i]!.ino);

/** All of the log's files at one instant (growing the range while files shift up into it). */
export function snapshotAll(log: LogNames): Entry[] {
  for (let upTo = highestIndex(log) + 1; ; upTo *= 2) {
    const entries = snapshot(log, upTo);
    if (upTo >= log.maxIndex || !entries.some((e) => e.index === upTo)) return entries;
  }
}

/** The log's files newest first from NAME.log.`from`, each name looked at as the scan reaches it
 *  (not an instant). */
export function* scanNow(log: LogNames, from = 0): Generator<Entry> {
  // The range is read once, and only past the first names (a follower finds the file it holds
  // there, a readdir of thousands of names for each would be quadratic). Files moving up past it
  // meanwhile are found by the next look (extend() confirms it).
  const path = log.path;
  let last = Math.min(2 * (from + NEAR), 2 * log.maxIndex);
  let read = false;
  for (let i = Math.max(0, 2 * from - 1); ; i++) {
    if (i > last && !read) {
      last = Math.max(last, 2 * (highestIndex(log) + 1));
      read = true;
    }
    if (i > last) return;
    const [index, gz] = [(i + 1) >> 1, i % 2 === 0 && i > 0];
    const st = log.look(nameAt(path, index, gz));
    if (st) yield { path: nameAt(path, index, gz), index, gz, ...st };
  }
}

/** `gz` is the compressed copy of `plain`: the same size, and the same first bytes (what the
 *  first KiB of the .gz decompresses to; compression runs on whole files only). null: the name
 *  holds another file by now. */
export function isCopyOf(log: LogNames, plain: Source, gz: Entry): boolean | null {
  if (plain.skipped) return false;
  const src = openEntry(log, gz);
  if (!src) return null;
  if (src.skipped) {
    closeSync(src.fd);
    return false;
  }
  try {
    const size = fstatSync(plain.fd).size;
    const gzSize = fstatSync(src.fd).size;
    const head = Buffer.alloc(Math.min(1024, gzSize));
    if (
      gzSize < 20 ||
      readSync(src.fd, head, 0, 4, gzSize - 4) !== 4 ||
      head.readUInt32LE(0) !== size % 2 ** 32
    )
      return false;
    readSync(src.fd, head, 0, head.length, 0);
    const start = gunzipSync(head, { finishFlush: zlib.Z_SYNC_FLUSH, maxOutputLength: 2 << 20 });
    const n = Math.min(start.length, size);
    const mine = Buffer.alloc(n);
    return (
      (n > 0 || size === 0) &&
      readSync(plain.fd, mine, 0, n, 0) === n &&
      mine.equals(start.subarray(0, n))
    );
  } catch {
    return false; // not a readable .gz: not a copy
  } finally {
    closeSync(src.fd);
  }
}

/** One file per index: a plain file and its .gz side by side (compression finishing) are the
 *  same. */
export function onePerIndex(entries: Entry[]): Entry[] {
  return entries.filter((e, i) => i === 0 || entries[i - 1]!.index !== e.index);
}

/** Open an entry if its name still holds the same file; null if not (moved on meanwhile).
 *  Throws when it cannot be read (EACCES, …). In a shared directory it may come back skipped
 *  (names.ts): held, but not read. */
export function openEntry(log: LogNames, e: Entry): Source | null {
  return log.open(e.path, e.ino, e.gz);
}

/** Open every entry, or none (closing what was opened) if one moved on meanwhile. */
export function openAll(log: LogNames, entries: Entry[]): Source[] | null {
  const opened: Source[] = [];
  for (const e of entries) {
    const src = openEntry(log, e);
    if (!src) {
      closeAll(opened);
      return null;
    }
    opened.push(src);
  }
  return opened;
}

export function closeAll(sources: Source[]): void {
  for (const s of sources.splice(0)) closeSync(s.fd);
}
