/**
 * Where a pump's lines go: a LogSink takes whole lines and says how many bytes it took (fewer:
 * it failed, and `error` says why; the pump holds the rest back and retries). LogFile (file.ts)
 * is the supervisor's log file; FdSink, below, our own stdout or stderr; PrefixSink
 * (prefix-sink.ts) one of those with a name before each line.
 */
import { writeSync } from 'node:fs';

export interface LogSink {
  /** Write complete lines; returns how many bytes were taken (fewer: an error, see `error`). */
  write(data: Buffer): number;
  /** The problem that stopped the last write, or null. */
  readonly error: string | null;
  reopen(): void;
  close(): void;
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
