/**
 * gzip rotated files one at a time, off the writing path (zlib works in the thread pool). A
 * queued job holds no file's fd, only the file's inode (and its directory's fd): a file rotated
 * past --log-keep before its turn is simply gone (its disk space with it). At its turn the job
 * opens the file where it is now (checked by inode, no link followed); when done, if the file is
 * still kept, it puts the .gz beside it (same mode and times, as gzip(1) does) and removes the
 * plain one. The job at work is dropped too once its file is rotated past --log-keep (a flood
 * outran compression): its fd would hold the deleted file's space until it finished. Apart from
 * rotate.ts (the renames, on the writing path): this is the background's.
 */
import {
  closeSync,
  createReadStream,
  type ReadStream,
  createWriteStream,
  type WriteStream,
  fstatSync,
  futimesSync,
  type Stats,
} from 'node:fs';
import { createRequire } from 'node:module';
import type { LogDir } from '../../files/log-dir.js';
import { quietly, rotatedPath } from './rotate.js';

const load = createRequire(import.meta.url);

interface Job {
  ino: number;
  /** The rotation count when the file became `.1`: its index now is rotations − generation + 1. */
  generation: number;
  /** The directory it was rotated in (retained until the job is done or dropped). */
  dir: LogDir;
}

/** A job's streams, once made: what its end must wait for or close. */
interface Streams {
  input: ReadStream | null;
  output: WriteStream | null;
}

export class Compressor {
  private readonly queue: Job[] = [];
  private running = false;
  private idle: Promise<void> = Promise.resolve();
  private settle: (() => void) | null = null;
  /** The job being compressed, and how to call it off. */
  private current: { job: Job; abort: AbortController } | null = null;
  private begun = false;
  /** One job at a time, so one temporary name, made afresh (O_EXCL) for each job. */
  private readonly tmp: string;

  constructor(
    /** The log's name in its directory, and its path (for messages). */
    private readonly name: string,
    private readonly path: string,
    private readonly keep: number,
    /** --log-max-size: in a shared directory a rotated file much larger is not compressed. */
    private readonly maxSize: number,
    private readonly rotations: () => number,
    private readonly onError: (message: string) => void,
  ) {
    this.tmp = `.${name}.gz.tmp`;
  }

  /** Once the directory is open: what an earlier supervisor left — its temporary file (it died
   *  mid-job), rotated files it did not get to compress (theirs to finish now). */
  begin(dir: LogDir): void {
    if (this.begun) return;
    this.begun = true;
    quietly(() => dir.unlink(this.tmp, true));
    const gzipped = new Set<number>();
    const plain: number[] = [];
    const found = dir.rotated(this.name);
    if (typeof found === 'string') {
      this.onError(`not compressing what an earlier supervisor left of ${this.path}: ${found}`);
      return;
    }
    for (const [index, gz] of found) gz ? gzipped.add(index) : plain.push(index);
    for (const index of plain.sort((a, b) => a - b)) {
      if (index > this.keep || gzipped.has(index)) continue;
      const ino = dir.inode(rotatedPath(this.name, index));
      if (ino !== null) this.add(dir, 1 - index, ino);
    }
  }

  private indexOf(job: Job): number {
    return this.rotations() - job.generation + 1;
  }

