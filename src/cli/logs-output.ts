/** One of `logs`' outputs (stdout, stderr): written with back-pressure, its end told apart. */
import { once } from 'node:events';
import type { Write } from '../logs/read/follow.js';
import { readerGone } from '../sys/native.js';

/** Our output ended early: its reader went away, or it could not be written. */
export class OutputEnded extends Error {}

/**
 * One of our outputs, written with back-pressure (memory stays bounded). Its reader going away
 * (EPIPE: `logs | head`) is the end, quietly, exit 0; any other write error (a full disk) is said,
 * exit 1 — as `tail` does.
 */
export class Output {
  gone = false;
  error: string | null = null;
  /** Ctrl-C (or SIGTERM, SIGHUP) under -f: no more is written, what was is flushed. */
  private halted = false;
  /** Writers waiting for the reader (several: `logs` of several services). */
  private onHalt: (() => void)[] = [];

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly fd: number,
    private readonly name: string,
  ) {
    out.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') this.gone = true;
      // Node's own words, less its syscall: "ENOSPC: no space left on device, write".
      else
        this.error ??= `cannot write to ${this.name}: ${e.message.replace(/^(\w+): (.*?)(, \w+)?$/, '$2 ($1)')}`;
    });
  }

  get ended(): boolean {
    return this.gone || this.error !== null || this.halted;
  }

  halt(): void {
    this.halted = true;
    for (const resume of this.onHalt.splice(0)) resume();
  }

  readonly write: Write = (chunk) => {
    if (this.ended) throw new OutputEnded();
    if (this.out.write(chunk)) return undefined;
    // A slow reader: wait for it, unless we are told to end meanwhile.
    let resume = (): void => undefined;
    const halted = new Promise<void>((resolve) => {
      resume = resolve;
      this.onHalt.push(resolve);
    });
    return Promise.race([once(this.out, 'drain'), halted]).then(
      () => {
        this.onHalt = this.onHalt.filter((r) => r !== resume);
        if (this.halted) throw new OutputEnded();
      },
      () => {
        throw new OutputEnded();
      },
    );
  };

  /** Gone though nothing was written lately (`logs -f | head` on a quiet log): asked of the fd. */
  readerLeft(): boolean {
    if (!this.gone && readerGone(this.fd)) this.gone = true;
    return this.gone;
  }

  /** Until what was written has reached the kernel: an exit sooner drops what libuv still
   *  queues. */
  flush(): Promise<void> {
    return this.gone || this.error !== null
      ? Promise.resolve()
      : new Promise((resolve) => this.out.write('', () => resolve()));
  }
}
