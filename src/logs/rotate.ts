/**
 * Size rotation's file moves: NAME.log → NAME.log.1 → … → NAME.log.N, the oldest deleted, and
 * (with compression) rotated files gzipped in the background to NAME.log.K.gz.
 */
import { closeSync, createReadStream, createWriteStream, fstatSync, openSync, renameSync, statSync, unlinkSync, constants as C } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

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
 * simply deleted. Both plain and .gz names shift: a file may still wait for compression.
 * Throws only if `base` itself cannot be moved.
 */
export function shiftRotated(base: string, keep: number): void {
  for (const gz of [false, true]) quietly(() => unlinkSync(rotatedPath(base, keep, gz)));
  for (let i = keep - 1; i >= 1; i--) {
    for (const gz of [false, true]) quietly(() => renameSync(rotatedPath(base, i, gz), rotatedPath(base, i + 1, gz)));
  }
  if (keep === 0) unlinkSync(base);
  else renameSync(base, rotatedPath(base, 1));
}

interface Job {
  fd: number;
  ino: number;
  /** The rotation count when the file became `.1`: its index now is rotations − generation + 1. */
  generation: number;
}

/**
 * gzip rotated files one at a time, off the writing path (zlib works in the thread pool). A job
 * holds its source open, so later shifts may rename it; when done it looks up where the file is
 * now and, if it is still kept, puts the .gz beside it and removes the plain one.
 */
export class Compressor {
  private readonly queue: Job[] = [];
  private running = false;
  private idle: Promise<void> = Promise.resolve();
  private settle: (() => void) | null = null;

  constructor(
    private readonly base: string,
    private readonly keep: number,
    private readonly rotations: () => number,
    private readonly onError: (message: string) => void,
  ) {}

  /** Queue `.1`, which the rotation that is rotation number `generation` just made. */
  add(generation: number): void {
    let fd: number;
    try {
      fd = openSync(rotatedPath(this.base, 1), C.O_RDONLY | C.O_NOFOLLOW);
    } catch {
      return;
    }
    this.queue.push({ fd, ino: fstatSync(fd).ino, generation });
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
      } finally {
        closeSync(job.fd);
      }
    }
    this.running = false;
    this.settle?.();
  }

  private async compress(job: Job): Promise<void> {
    const index = (): number => this.rotations() - job.generation + 1;
    if (index() > this.keep) return; // rotated away before its turn came
    const tmp = join(dirname(this.base), `.${basename(this.base)}.${process.pid}.gz.tmp`);
    await pipeline(createReadStream('', { fd: job.fd, autoClose: false, start: 0 }), createGzip(), createWriteStream(tmp, { mode: 0o644 }));
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
    renameSync(tmp, rotatedPath(this.base, index(), true));
    unlinkSync(at);
  }
}
