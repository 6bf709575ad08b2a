/**
 * Lines to our own stdout or stderr with a name before each (`web | …`): a project in the
 * foreground (`up --foreground`, `run -f FILE`) shows every service's lines on one terminal or
 * container log, each telling whose it is.
 */
import type { LogSink } from './sink.js';

const NEWLINE = 0x0a;

export class PrefixSink implements LogSink {
  private readonly prefix: Buffer;

  constructor(
    private readonly inner: LogSink,
    prefix: string,
  ) {
    this.prefix = Buffer.from(prefix);
  }

  get error(): string | null {
    return this.inner.error;
  }

  /** Whole lines (a pump hands nothing else): each with the prefix, in one write. */
  write(data: Buffer): number {
    const parts: Buffer[] = [];
    for (let start = 0; start < data.length; ) {
      const nl = data.indexOf(NEWLINE, start);
      const end = nl < 0 ? data.length : nl + 1;
      parts.push(this.prefix, data.subarray(start, end));
      start = end;
    }
    const out = Buffer.concat(parts);
    // All or nothing, as the lines go: a pump holds back what was not taken, and retries it.
    return this.inner.write(out) === out.length ? data.length : 0;
  }

  reopen(): void {
    this.inner.reopen();
  }

  close(): void {
    this.inner.close();
  }
}
