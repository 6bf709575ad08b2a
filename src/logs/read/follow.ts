/**
 * Following a service's log like `tail -F`: through size rotation (renamed, maybe many times
 * between two looks), logrotate's create + reopen, and copytruncate. Bytes are copied as they
 * are, a block at a time: nothing is cut or joined. It starts where last.ts's printLast ended.
 *
 * The follower holds open the files it has still to read (chain.ts), so a rename, compression or
 * deletion after it opened one costs nothing. It learns of changes from inotify events of the
 * directory (a 1 s re-check is only a safety net). When NAME.log is another file than the newest
 * it knows, it finds that one among the rotated files — by inode, or by content once compressed —
 * and takes every file newer than it, oldest first, in a snapshot of the names up to it.
 */
import { closeSync, fstatSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { eachBlock, eachInflatedLine, type Write } from './blocks.js';
import {
  closeAll,
  isCopyOf,
  logNames,
  onePerIndex,
  openAll,
  scanNow,
  snapshot,
  snapshotAll,
  type Entry,
  type LogNames,
  type Source,
} from './chain.js';

export type { Write } from './blocks.js';
export { printLast } from './last.js';
import { oldestFiles } from './walk.js';
/** At most this many files are opened at once; more are taken in turns. */
const MAX_HELD = 64;
/** Snapshots to try while files move on before they are opened (then: at the next event). */
const MAX_TRIES = 1000;

export interface FollowOptions {
  /** Problems, for stderr — once: lines were rotated past --log-keep before they were read. */
  warn(message: string): void;
}

export interface Following {
  close(): void;
}

/**
 * Call `write` with everything added to the log after `from` (printLast's files), across
 * rotations, until closed. With `from` empty (there was no file), every file that appears is new.
 */
export function follow(
  file: string | LogNames,
  from: Source[],
  write: Write,
  options: FollowOptions,
): Following {
  const log = logNames(file, options.warn);
  const path = log.path;
  const queue = [...from]; // oldest first; the last is the newest known
  let [closed, warned, lastError] = [false, false, ''];

  /** Read the oldest file to its end; go on to the next once a newer one has data (until then
   *  the writer may still be at it: logrotate renamed it, and the reopen is yet to come). */
  const drain = async (): Promise<void> => {
    while (queue.length > 0 && !closed) {
      const head = queue[0]!;
      if (head.gz && !head.done) {
        // Damaged: said, and on to the next.
        await eachInflatedLine(
          head.fd,
          (chunk) => !closed && write(chunk),
          (error) => options.warn(`${head.path}: ${error.message}`),
        );
      }
      head.done = head.gz || head.skipped === true;
      const out = (chunk: Buffer): unknown => !closed && write(chunk);
      const readOn = async (): Promise<void> => {
        const end = head.gz ? null : log.readableEnd(head); // null: skipped (a trap, names.ts)
        if (end === null) return;
        if (end < head.pos) head.pos = 0; // copytruncate: from the start
        head.pos = await eachBlock(head.fd, head.pos, log.guarded ? end : Infinity, out);
      };
      await readOn();
      if (
        queue.length === 1 ||
        closed ||
        !queue.slice(1).some((s) => s.gz || s.skipped || fstatSync(s.fd).size > 0)
      )
        return;
      await readOn(); // its very last lines
      closeSync(queue.shift()!.fd);
    }
  };

  /** Where `known` is now: its index and the inode there (its own, or its .gz copy's); 'moved'
   *  when a .gz moved on before it could be compared. A quick scan while files move (up, never
   *  down: nothing is passed over), each name looked at just before it is checked; extend()
   *  confirms it in a snapshot. Given the entries of a snapshot, there. */
  const locate = (
    known: Source,
    entries?: Entry[],
  ): { index: number; ino: bigint } | 'moved' | null => {
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
  };

  /** Not found by the quick scan: the entries newer than it among `entries` (`all`: every file
   *  there is); null: look again; undefined: these do not tell. */
  const lostAmong = (known: Source, entries: Entry[], all: boolean): Entry[] | null | undefined => {
    const st = fstatSync(known.fd, { bigint: true });
    const at = locate(known, entries);
    if (at === 'moved') return null;
    if (at) return entries.filter((e) => e.index < at.index);
    // Not among the oldest files: below them (or elsewhere), or deleted before one of them was
    // written.
    if (!all && (st.nlink > 0n || !entries.some((e) => e.mtime >= st.mtimeNs))) return undefined;
    // moved elsewhere (dateext, olddir)
    if (st.nlink > 0n) return entries.filter((e) => e.index === 0);
    // Deleted: rotated past --log-keep, or removed by hand. A log's files are written one after
    // the other, so those written to after ours are the newer ones (a tie — one clock tick — is
    // taken as newer: a line twice rather than lines lost). Not ctime: logrotate deletes the
    // oldest file after renaming the others, so they would look older than it.
    const newer = entries.filter((e) => e.mtime >= st.mtimeNs);
    if (!warned && entries.some((e) => e.index > 0) && newer.length === entries.length) {
      // Even the oldest rotated file is newer than ours: ours went past --log-keep before we were
      // done with the names, and files after it may have gone the same way unread.
      warned = true;
      options.warn(
        `logs -f fell behind: files of ${path} were rotated past --log-keep while it read; lines may be missing here`,
      );
    }
    return newer;
  };

  /** The entries newer than `known` (null: look again), or all (no file known): found among the
   *  oldest files — what a follower that fell behind resumes with, in a snapshot that settles
   *  under a flood — and only when they do not tell, in a snapshot of every name. */
  const lost = (known: Source | undefined): Entry[] | null => {
    const oldest = oldestFiles(log, 2 * MAX_HELD);
    if (!known) return oldest.entries; // extend() takes the oldest of them
    const newer = lostAmong(known, oldest.entries, oldest.from === 0);
    return newer !== undefined ? newer : (lostAmong(known, snapshotAll(log), true) ?? null);
  };

  /** Take (open) the files newer than the newest known one; false if there are none (yet). */
  const extend = async (): Promise<boolean> => {
    const known = queue.at(-1);
    for (let tries = 0; tries < MAX_TRIES && !closed; tries++) {
      // Files moving on while we look: let a signal (Ctrl-C) or an event in between.
      if (tries > 0) await new Promise(setImmediate);
      let newer: Entry[] | null;
      const at = known ? locate(known) : null;
      if (known && at && at !== 'moved') {
        // The next files only (at most MAX_HELD are taken at once): `known` and the names just
        // below it, at one instant.
        const entries = snapshot(log, at.index, Math.max(0, at.index - MAX_HELD));
        // moved on meanwhile
        if (!entries.some((e) => e.index === at.index && e.ino === at.ino)) continue;
        newer = entries.filter((e) => e.index < at.index);
      } else if (at === 'moved') continue;
      else newer = lost(known);
      if (newer === null) continue;
      if (newer.length === 0) return false;
      const opened = openAll(log, onePerIndex(newer).reverse().slice(0, MAX_HELD));
      if (!opened) continue; // moved on since the snapshot: look again
      queue.push(...opened);
      return true;
    }
    return false;
  };

  const step = async (): Promise<void> => {
    await drain();
    while (
      !closed &&
      (queue.length === 0 || log.inode() !== queue.at(-1)!.ino) &&
      (await extend())
    ) {
      await drain();
      await new Promise(setImmediate); // a follower far behind catches up in turns: Ctrl-C is heard
    }
  };

  let turns = Promise.resolve();
  let scheduled = false;
  /** An event: a look at the files, after the one under way, once the batch of events is in. */
  const wake = (): void => {
    if (closed || scheduled) return;
    scheduled = true;
    turns = turns
      .then(() => new Promise(setImmediate))
      .then(async () => {
        scheduled = false;
        try {
          if (!closed) await step();
        } catch (error) {
          const said = (error as Error).message;
          const message = said.startsWith('cannot read ') ? said : `cannot follow ${path}: ${said}`;
          if (!closed && message !== lastError) options.warn(message); // once, not at every event
          lastError = message;
        }
      });
  };

  let watcher: FSWatcher | null = null;
  const watchDir = (): void => {
    try {
      watcher = watch(dirname(path), wake).on('error', () => {
        watcher?.close();
        watcher = null; // the directory went away: the timer tries again
      });
    } catch {
      watcher = null; // the directory is not there (yet)
    }
  };
  watchDir();
  const timer = setInterval(() => {
    if (!watcher) watchDir();
    wake();
  }, 1000);
  wake();
  return {
    close() {
      closed = true;
      watcher?.close();
      clearInterval(timer);
      void turns.then(() => closeAll(queue));
    },
  };
}
