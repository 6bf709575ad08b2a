/**
 * One output stream of the COMMAND: read its pipe, cut it into whole lines (so stdout and
 * stderr sharing a file never mix inside a line), optionally timestamp them, hand them to the
 * sink. When the sink cannot take them (disk full, file unwritable) stop reading — the COMMAND
 * then blocks on its full pipe — and try again later: nothing is dropped, nothing spins.
 *
 * One buffer per stream, reused for every read (no garbage per read, so memory stays flat in a
 * flood): every read lands at the same place, and an unfinished line is kept just before it, so
 * lines are written straight from the buffer, without concatenating. The place is fixed because
 * node's socket asks where its next read goes right after each read of its own: a read of ours in
 * between (drain() when the COMMAND exits) must not move it.
 */
import { readSync } from 'node:fs';
import { Socket } from 'node:net';
import type { LogSink } from './sink.js';
import { pipeBytes, stampLines } from '../../sys/native.js';
import { tailLines } from './tail.js';

const NEWLINE = 0x0a;
const LF = Buffer.from('\n');
/** A line longer than this is cut (as journald does): our memory stays bounded. */
export const MAX_LINE = 64 * 1024;
/** One read: as much as the log pipe holds (capture-pipes.ts sizes it so). */
export const READ_SIZE = 256 * 1024;
/** How much of the stream's end to keep for a failed start's report (~100 lines of a stack
 *  trace). */
const TAIL_BYTES = 16384;
/** Retry after a failed write: soon for a busy terminal, slowly for a full disk. */
const RETRY_MS = 1000;
/** A full non-blocking pipe: retry soon, then less often while it stays full. */
const BUSY_RETRY_MS = 5;
const MAX_BUSY_RETRY_MS = 250;
/** At most this many reads per drain: what a full pipe holds. */
const DRAIN_READS = 4;

export class StreamPump {
  private readonly socket: Socket;
  /** [… unfinished line (its last `carry` bytes end at MAX_LINE) | the read area]; made at the
   *  first read. */
  private buf: Buffer | null = null;
  /** The read area, buf[MAX_LINE …]: where every read lands. */
  private area: Buffer | null = null;
  private carry = 0;
  /** Lines the sink did not take yet: only while it is failing (then we read no more). */
  private pending: Buffer | null = null;
  private retry: NodeJS.Timeout | null = null;
  private tail = Buffer.alloc(0);
  /** Bytes kept in the tail since the start: a mark says where a later part begins. */
  private tailTotal = 0;
  /** The tail was cut to TAIL_BYTES: its first line may be the end of a longer one. */
  private tailCut = false;
  private stampBuf: Buffer | null = null;
  private failing = false;
  private busyRetryMs = BUSY_RETRY_MS;
  private closed = false;

  constructor(
    private readonly fd: number,
    private readonly sink: LogSink,
    private readonly options: {
      timestamps: boolean;
      keepTail: boolean;
      /** Put before each line, after its timestamp (`[1] `: which instance wrote it). */
      linePrefix?: string;
      onError(message: string | null): void;
    },
  ) {
    this.socket = new Socket({
      fd,
      readable: true,
      writable: false,
      // Reads go into our buffer's read area, after the carried line; returning false pauses the
      // socket.
      onread: { buffer: () => this.space(), callback: (n: number) => this.onRead(n) },
    } as ConstructorParameters<typeof Socket>[0]);
    this.socket.on('error', () => undefined);
    this.socket.unref(); // the COMMAND's pidfd keeps us alive, not its pipes
  }

  private space(): Buffer {
    this.buf ??= Buffer.allocUnsafe(MAX_LINE + READ_SIZE);
    this.area ??= this.buf.subarray(MAX_LINE);
    return this.area;
  }

  /** A read from the socket. False pauses it: a failing sink, or a turn to take (below). */
  private onRead(n: number): boolean {
    if (!this.ingest(n)) return false;
    if (n < READ_SIZE) return true;
    // A full read: more waits, and libuv reads on (up to 32 times) before anything else runs.
    // One turn of the event loop between reads, so a signal (a stop) is heard even when a read
    // costs much (a rotation per 4 KiB of a log that keeps thousands of files).
    // (net's resume() starts the handle reading again; a failing sink meanwhile keeps it paused.)
    setImmediate(() => {
      if (!this.closed && this.pending === null) this.socket.resume();
    });
    return false;
  }

  /** `n` new bytes after the carried ones: write the whole lines, carry the rest. False: pause. */
  private ingest(n: number): boolean {
    const buf = this.buf!;
    const start = MAX_LINE - this.carry;
    const end = MAX_LINE + n;
    const found = this.area!.lastIndexOf(NEWLINE, n - 1); // the carried bytes hold none
    const rest = found < 0 ? start : MAX_LINE + found + 1; // the unfinished line's start
    if (found >= 0) this.emit(buf.subarray(start, rest));
    const left = end - rest;
    if (left >= MAX_LINE) {
      // Too long: more than MAX_LINE of it read without its end. Cut here.
      this.carry = 0;
      this.emit(Buffer.concat([buf.subarray(rest, end), LF]));
    } else {
      buf.copyWithin(MAX_LINE - left, rest, end); // kept just before the read area
      this.carry = left;
    }
    return this.pending === null;
  }

