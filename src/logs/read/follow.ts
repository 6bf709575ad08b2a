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
import { closeSync, type FSWatcher, fstatSync, watch } from 'node:fs';
import { dirname } from 'node:path';
import { BLOCK, eachBlock, eachInflatedLine, type Write } from './blocks.js';
import { closeAll, type LogNames, logNames, type Source } from './chain.js';
import { extend, MAX_HELD, type Tail } from './newer.js';

export type { Write } from './blocks.js';
export { printLast } from './last.js';

export interface FollowOptions {
  /** Problems, for stderr — once: lines were rotated past --log-keep before they were read. */
  warn(message: string): void;
}

export interface Following {
  close(): void;
}

interface Follower extends Tail {
  write: Write;
  /** The last problem said (once, not at every event). */
  lastError: string;
  /** Read, not yet written (put()). */
  pending: Buffer[];
  pendingBytes: number;
}

/** Hand a chunk on, a block at a time: under fast rotation each file holds a few KiB, and a
 *  write each (which wakes our reader) cost the follower more than reading them. */
function put(f: Follower, chunk: Buffer): unknown {
  if (f.closed) return false;
  f.pending.push(chunk);
  f.pendingBytes += chunk.length;
  return f.pendingBytes >= BLOCK ? flush(f) : undefined;
}

/** Write what put() holds (at the end of each look, and each block). */
function flush(f: Follower): unknown {
  if (f.pending.length === 0 || f.closed) return undefined;
  const chunk = f.pending.length === 1 ? f.pending[0]! : Buffer.concat(f.pending);
  f.pending = [];
  f.pendingBytes = 0;
  return f.write(chunk);
}

/** Copy what `head` has gained since its position (from the start after a copytruncate). */
async function readOn(f: Follower, head: Source): Promise<void> {
  const end = head.gz ? null : f.log.readableEnd(head); // null: skipped (a trap, names.ts)
  if (end === null) return;
  if (end < head.pos) head.pos = 0; // copytruncate: from the start
  const out = (chunk: Buffer): unknown => put(f, chunk);
  head.pos = await eachBlock(head.fd, head.pos, f.log.guarded ? end : Infinity, out);
}

/** Whether a file newer than the oldest held has data (or is compressed or skipped). */
const newerHasData = (f: Follower): boolean =>
  f.queue.slice(1).some((s) => s.gz || s.skipped || fstatSync(s.fd).size > 0);

/** Read the oldest file to its end; go on to the next once a newer one has data (until then
 *  the writer may still be at it: logrotate renamed it, and the reopen is yet to come). */
async function drain(f: Follower): Promise<void> {
  while (f.queue.length > 0 && !f.closed) {
    const head = f.queue[0]!;
    if (head.gz && !head.done) {
      // Damaged: said, and on to the next.
      await eachInflatedLine(
        head.fd,
        (chunk) => put(f, chunk),
        (error) => f.warn(`${head.path}: ${error.message}`),
      );
    }
    head.done = head.gz || head.skipped === true;
    await readOn(f, head);
    if (f.queue.length === 1 || f.closed || !newerHasData(f)) return;
    await readOn(f, head); // its very last lines
    closeSync(f.queue.shift()!.fd);
  }
}

async function step(f: Follower): Promise<void> {
  await drain(f);
  while (await holdNewer(f)) {
    await drain(f);
    await new Promise(setImmediate); // a follower far behind catches up in turns: Ctrl-C is heard
  }
}

/** A step, and what it read written. */
async function stepAndFlush(f: Follower): Promise<void> {
  try {
    await step(f);
  } finally {
    await flush(f);
  }
}

/** Take the files newer than those held, up to NAME.log (at most MAX_HELD held), before any is
 *  read: only a file held is safe from rotation, and reading them — and writing, at our reader's
 *  pace — can take longer than rotation takes to delete the next one. False: none taken. */
async function holdNewer(f: Follower): Promise<boolean> {
  let took = false;
  while (
    !f.closed &&
    f.queue.length < MAX_HELD &&
    (f.queue.length === 0 || f.log.inode() !== f.queue.at(-1)!.ino) &&
    (await extend(f))
  )
    took = true;
  return took;
}

/** A step whose failure is said once (not at every event) and does not stop the follower. */
async function stepSaying(f: Follower): Promise<void> {
  try {
    if (!f.closed) await stepAndFlush(f);
  } catch (error) {
    const said = (error as Error).message;
    const message = said.startsWith('cannot read ') ? said : `cannot follow ${f.log.path}: ${said}`;
    if (!f.closed && message !== f.lastError) f.warn(message);
    f.lastError = message;
  }
}

interface Watching {
  /** No events until resume(): one look covers them all, and each costs (under a flood, the
   *  renames of rotation are ~15,000 events a second, a third of the follower's CPU). */
  pause(): void;
  /** Events again: each change from now on is one; the look that follows sees those before. */
  resume(): void;
  close(): void;
}

/** Call `wake` at each event of the log's directory, and at least once a second (watching
 *  again once the directory is there). */
function watchLog(path: string, wake: () => void): Watching {
  let watcher: FSWatcher | null = null;
  let paused = false;
  const unwatch = (): void => {
    watcher?.close();
    watcher = null;
  };
  const watchDir = (): void => {
    try {
      watcher = watch(dirname(path), wake).on('error', unwatch); // gone: the timer tries again
    } catch {
      watcher = null; // the directory is not there (yet)
    }
  };
  watchDir();
  const timer = setInterval(() => {
    if (!watcher && !paused) watchDir();
    wake();
  }, 1000);
  return {
    pause() {
      paused = true;
      unwatch();
    },
    resume() {
      paused = false;
      if (!watcher) watchDir();
    },
    close() {
      unwatch();
      clearInterval(timer);
    },
  };
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
  const f: Follower = {
    log,
    queue: [...from],
    write,
    warn: (message) => options.warn(message),
    closed: false,
    warned: false,
    lastError: '',
    pending: [],
    pendingBytes: 0,
  };
  let turns = Promise.resolve();
  let scheduled = false;
  /** An event: a look at the files, after the one under way, once the batch of events is in. */
  const wake = (): void => {
    if (f.closed || scheduled) return;
    scheduled = true;
    watching.pause();
    turns = turns
      .then(() => new Promise(setImmediate))
      .then(() => {
        scheduled = false;
        if (!f.closed) watching.resume(); // before the look: a change during it is an event
        return stepSaying(f);
      });
  };
  const watching: Watching = watchLog(log.path, wake);
  wake();
  return {
    close() {
      f.closed = true;
      watching.close();
      void turns.then(() => closeAll(f.queue));
    },
  };
}
