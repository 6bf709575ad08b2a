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
import { closeSync, fstatSync, openSync, readSync, readdirSync, statSync, constants as C } from 'node:fs';
import { basename, dirname } from 'node:path';
import { constants as zlib, gunzipSync } from 'node:zlib';

/** Looks before settling for the last one (a directory that never holds still for two). */
const MAX_LOOKS = 1000;

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

/** An open file of the log: `pos` is how far it has been read (plain files). */
export interface Source {
  fd: number;
  ino: bigint;
  gz: boolean;
  path: string;
  pos: number;
  /** A .gz already read whole. */
  done: boolean;
}

export const nameAt = (path: string, index: number, gz: boolean): string => (index === 0 ? path : `${path}.${index}${gz ? '.gz' : ''}`);

/** The highest K of the NAME.log.K and NAME.log.K.gz there are now (0: none). */
export function highestIndex(path: string): number {
  const name = basename(path);
  let max = 0;
  try {
    for (const entry of readdirSync(dirname(path))) {
      const m = entry.startsWith(`${name}.`) ? /^([1-9][0-9]{0,8})(\.gz)?$/.exec(entry.slice(name.length + 1)) : null;
      if (m) max = Math.max(max, Number(m[1]));
    }
  } catch {
    // no directory (yet): no files
  }
  return max;
}

function statAt(path: string): { ino: bigint; mtime: bigint } | null {
  try {
    const st = statSync(path, { bigint: true });
    return { ino: st.ino, mtime: st.mtimeNs };
  } catch {
    return null;
  }
}

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
export function snapshot(path: string, upTo: number, from = 0): Entry[] {
  const names = slots(from, upTo);
  const look = (): ({ ino: bigint; mtime: bigint } | null)[] => names.map((n) => statAt(nameAt(path, n.index, n.gz)));
  let prev = look();
  for (let i = 0; i < MAX_LOOKS; i++) {
    const next = look();
    if (next.every((st, j) => st?.ino === prev[j]?.ino)) break;
    prev = next;
  }
  const entries: Entry[] = [];
  prev.forEach((st, i) => {
    const { index, gz } = names[i]!;
    if (st) entries.push({ path: nameAt(path, index, gz), index, gz, ...st });
  });
  return entries;
}

/** All of the log's files at one instant (growing the range while files shift up into it). */
export function snapshotAll(path: string): Entry[] {
  for (let upTo = highestIndex(path) + 1; ; upTo *= 2) {
    const entries = snapshot(path, upTo);
    if (!entries.some((e) => e.index === upTo)) return entries;
  }
}

/** The log's files newest first, each name looked at as the scan reaches it (not an instant). */
export function* scanNow(path: string): Generator<Entry> {
  // The range is read once: a readdir per name would make a scan of thousands of files quadratic.
  // Files moving up past it meanwhile are found by the next look (extend() confirms in a snapshot).
  const last = 2 * (highestIndex(path) + 1);
  for (let i = 0; i <= last; i++) {
    const [index, gz] = [(i + 1) >> 1, i % 2 === 0 && i > 0];
    const st = statAt(nameAt(path, index, gz));
    if (st) yield { path: nameAt(path, index, gz), index, gz, ...st };
  }
}

/** `gz` is the compressed copy of `plain`: the same size, and the same first bytes (what the
 *  first KiB of the .gz decompresses to; compression runs on whole files only). null: the name
 *  holds another file by now. */
export function isCopyOf(plain: Source, gz: Entry): boolean | null {
  const src = openEntry(gz);
  if (!src) return null;
  try {
    const size = fstatSync(plain.fd).size;
    const gzSize = fstatSync(src.fd).size;
    const head = Buffer.alloc(Math.min(1024, gzSize));
    if (gzSize < 20 || readSync(src.fd, head, 0, 4, gzSize - 4) !== 4 || head.readUInt32LE(0) !== size % 2 ** 32) return false;
    readSync(src.fd, head, 0, head.length, 0);
    const start = gunzipSync(head, { finishFlush: zlib.Z_SYNC_FLUSH, maxOutputLength: 2 << 20 });
    const n = Math.min(start.length, size);
    const mine = Buffer.alloc(n);
    return (n > 0 || size === 0) && readSync(plain.fd, mine, 0, n, 0) === n && mine.equals(start.subarray(0, n));
  } catch {
    return false; // not a readable .gz: not a copy
  } finally {
    closeSync(src.fd);
  }
}

/** One file per index: a plain file and its .gz side by side (compression finishing) are the same. */
export function onePerIndex(entries: Entry[]): Entry[] {
  return entries.filter((e, i) => i === 0 || entries[i - 1]!.index !== e.index);
}

/** Open an entry if its name still holds the same file; null if not (moved on meanwhile).
 *  Throws when it cannot be read (EACCES, …). */
export function openEntry(e: Entry): Source | null {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO put where a log was must not hang us (it is refused just below).
    fd = openSync(e.path, C.O_RDONLY | C.O_NOCTTY | C.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new Error(`cannot read ${e.path}: ${code === 'EACCES' ? 'permission denied' : code ?? (error as Error).message}`);
  }
  const st = fstatSync(fd, { bigint: true });
  if (st.ino !== e.ino) {
    closeSync(fd);
    return null;
  }
  if (!st.isFile()) {
    closeSync(fd);
    throw new Error(`cannot read ${e.path}: it is ${st.isDirectory() ? 'a directory' : 'not a regular file'}`);
  }
  return { fd, ino: e.ino, gz: e.gz, path: e.path, pos: 0, done: false };
}

/** Open every entry, or none (closing what was opened) if one moved on meanwhile. */
export function openAll(entries: Entry[]): Source[] | null {
  const opened: Source[] = [];
  for (const e of entries) {
    const src = openEntry(e);
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

export const inodeAt = (path: string): bigint | null => {
  try {
    return statSync(path, { bigint: true }).ino;
  } catch {
    return null;
  }
};
