/**
 * A log file the supervisor owns: opened O_APPEND (so logrotate's copytruncate works too),
 * rotated by size between lines, reopened on request. Writes are synchronous on purpose: while
 * a write waits for the disk we read no more from the pipe, so a COMMAND faster than the disk
 * blocks on its full pipe instead of growing our memory (back-pressure, not buffering).
 * Everything in its directory goes through the directory's fd (log-dir.ts), which is opened
 * again only at `reopen` (or when the directory was removed).
 */
import { closeSync, fstatSync, readSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { logDirProblem } from '../../files/ancestors.js';
import { LogDir } from '../../files/log-dir.js';
import type { LogPolicy } from '../../config/log-policy.js';
import { Compressor } from './compress.js';
import { shiftRotatedIn } from './rotate.js';
import { ourTrust } from '../../files/trust.js';
import { replaceFd } from '../../sys/native.js';
import type { LogSink } from './sink.js';

const NEWLINE = 0x0a;
/** How long writing goes on without rotating after a rotation failed, before it is tried again. */
const ROTATION_RETRY_MS = 5000;

export class LogFile implements LogSink {
  private fd = -1;
  private size = 0;
  private rotations = 0;
  /** After a failed rotation, none is tried before this time (ms since the epoch). */
  private rotationRetryAt = 0;
  private rotatable = true;
  error: string | null = null;
  private readonly compressor: Compressor | null;
  /** The log's directory, held open; null until opened (or after a reopen that failed). */
  private dir: LogDir | null = null;
  private readonly name: string;
  /** Files the last rotation removed, held (O_PATH) until releaseRemoved(): see rotate.ts. */
  private readonly removed: number[] = [];

  constructor(
    readonly path: string,
    private readonly policy: LogPolicy,
    /** Problems off the writing path (rotation, compression); null once one went well again. */
    private readonly onBackgroundError: (message: string | null) => void = () => undefined,
    /** Also point this fd (our own stderr, 2) at the file after every open, so the
     *  supervisor's own complaints follow rotation and reopen instead of pinning an old file. */
    private readonly mirrorTo?: number,
    /** The service user (--user): its files may be written in its own log directory. */
    private readonly serviceUid?: number,
  ) {
    this.name = basename(path);
    this.compressor =
      policy.compress && policy.maxSize !== null
        ? new Compressor(
            this.name,
            path,
            policy.keep,
            policy.maxSize,
            () => this.rotations,
            onBackgroundError,
          )
        : null;
    this.tryOpen();
  }

  private adopt(fd: number): void {
    this.fd = fd;
    this.size = fstatSync(fd).size;
  }

  /** Open the directory by its path (again): its ancestors are checked each time. */
  private openDir(): LogDir {
    this.dir?.release();
    this.dir = null;
    this.dir = LogDir.open(dirname(this.path), {
      create: true,
      ...(this.serviceUid !== undefined ? { serviceUid: this.serviceUid } : {}),
    });
    this.compressor?.begin(this.dir);
    return this.dir;
  }

  private openFile(): { fd: number; rotatable: boolean } {
    if (!this.dir) return this.openDir().openLog(this.name);
    try {
      return this.dir.openLog(this.name);
    } catch (error) {
      // The directory was removed under us (nothing can be made in it): make it again, as a
      // path-based open would have.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return this.openDir().openLog(this.name);
    }
  }

  private tryOpen(): boolean {
    try {
      const { fd, rotatable } = this.openFile();
      this.adopt(fd);
      this.rotatable = rotatable;
      if (!rotatable && this.policy.maxSize !== null) {
        this.onBackgroundError(
          `not rotating ${this.path}: it is not a regular file (a device or a symbolic link); writing goes on in it`,
        );
      }
      if (this.size > 0 && !endsWithNewline(this.dir!, this.name, this.fd, this.size)) {
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
    // copytruncate may have emptied it
    if (this.rotationLimit() !== null) this.size = fstatSync(this.fd).size;
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

  /** For the native relay (relay.ts): the file to write now, opened if it is not (null when it
   *  cannot be: `error` says why). `limit` -1: never rotated; none before `retryAt` (ms). */
  relayTarget(): { fd: number; size: number; limit: number; retryAt: number } | null {
    if (this.fd < 0 && !this.tryOpen()) return null;
    const limit = this.rotatable ? (this.policy.maxSize ?? -1) : -1;
    return { fd: this.fd, size: fstatSync(this.fd).size, limit, retryAt: this.rotationRetryAt };
  }

  /** The relay filled the file: rotate it now (false, with `error`, if the next cannot be opened). */
  rotateFull(): boolean {
    return this.rotate();
  }

  /** Let the kernel free what the rotations removed (after the relay was resumed). */
  releaseRemoved(): void {
    for (const fd of this.removed.splice(0)) closeSync(fd);
  }

  /** The relay's write failed (`why`, as node words a write error); cleared by writing(). */
  writeFailed(why: string): void {
    this.error = `cannot write ${this.path}: ${why}`;
  }

  writing(): void {
    this.error = null;
  }

  /** Move the full file aside and go on in a fresh one. False (with `error`) if that failed. */
  private rotate(): boolean {
    try {
      return this.rotateNow();
    } finally {
      if (!this.relayed) this.releaseRemoved();
    }
  }

  /** Set by the relay (relay.ts), which releases the removed files once it writes again. */
  relayed = false;

  private rotateNow(): boolean {
    if (!this.stillAtPath()) {
      // Moved or removed behind our back (logrotate without `reopen`, a hand): shifting now would
      // rotate the history away for a file that is not ours. Start the file afresh instead.
      closeSync(this.fd);
      this.fd = -1;
      return this.tryOpen();
    }
    const ino = fstatSync(this.fd).ino;
    try {
      shiftRotatedIn(this.dir!, this.name, this.policy.keep, this.removed);
    } catch (error) {
      // Cannot move it (permissions changed, an immutable directory): keep appending rather than
      // lose lines, and try again a little later; the error stands until a rotation works.
      const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      this.onBackgroundError(
        `cannot rotate ${this.path} (${why}): writing goes on in it; trying again every ${ROTATION_RETRY_MS / 1000} s`,
      );
      this.rotationRetryAt = Date.now() + ROTATION_RETRY_MS;
      return true;
    }
    this.rotationRetryAt = 0;
    // Rotation works through the directory's fd whatever happened above it since; but a
    // directory above that is no longer ours would refuse the next reopen: say so now.
    this.onBackgroundError(logDirProblem(dirname(this.path), ourTrust()));
    this.rotations++;
    closeSync(this.fd);
    this.fd = -1;
    if (this.policy.keep > 0) this.compressor?.add(this.dir!, this.rotations, ino);
    return this.tryOpen();
  }

  /** Our fd is still the file at our name in our directory. */
  private stillAtPath(): boolean {
    try {
      return this.dir !== null && this.dir.inode(this.name) === fstatSync(this.fd).ino;
    } catch {
      return false;
    }
  }

  reopen(): void {
    this.rotationRetryAt = 0; // a fresh file: rotate it when due
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    // The directory too (logrotate may have made a new one): by its path, ancestors checked again.
    this.dir?.release();
    this.dir = null;
    if (this.tryOpen()) this.error = null;
  }

  close(): void {
    this.releaseRemoved();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.dir?.release(); // a compression in flight keeps its own reference
    this.dir = null;
  }

  whenCompressed(): Promise<void> {
    return this.compressor?.whenIdle() ?? Promise.resolve();
  }
}

/** The file `written` (open for writing only) ends with a newline. Read through a second open
 *  of its name, used only if it is the same file (a FIFO swapped in meanwhile must not hang us). */
function endsWithNewline(dir: LogDir, name: string, written: number, size: number): boolean {
  let fd = -1;
  try {
    fd = dir.openRead(name);
    const [a, b] = [fstatSync(fd), fstatSync(written)];
    if (a.ino !== b.ino || a.dev !== b.dev) return true; // not the file we write: leave it
    const last = Buffer.alloc(1);
    return readSync(fd, last, 0, 1, size - 1) === 1 && last[0] === NEWLINE;
  } catch {
    return true; // cannot tell: leave it
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