  /** Read what is in the pipe right now (the COMMAND just exited: its last words count).
   *  false when it could not, because earlier lines still wait (a failing file). */
  drain(): boolean {
    if (this.closed || this.pending) return false;
    // Bounded: what the exited COMMAND left is at most a pipe's worth; someone it left behind
    // may keep writing, and that is the socket's to read, not a loop's.
    for (let reads = 0; reads < DRAIN_READS; reads++) {
      // Asked first: a read of an empty pipe throws EAGAIN, and the supervisor's first exception
      // costs ~0.3 ms (measured; FIONREAD 0.3 µs), on every stop's path.
      if (pipeBytes(this.fd) === 0) return true;
      let n: number;
      try {
        n = readSync(this.fd, this.space(), 0, READ_SIZE, null);
      } catch {
        return true; // EAGAIN: empty
      }
      if (n <= 0) return true;
      if (!this.ingest(n)) return false;
    }
    return true;
  }

  /** Lines held back by a failing sink: try them now (after a reopen). */
  retryNow(): void {
    if (!this.pending || this.closed) return;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.flushPending();
  }

  /** The last `lines` lines that went through (only with keepTail); since `mark` (tailMark()),
   *  those that went through after it. */
  lastLines(lines: number, mark?: number): string[] {
    let kept = this.tail;
    let cut = this.tailCut;
    const since = mark === undefined ? Infinity : this.tailTotal - mark;
    if (since < kept.length) {
      kept = kept.subarray(kept.length - since); // whole lines: a mark falls between two
      cut = false;
    }
    return tailLines(kept, cut, lines);
  }

  /** Where the tail is now, for lastLines(n, mark) later. */
  tailMark(): number {
    return this.tailTotal;
  }

  /**
   * Write a line of our own (the supervisor's events) among the COMMAND's: as a whole line between
   * two of its lines, never inside one it has not finished (that stays carried), timestamped as
   * they are, behind any lines a failing file holds back. Not part of the stderr tail.
   */
  inject(line: string): void {
    if (this.closed) return;
    this.emit(Buffer.from(`${line}\n`), false);
  }

  /** The writer is gone (the COMMAND exited), or the line is too long: what is carried is a line
   *  of its own, not the start of the next run's first one. */
  endLine(): void {
    if (this.carry === 0 || this.closed) return;
    const line = Buffer.concat([this.buf!.subarray(MAX_LINE - this.carry, MAX_LINE), LF]);
    this.carry = 0;
    this.emit(line);
  }

  /** Drain, write out a last unfinished line, and stop reading. Returns how many bytes could
   *  not be written (the sink still failing at the end: a full disk): counted, not silently
      gone. */
  close(): number {
    if (this.closed) return 0;
    if (this.drain()) this.endLine();
    if (this.pending) this.flushPending();
    let lost = 0;
    if (this.pending) {
      // What waits, the unfinished line behind it, and what is still in the pipe.
      lost = this.pending.length + this.carry;
      try {
        lost += pipeBytes(this.fd);
      } catch {
        // cannot be asked (cannot happen for our own pipe): nothing more to count
      }
    }
    if (this.retry) clearTimeout(this.retry);
    this.closed = true;
    this.socket.destroy();
    return lost;
  }

  /** Whole lines, maybe a view of the read buffer: written now, copied only if they must wait. */
  private emit(lines: Buffer, tail = true): void {
    if (this.options.keepTail && tail) this.keepTail(lines); // as the COMMAND wrote them: unstamped
    // One place for what goes before each line (the C relay's port: one prefix too).
    const stamp = this.options.timestamps ? `${new Date().toISOString()} ` : '';
    const before = stamp + (this.options.linePrefix ?? '');
    if (before === '') {
      this.hand(lines);
      return;
    }
    const prefix = Buffer.from(before);
    this.stampBuf ??= Buffer.allocUnsafe(READ_SIZE);
    for (let start = 0; start < lines.length; ) {
      const [consumed, written] = stampLines(lines.subarray(start), prefix, this.stampBuf);
      if (consumed === 0) {
        // One line longer than the stamp buffer: on its own.
        const nl = lines.indexOf(NEWLINE, start);
        this.hand(Buffer.concat([prefix, lines.subarray(start, nl + 1)]));
        start = nl + 1;
        continue;
      }
      this.hand(this.stampBuf.subarray(0, written));
      start += consumed;
    }
  }

  private hand(out: Buffer): void {
    if (this.pending) {
      this.pending = Buffer.concat([this.pending, out]);
      return;
    }
    this.pending = out;
    this.flushPending();
  }

  private flushPending(): void {
    const data = this.pending!;
    const n = this.sink.write(data);
    if (n === data.length) {
      this.pending = null;
      this.busyRetryMs = BUSY_RETRY_MS;
      if (this.socket.isPaused() && !this.closed) this.socket.resume();
      if (this.failing) {
        this.failing = false;
        this.options.onError(null);
      }
      return;
    }
    // Keep the rest (one read's worth at most, since we stop reading) and try again later.
    this.pending = Buffer.from(data.subarray(n));
    // A full non-blocking pipe (our own stdout under `run`) is back-pressure, not an error.
    const busy = /EAGAIN/.test(this.sink.error ?? '');
    this.failing = !busy;
    if (!busy) this.options.onError(this.sink.error ?? 'cannot write the log');
    if (this.closed) return;
    this.socket.pause();
    this.retry ??= setTimeout(
      () => {
        this.retry = null;
        this.flushPending();
      },
      busy ? (this.busyRetryMs = Math.min(MAX_BUSY_RETRY_MS, this.busyRetryMs * 2)) : RETRY_MS,
    );
  }

  private keepTail(out: Buffer): void {
    this.tailTotal += out.length;
    const whole = out.length >= TAIL_BYTES ? out : Buffer.concat([this.tail, out]);
    if (whole.length > TAIL_BYTES) this.tailCut = true;
    this.tail = Buffer.from(whole.subarray(-TAIL_BYTES));
  }
}
