/**
 * The COMMAND's output into one of its log files, carried by the native relay (native/relay.c):
 * a thread of its own reads the pipes (stdout, stderr, or both when they share the file) and
 * writes whole lines, so the bytes never pass through JavaScript. What stays here is the file
 * (LogFile: opened through the directory's fd, rotated by the policy, compressed, reopened) and
 * what to do when the relay stops: a full file is rotated and the relay resumed at once; a file
 * that fails is reported and tried again a second later, the COMMAND meanwhile blocked on its
 * full pipe (nothing is dropped, nothing spins).
 */
import { getSystemErrorMap } from 'node:util';
import type { LogFile } from './file.js';
import { relay as native, type RelayHandle } from '../../sys/native.js';
import { tailLines } from './tail.js';

/** What the relay says (relay.c): writing, the file full, a write failed, suspended, busy. */
const OK = 0,
  FULL = 1,
  FAILED = 2,
  BUSY = 4;
/** Retry after a failed write (a full disk, a file that cannot be opened). */
const RETRY_MS = 1000;
/** relayDrain modes. */
const READ = 0,
  END_LINE = 2;

/** One stream's side of a relay, as the capture uses it (the same calls as a StreamPump). */
export interface Pump {
  /** Take in what waits in the pipe now; false when it could not (earlier lines still wait). */
  drain(): boolean;
  /** The writer is gone: what is carried is a line of its own. */
  endLine(): void;
  /** A line of the supervisor's, whole, between two of the COMMAND's. */
  inject(line: string): void;
  /** The last lines kept (stderr); since `mark` where the pump keeps marks (tailMark). */
  lastLines(lines: number, mark?: number): string[];
  tailMark?(): number;
  /** Lines held back by a failing file: try them now (after a reopen). */
  retryNow(): void;
  /** Drain, end the last line, stop reading; how many bytes could not be written. */
  close(): number;
}

/** "ENOSPC: no space left on device, write", as node says it. */
function writeError(errno: number): string {
  const [code, text] = getSystemErrorMap().get(-errno) ?? [`errno ${errno}`, 'error'];
  return `${code}: ${text}, write`;
}

export class FileRelay {
  private readonly handle: RelayHandle;
  private retry: NodeJS.Timeout | null = null;
  private failing = false;
  private closed = false;
  /** The streams not closed yet (0 stdout, 1 stderr); `streams`: all this file has. */
  private readonly open: Set<number>;
  private readonly streams: number[];
  private tails: [Buffer, boolean][] | null = null;
  private held = false;

  constructor(
    private readonly file: LogFile,
    /** The read ends of the pipes, [stdout, stderr], -1 for one that is not this file's. */
    pipes: [number, number],
    keepTail: [boolean, boolean],
    timestamps: boolean,
    private readonly onError: (message: string | null) => void,
  ) {
    file.relayed = true;
    this.streams = [0, 1].filter((i) => pipes[i]! >= 0);
    this.open = new Set(this.streams);
    // What the thread says is acted on at the next turn of the event loop, not inside node's
    // dispatch of it: a thread that asks again at once (a rotation per 4 KiB of a log that keeps
    // thousands of files) would be dispatched again and again before a signal (a stop) is heard.
    let due = false;
    this.handle = native.open(pipes, keepTail, timestamps, () => {
      if (due) return;
      due = true;
      setImmediate(() => {
        due = false;
        if (!this.closed) this.settle(native.status(this.handle)[0]);
      });
    });
    // Held until the first COMMAND's started line is written (LogCapture.commandFds and event):
    // what it wrote while the supervisor's node booted follows that line.
    this.held = true;
  }

  /** Give the relay the file as it is now, opened if it is not (FAILED: it cannot be). */
  private resume(): number {
    const target = this.file.relayTarget();
    if (!target) return FAILED;
    return native.resume(this.handle, target.fd, target.size, target.limit, target.retryAt);
  }

  /** Act on what the relay said: rotate a full file (as often as it takes), report a failure.
   *  True when writing goes on. */
  private settle(status: number): boolean {
    if (status === FULL) {
      while (status === FULL) {
        this.file.rotateFull();
        status = this.resume();
      }
      this.file.releaseRemoved(); // the relay writes again meanwhile
    }
    if (status === FAILED) {
      this.fail();
      return false;
    }
    if (status !== OK && status !== BUSY) return false;
    if (this.failing) {
      this.failing = false;
      this.file.writing();
      this.onError(null);
    }
    return true;
  }

  private fail(): void {
    const [status, errno] = native.status(this.handle);
    if (status === FAILED) this.file.writeFailed(writeError(errno)); // else the file could not be opened: it says why
    this.failing = true;
    this.onError(this.file.error ?? 'cannot write the log');
    if (this.closed) return;
    this.retry ??= setTimeout(() => {
      this.retry = null;
      if (!this.closed) this.settle(this.resume());
    }, RETRY_MS);
  }

  /** Close and reopen the file (logrotate's `create` + postrotate): the relay waits meanwhile. */
  reopen(): void {
    if (this.closed) return;
    native.suspend(this.handle);
    this.file.reopen();
    this.retryNow();
  }

  /** Read nothing until release() (a COMMAND about to start: its lines follow the started line). */
  hold(): void {
    if (this.closed || this.held) return;
    native.suspend(this.handle);
    this.held = true;
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    this.retryNow();
  }

  retryNow(): void {
    if (this.closed) return;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.settle(this.resume());
  }

  stream(index: 0 | 1): Pump {
    return {
      drain: () => !this.closed && this.settle(native.drain(this.handle, index, READ)),
      endLine: () => void (!this.closed && this.settle(native.drain(this.handle, index, END_LINE))),
      inject: (line) =>
        void (
          !this.closed && this.settle(native.inject(this.handle, index, Buffer.from(`${line}\n`)))
        ),
      lastLines: (lines) => this.lastLines(index, lines),
      retryNow: () => this.retryNow(),
      close: () => this.closeStream(index),
    };
  }

  private lastLines(index: number, lines: number): string[] {
    const [tail, cut] = this.tails?.[index] ?? native.tail(this.handle, index);
    return tailLines(tail, cut, lines);
  }

  /** One stream is done: its last words are taken in; once every stream of the file is, the
   *  thread stops and what could not be written is counted (not silently gone). */
  private closeStream(index: number): number {
    if (this.closed || !this.open.has(index)) return 0;
    this.release();
    if (this.settle(native.drain(this.handle, index, READ)))
      this.settle(native.drain(this.handle, index, END_LINE));
    native.endStream(this.handle, index);
    this.open.delete(index);
    if (this.open.size > 0) return 0;
    native.stop(this.handle);
    if (this.failing) this.retryNow(); // one last try, as the pump's close did
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    // Kept: a failed start's report may still ask for the stderr tail.
    this.tails = [0, 1].map((i): [Buffer, boolean] =>
      this.streams.includes(i) ? native.tail(this.handle, i) : [Buffer.alloc(0), false],
    );
    const lost = native.lost(this.handle);
    native.free(this.handle);
    return lost;
  }
}
