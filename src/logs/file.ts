/**
 * A log file the supervisor owns: opened O_APPEND (so logrotate's copytruncate works too),
 * rotated by size between lines, reopened on request. Writes are synchronous on purpose: while
 * a write waits for the disk we read no more from the pipe, so a COMMAND faster than the disk
 * blocks on its full pipe instead of growing our memory (back-pressure, not buffering).
 */
import { makeDirs } from '../sys/mkdirs.js';
import { closeSync, fstatSync, openSync, readSync, statSync, writeSync, constants as C } from 'node:fs';
import { openLog } from './open.js';
import { dirname } from 'node:path';
import type { LogPolicy } from './policy.js';
import { Compressor, shiftRotated } from './rotate.js';
import { replaceFd } from '../sys/native.js';

const NEWLINE = 0x0a;
/** How long writing goes on without rotating after a rotation failed, before it is tried again. */
const ROTATION_RETRY_MS = 5000;

export interface LogSink {
  /** Write complete lines; returns how many bytes were taken (fewer: an error, see `error`). */
  write(data: Buffer): number;
  /** The problem that stopped the last write, or null. */
  readonly error: string | null;
  reopen(): void;
  close(): void;
}

export class LogFile implements LogSink {
  private fd = -1;
  private size = 0;
  private rotations = 0;
  /** After a failed rotation, none is tried before this time (ms since the epoch). */
  private rotationRetryAt = 0;
  private rotatable = true;
  error: string | null = null;
  private readonly compressor: Compressor | null;

  constructor(
    readonly path: string,
    private readonly policy: LogPolicy,
    /** Problems off the writing path (rotation, compression); null once one went well again. */
    private readonly onBackgroundError: (message: string | null) => void = () => undefined,
    /** Also point this fd (our own stderr, 2) at the file after every open, so the
     *  supervisor's own complaints follow rotation and reopen instead of pinning an old file. */
    private readonly mirrorTo?: number,
  ) {
    this.compressor = policy.compress && policy.maxSize !== null
      ? new Compressor(path, policy.keep, () => this.rotations, onBackgroundError)
      : null;
    this.tryOpen();
  }

  private adopt(fd: number): void {
    this.fd = fd;
    this.size = fstatSync(fd).size;
  }

  private tryOpen(): boolean {
    try {
      makeDirs(dirname(this.path));
      const { fd, rotatable } = openLog(this.path);
      this.adopt(fd);
      this.rotatable = rotatable;
      if (!rotatable && this.policy.maxSize !== null) {
        this.onBackgroundError(`not rotating ${this.path}: it is not a regular file (a device or a symbolic link); writing goes on in it`);
      }
      if (this.size > 0 && !endsWithNewline(this.path, this.size)) {
        // A line cut short (a full disk when the last supervisor stopped): end it, so the next
        // line does not join it.
        this.size += this.writeAll(Buffer.from('\n'));
      }
      if (this.mirrorTo !== undefined) replaceFd(this.fd, this.mirrorTo);
      return true;
    } catch (error) {
      this.error = `cannot open ${this.path}: ${(error as Error).message}`;
      return false;
    }
  }

  /** The size to rotate at now: none for a file we must not rename, nor for a while after a
   *  rotation failed (we append meanwhile: no line is lost over it, and no rename is retried
   *  for every line). */
  private rotationLimit(): number | null {
    if (!this.rotatable || Date.now() < this.rotationRetryAt) return null;
    return this.policy.maxSize;
  }

  write(data: Buffer): number {
    if (this.fd < 0 && !this.tryOpen()) return 0;
    if (this.rotationLimit() !== null) this.size = fstatSync(this.fd).size; // copytruncate may have emptied it
    let done = 0;
    while (done < data.length) {
      const max = this.rotationLimit();
      let chunk = data.subarray(done);
      if (max !== null && this.size >= max) {
        if (!this.rotate()) return done; // already full (an existing file, a shrunk limit)
        continue;
      }
      if (max !== null && this.size + chunk.length > max) {
        // Fill up to the limit with whole lines; a line that does not fit starts the next file.
        const cut = chunk.lastIndexOf(NEWLINE, max - this.size - 1);
        if (cut >= 0) chunk = chunk.subarray(0, cut + 1);
        else if (this.size > 0) {
          if (!this.rotate()) return done;
          continue;
        } else {
          const end = chunk.indexOf(NEWLINE, max); // one line longer than the limit: keep it whole
          if (end >= 0) chunk = chunk.subarray(0, end + 1);
        }
      }
      const n = this.writeAll(chunk);
      done += n;
      this.size += n;
      if (n < chunk.length) return done;
      if (max !== null && this.size >= max && !this.rotate()) return done;
    }
    this.error = null;
    return done;
  }

  private writeAll(chunk: Buffer): number {
    let off = 0;
    try {
      while (off < chunk.length) off += writeSync(this.fd, chunk, off);
    } catch (error) {
      this.error = `cannot write ${this.path}: ${(error as Error).message}`;
    }
    return off;
  }

  /** Move the full file aside and go on in a fresh one. False (with `error`) if that failed. */
  private rotate(): boolean {
    if (!this.stillAtPath()) {
      // Moved or removed behind our back (logrotate without `reopen`, a hand): shifting now would
      // rotate the history away for a file that is not ours. Start the file afresh instead.
      closeSync(this.fd);
      this.fd = -1;
      return this.tryOpen();
    }
    try {
      shiftRotated(this.path, this.policy.keep);
    } catch (error) {
      // Cannot move it (permissions changed, an immutable directory): keep appending rather than
      // lose lines, and try again a little later; the error stands until a rotation works.
      const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      this.onBackgroundError(`cannot rotate ${this.path} (${why}): writing goes on in it; trying again every ${ROTATION_RETRY_MS / 1000} s`);
      this.rotationRetryAt = Date.now() + ROTATION_RETRY_MS;
      return true;
    }
    this.rotationRetryAt = 0;
    this.onBackgroundError(null);
    this.rotations++;
    closeSync(this.fd);
    this.fd = -1;
    if (this.policy.keep > 0) this.compressor?.add(this.rotations);
    return this.tryOpen();
  }

  /** Our fd is still the file at `path`. */
  private stillAtPath(): boolean {
    try {
      return statSync(this.path).ino === fstatSync(this.fd).ino;
    } catch {
      return false;
    }
  }

  reopen(): void {
    this.rotationRetryAt = 0; // a fresh file: rotate it when due
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    if (this.tryOpen()) this.error = null;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  whenCompressed(): Promise<void> {
    return this.compressor?.whenIdle() ?? Promise.resolve();
  }
}

/** Our own stdout or stderr (foreground `run` with --log-timestamps): no rotation, no reopen. */
export class FdSink implements LogSink {
  error: string | null = null;
  constructor(private readonly fd: number) {}

  write(data: Buffer): number {
    let off = 0;
    try {
      while (off < data.length) off += writeSync(this.fd, data, off);
      this.error = null;
    } catch (error) {
      this.error = `cannot write to fd ${this.fd}: ${(error as Error).message}`;
    }
    return off;
  }

  reopen(): void {}
  close(): void {}
}

function endsWithNewline(path: string, size: number): boolean {
  let fd = -1;
  try {
    fd = openSync(path, C.O_RDONLY | C.O_NOCTTY);
    const last = Buffer.alloc(1);
    return readSync(fd, last, 0, 1, size - 1) === 1 && last[0] === NEWLINE;
  } catch {
    return true; // cannot tell: leave it
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
