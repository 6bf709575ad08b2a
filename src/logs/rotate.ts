/**
 * Size rotation's file moves: NAME.log → NAME.log.1 → … → NAME.log.N, the oldest deleted, and
 * (with compression) rotated files gzipped in the background to NAME.log.K.gz.
 */
import { closeSync, createReadStream, type ReadStream, createWriteStream, existsSync, fstatSync, openSync, readdirSync, renameSync, statSync, unlinkSync, utimesSync, constants as C } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';

const load = createRequire(import.meta.url);

export function rotatedPath(base: string, index: number, gzipped = false): string {
  return `${base}.${index}${gzipped ? '.gz' : ''}`;
}

function quietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // a rotated file that is not there: nothing to move
  }
}

/**
 * Shift the rotated files up by one and move `base` to `.1`. With keep 0 the current file is
 * simply deleted. Both plain and .gz names shift: a file may still wait for compression. One
 * readdir, then a rename per file that exists (not per index up to --log-keep).
 * Throws only if `base` itself cannot be moved.
 */
export function shiftRotated(base: string, keep: number): void {
  const name = basename(base);
  const found: [number, boolean][] = [];
  for (const entry of readdirSync(dirname(base))) {
    const m = entry.startsWith(`${name}.`) ? /^(\d+)(\.gz)?$/.exec(entry.slice(name.length + 1)) : null;
    if (m) found.push([Number(m[1]), m[2] !== undefined]);
  }
  found.sort((a, b) => b[0] - a[0]);
  for (const [index, gz] of found) {
    if (index >= keep) quietly(() => unlinkSync(rotatedPath(base, index, gz)));
    else quietly(() => renameSync(rotatedPath(base, index, gz), rotatedPath(base, index + 1, gz)));
  }
  if (keep === 0) unlinkSync(base);
  else renameSync(base, rotatedPath(base, 1));
}

interface Job {
  ino: number;
  /** The rotation count when the file became `.1`: its index now is rotations − generation + 1. */
  generation: number;
}

/**
 * gzip rotated files one at a time, off the writing path (zlib works in the thread pool). A
 * queued job holds no fd, only the file's inode: a file rotated past --log-keep before its turn
 * is simply gone (its disk space with it). At its turn the job opens the file where it is now
 * (checked by inode); when done, if the file is still kept, it puts the .gz beside it and
 * removes the plain one. The job at work is dropped too once its file is rotated past --log-keep
 * (a flood outran compression): its fd would hold the deleted file's space until it finished.
 */
export class Compressor {
  private readonly queue: Job[] = [];
  private running = false;
  private idle: Promise<void> = Promise.resolve();
  private settle: (() => void) | null = null;
  /** The job being compressed, and how to call it off. */
  private current: { job: Job; abort: AbortController } | null = null;

  private readonly tmp: string;

  constructor(
    private readonly base: string,
    private readonly keep: number,
    private readonly rotations: () => number,
    private readonly onError: (message: string) => void,
  ) {
    // One job at a time, so one temporary name; a supervisor that died mid-job left it behind.
    this.tmp = join(dirname(base), `.${basename(base)}.gz.tmp`);
    quietly(() => unlinkSync(this.tmp));
    // Rotated files an earlier supervisor did not get to compress: theirs to finish now.
    for (let index = 1; index <= keep; index++) {
      if (existsSync(rotatedPath(base, index)) && !existsSync(rotatedPath(base, index, true))) this.add(1 - index, index);
    }
  }

  private indexOf(job: Job): number {
    return this.rotations() - job.generation + 1;
  }

  /** Queue `.index` (default `.1`, which the rotation number `generation` just made). */
  add(generation: number, index = 1): void {
    // Jobs for files rotated beyond --log-keep meanwhile are dropped: their files are gone.
    this.queue.splice(0, this.queue.length, ...this.queue.filter((j) => this.indexOf(j) <= this.keep));
    if (this.current && this.indexOf(this.current.job) > this.keep) this.current.abort.abort();
    let ino: number;
    try {
      ino = statSync(rotatedPath(this.base, index)).ino;
    } catch {
      return;
    }
    this.queue.push({ ino, generation });
    if (!this.running) {
      this.running = true;
      this.idle = new Promise((resolve) => (this.settle = resolve));
      void this.drain();
    }
  }

  /** Resolves when no compression is pending (for tests and an orderly exit). */
  whenIdle(): Promise<void> {
    return this.idle;
  }

  private async drain(): Promise<void> {
    for (let job = this.queue.shift(); job; job = this.queue.shift()) {
      try {
        await this.compress(job);
      } catch (error) {
        this.onError(`cannot compress a rotated log of ${this.base}: ${(error as Error).message}`);
      }
    }
    this.running = false;
    this.settle?.();
  }

  private async compress(job: Job): Promise<void> {
    const index = (): number => this.indexOf(job);
    if (index() > this.keep) return; // rotated away before its turn came
    let fd: number;
    try {
      fd = openSync(rotatedPath(this.base, index()), C.O_RDONLY | C.O_NOFOLLOW);
    } catch {
      return; // removed meanwhile
    }
    const tmp = this.tmp;
    let input: ReadStream | null = null;
    try {
      if (fstatSync(fd).ino !== job.ino) return; // not ours (moved by hand)
      // Loaded on the first compression: a supervisor that never compresses never pays for zlib.
      // require, not import(): in the supervisor's CommonJS bundle import() would boot node's ESM loader.
      const { pipeline } = load('node:stream/promises') as typeof import('node:stream/promises');
      const { createGzip } = load('node:zlib') as typeof import('node:zlib');
      this.current = { job, abort: new AbortController() };
      input = createReadStream('', { fd, autoClose: false, start: 0 });
      await pipeline(input, createGzip(), createWriteStream(tmp, { mode: 0o644 }),
        { signal: this.current.abort.signal });
    } catch (error) {
      quietly(() => unlinkSync(tmp)); // a full disk must not keep a half-written .gz
      if (this.current?.abort.signal.aborted) return; // rotated away: nothing to keep
      throw error;
    } finally {
      this.current = null;
      // A stream that was destroyed (called off, or an error) closes the fd itself, once its read
      // in the thread pool has landed; else it is ours to close.
      if (input?.destroyed) {
        if (!input.closed) await new Promise<void>((resolve) => input!.once('close', () => resolve()));
      } else closeSync(fd);
    }
    const at = rotatedPath(this.base, index());
    let same = false;
    try {
      same = index() <= this.keep && statSync(at).ino === job.ino;
    } catch {
      same = false;
    }
    if (!same) {
      unlinkSync(tmp);
      return;
    }
    // The .gz keeps the file's times, as gzip(1) does: `logs -f` tells older files from newer
    // by their last write (follow.ts).
    quietly(() => {
      const st = statSync(at);
      utimesSync(tmp, st.atimeMs / 1000, st.mtimeMs / 1000);
    });
    renameSync(tmp, rotatedPath(this.base, index(), true));
    unlinkSync(at);
  }
}