  /** Queue the file `ino` of `dir`, rotated to `.1` by the rotation number `generation`. */
  add(dir: LogDir, generation: number, ino: number): void {
    // Jobs for files rotated beyond --log-keep meanwhile are dropped: their files are gone.
    const dropped = this.queue.filter((j) => this.indexOf(j) > this.keep);
    this.queue.splice(
      0,
      this.queue.length,
      ...this.queue.filter((j) => this.indexOf(j) <= this.keep),
    );
    for (const job of dropped) job.dir.release();
    if (this.current && this.indexOf(this.current.job) > this.keep) this.current.abort.abort();
    this.queue.push({ ino, generation, dir: dir.retain() });
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
        this.onError(`cannot compress a rotated log of ${this.path}: ${(error as Error).message}`);
      } finally {
        job.dir.release();
      }
    }
    this.running = false;
    this.settle?.();
  }

  private async compress(job: Job): Promise<void> {
    const { dir } = job;
    if (this.indexOf(job) > this.keep) return; // rotated away before its turn came
    let fd: number;
    try {
      fd = dir.openFileRead(rotatedPath(this.name, this.indexOf(job)));
    } catch {
      return; // removed meanwhile (or a link put in its place)
    }
    let out = -1;
    const streams: Streams = { input: null, output: null };
    try {
      const st = fstatSync(fd);
      if (st.ino !== job.ino) return; // not ours (moved by hand)
      this.refuseForeign(job, st);
      out = dir.createTemp(this.tmp, st.mode);
      this.current = { job, abort: new AbortController() };
      await gzip(fd, out, this.current.abort.signal, streams);
      // The .gz keeps the file's times, as gzip(1) does: `logs -f` tells older files from newer
      // by their last write (follow.ts). Through the fd: the name is in a directory others may
      // write.
      futimesSync(out, st.atimeMs / 1000, st.mtimeMs / 1000);
    } catch (error) {
      // a full disk must not keep a half-written .gz
      if (out >= 0) quietly(() => dir.unlink(this.tmp, true));
      if (this.current?.abort.signal.aborted) return; // rotated away: nothing to keep
      throw error;
    } finally {
      this.current = null;
      // A stream that was destroyed (called off, or an error) closes its fd itself, once its
      // work in the thread pool has landed; else it is ours to close.
      await closeStreamFd(streams.input, fd);
      if (out >= 0) await closeStreamFd(streams.output, out);
    }
    this.putInPlace(job);
  }

  /** Throws, saying why, for a file not ours to compress: a file found at start (no rotation of
   *  ours made it) could be a hard link to another, or a huge sparse one the service user made. */
  private refuseForeign(job: Job, st: Stats): void {
    const shared = job.dir.sharedBy();
    const why =
      job.dir.unsafeFile(st, shared) ??
      (shared !== null ? tooLarge(st.size, this.maxSize, shared) : null);
    if (why)
      throw new Error(`not compressing ${rotatedPath(this.name, this.indexOf(job))}: ${why}`);
  }

  /** The .gz in place of the file it was made of, if that file is still kept where it was. */
  private putInPlace(job: Job): void {
    const { dir } = job;
    const index = this.indexOf(job);
    if (!(index <= this.keep && dir.inode(rotatedPath(this.name, index)) === job.ino)) {
      dir.unlink(this.tmp, true);
      return;
    }
    dir.rename(this.tmp, rotatedPath(this.name, index, true));
    dir.unlink(rotatedPath(this.name, index));
  }
}

/** gzip `fd` into `out` (the streams, once made, in `streams`); `signal` calls it off. */
async function gzip(fd: number, out: number, signal: AbortSignal, streams: Streams): Promise<void> {
  // Loaded on the first compression: a supervisor that never compresses never pays for zlib.
  // require, not import(): in the supervisor's CommonJS bundle import() would boot node's ESM
  // loader.
  const { pipeline } = load('node:stream/promises') as typeof import('node:stream/promises');
  const { createGzip } = load('node:zlib') as typeof import('node:zlib');
  streams.input = createReadStream('', { fd, autoClose: false, start: 0 });
  streams.output = createWriteStream('', { fd: out, autoClose: false });
  await pipeline(streams.input, createGzip(), streams.output, { signal });
}

/** What a rotated file of ours can hold: --log-max-size, or one line past it (a line is cut at
 *  320 KiB, pump.ts), or an older, larger limit's file. Twice the size and a MiB more is none of
 *  ours: in a shared directory, a file the service user made (a sparse 20G one costs root minutes
 *  of gzip) stays as it is. */
export const COMPRESS_SLACK = 1 << 20;
function tooLarge(size: number, maxSize: number, shared: string): string | null {
  if (size <= 2 * maxSize + COMPRESS_SLACK) return null;
  return `it holds ${size} bytes, more than twice --log-max-size (${maxSize}): not a file rotated here, in a directory ${shared}`;
}

async function closeStreamFd(stream: ReadStream | WriteStream | null, fd: number): Promise<void> {
  if (stream?.destroyed) {
    if (!stream.closed)
      await new Promise<void>((resolve) =>
        (stream as NodeJS.EventEmitter).once('close', () => resolve()),
      );
  } else closeSync(fd);
}
