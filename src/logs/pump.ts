/**
 * One output stream of the COMMAND: read its pipe, cut it into whole lines (so stdout and
 * stderr sharing a file never mix inside a line), optionally timestamp them, hand them to the
 * sink. When the sink cannot take them (disk full, file unwritable) stop reading — the COMMAND
 * then blocks on its full pipe — and try again later: nothing is dropped, nothing spins.
 */
import { readSync } from 'node:fs';
import { Socket } from 'node:net';
import type { LogSink } from './file.js';

const NEWLINE = 0x0a;
/** A line longer than this is cut (as journald does): our memory stays bounded. */
export const MAX_LINE = 64 * 1024;
/** How much of the stream's end to keep for a failed start's report. */
const TAIL_BYTES = 8192;
/** Retry after a failed write: soon for a busy terminal, slowly for a full disk. */
const RETRY_MS = 1000;
/** A full non-blocking pipe: retry soon, then less often while it stays full. */
const BUSY_RETRY_MS = 5;
const MAX_BUSY_RETRY_MS = 250;

/** At most this many 64 KiB reads per drain: a full pipe (64 KiB by default, up to 1 MiB). */
const DRAIN_READS = 16;

/** One read buffer for every synchronous drain (they never overlap): a COMMAND's exit, which
 *  may come a thousand times in a crash loop, allocates only what it actually reads. */
let scratch: Buffer | null = null;

export class StreamPump {
  private readonly socket: Socket;
  private partial: Buffer[] = [];
  private partialLength = 0;
  /** Lines the sink did not take yet: only while it is failing (then we read no more). */
  private pending: Buffer | null = null;
  private retry: NodeJS.Timeout | null = null;
  private tail = Buffer.alloc(0);
  private failing = false;
  private busyRetryMs = BUSY_RETRY_MS;
  private closed = false;

  constructor(
    private readonly fd: number,
    private readonly sink: LogSink,
    private readonly options: { timestamps: boolean; keepTail: boolean; onError(message: string | null): void },
  ) {
    this.socket = new Socket({ fd, readable: true, writable: false });
    this.socket.on('data', (chunk: Buffer) => this.take(chunk));
    this.socket.on('error', () => undefined);
    this.socket.unref(); // the COMMAND's pidfd keeps us alive, not its pipes
  }

  /** Read what is in the pipe right now (the COMMAND just exited: its last words count).
   *  false when it could not, because earlier lines still wait (a failing file, a paused stream). */
  drain(): boolean {
    // Not while lines wait or the stream holds chunks it read: they come first.
    if (this.closed || this.pending || this.socket.readableLength > 0) return false;
    const buf = (scratch ??= Buffer.allocUnsafe(65536));
    // Bounded: what the exited COMMAND left is at most a pipe's worth; someone it left behind
    // may keep writing, and that is the socket's to read, not a loop's.
    for (let reads = 0; reads < DRAIN_READS; reads++) {
      let n: number;
      try {
        n = readSync(this.fd, buf, 0, buf.length, null);
      } catch {
        return true; // EAGAIN: empty
      }
      if (n <= 0) return true;
      this.take(Buffer.from(buf.subarray(0, n)));
      if (this.pending) return false;
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

  /** The last `lines` lines that went through (only with keepTail). */
  lastLines(lines: number): string[] {
    const text = this.tail.toString('utf8').replace(/\n$/, '');
    return text === '' ? [] : text.split('\n').slice(-lines);
  }

  /** The writer is gone (the COMMAND exited): its unfinished last line is a line of its own, not
   *  the start of the next run's first one. */
  endLine(): void {
    if (this.partialLength === 0 || this.closed) return;
    const line = Buffer.concat([...this.partial, Buffer.from('\n')]);
    this.partial = [];
    this.partialLength = 0;
    this.emit(line);
  }

  /** Drain, write out a last unfinished line, and stop reading. */
  close(): void {
    if (this.closed) return;
    if (this.drain()) this.endLine();
    if (this.pending) this.flushPending();
    if (this.retry) clearTimeout(this.retry);
    this.closed = true;
    this.socket.destroy();
  }

  private take(chunk: Buffer): void {
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < 0) {
      this.partial.push(chunk);
      this.partialLength += chunk.length;
      if (this.partialLength >= MAX_LINE) this.cutLongLine();
      return;
    }
    let lines = chunk.subarray(0, last + 1);
    if (this.partialLength > 0) lines = Buffer.concat([...this.partial, lines]);
    this.partial = last + 1 < chunk.length ? [chunk.subarray(last + 1)] : [];
    this.partialLength = chunk.length - last - 1;
    this.emit(lines);
  }

  private cutLongLine(): void {
    const line = Buffer.concat(this.partial);
    this.partial = [];
    this.partialLength = 0;
    this.emit(Buffer.concat([line, Buffer.from('\n')]));
  }

  private emit(lines: Buffer): void {
    const out = this.options.timestamps ? stamp(lines, new Date().toISOString()) : lines;
    if (this.options.keepTail) this.keepTail(out);
    this.pending = this.pending ? Buffer.concat([this.pending, out]) : out;
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
    this.retry ??= setTimeout(() => {
      this.retry = null;
      this.flushPending();
    }, busy ? (this.busyRetryMs = Math.min(MAX_BUSY_RETRY_MS, this.busyRetryMs * 2)) : RETRY_MS);
  }

  private keepTail(out: Buffer): void {
    const recent = out.length >= TAIL_BYTES ? out.subarray(-TAIL_BYTES) : Buffer.concat([this.tail, out]).subarray(-TAIL_BYTES);
    this.tail = Buffer.from(recent);
  }
}

/** Prefix each line of `lines` (whole lines, ending in \n) with `ts` and a space. */
export function stamp(lines: Buffer, ts: string): Buffer {
  const prefix = Buffer.from(`${ts} `);
  const parts: Buffer[] = [];
  let start = 0;
  for (let nl = lines.indexOf(NEWLINE); nl >= 0; nl = lines.indexOf(NEWLINE, start)) {
    parts.push(prefix, lines.subarray(start, nl + 1));
    start = nl + 1;
  }
  return Buffer.concat(parts);
}
