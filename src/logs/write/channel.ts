/**
 * What the supervisor holds of one instance's output (CaptureChannel): the fds its COMMANDs
 * write to, their last words, their stderr tail, and its own event lines among theirs. The
 * first instance's channel is the LogCapture itself (capture.ts); each other instance of
 * `--instances` gets an InstanceChannel, below: pipes and pumps of its own, into the same files.
 * The calls on a pair of pumps are here once, for both (PumpChannel).
 */
import { closeSync } from 'node:fs';
import type { CapturePipes } from './capture-pipes.js';
import type { Pump } from './relay.js';
import { errorTail, MAX as TAIL_MAX } from './tail.js';

export interface CaptureChannel {
  commandFds(): [number, number];
  drain(): void;
  takeWaiting(): void;
  /** The last stderr lines; with a mark (stderrMark()), those written after it. */
  stderrTail(mark?: number): string[];
  stderrMark(): number;
  event(line: string, flush?: boolean): void;
  readonly error: string | null;
}

/** What goes before each line of instance `n` of several (`--instances`): the one place it is
 *  said, for the pumps (and for a port of them). */
export const instancePrefix = (n: number): string => `[${n}] `;

export interface Pumps {
  stdout: Pump | null;
  stderr: Pump | null;
}

/** The calls on a channel's pair of pumps: the same for the first instance's channel (the
 *  LogCapture) and every other's (InstanceChannel). */
export abstract class PumpChannel {
  abstract readonly pumps: Pumps;

  /** Take in what the COMMAND wrote before it exited, its unfinished last lines included. */
  drain(): void {
    for (const pump of [this.pumps.stdout, this.pumps.stderr]) if (pump?.drain()) pump.endLine();
  }

  /** Take in what waits in the pipes now, leaving unfinished lines unfinished: what a start
   *  reports (a log error, say) then covers all the COMMAND wrote before it was announced. */
  takeWaiting(): void {
    this.pumps.stdout?.drain();
    this.pumps.stderr?.drain();
  }

  /** The COMMAND's last stderr lines, as many as it takes to show its error (see tail.ts); with
   *  a mark (stderrMark()), those written since (the native relay keeps no marks: all of them). */
  stderrTail(mark?: number): string[] {
    return errorTail(this.pumps.stderr?.lastLines(TAIL_MAX, mark) ?? []);
  }

  stderrMark(): number {
    return this.pumps.stderr?.tailMark?.() ?? 0;
  }

  /** Close both pumps; how many bytes could not be written. */
  protected closePumps(): number {
    return (this.pumps.stdout?.close() ?? 0) + (this.pumps.stderr?.close() ?? 0);
  }
}

/** Another instance's pipes and pumps (LogCapture.channel): its events go into its own stderr
 *  stream, so they carry its prefix. */
export class InstanceChannel extends PumpChannel implements CaptureChannel {
  constructor(
    private readonly pipes: CapturePipes,
    readonly pumps: Pumps,
    private readonly main: CaptureChannel,
  ) {
    super();
  }

  get error(): string | null {
    return this.main.error;
  }

  commandFds(): [number, number] {
    const [out, err] = this.main.commandFds();
    return [this.pipes.stdout?.[1] ?? out, this.pipes.stderr?.[1] ?? err];
  }

  event(line: string, flush = true): void {
    const pump = this.pumps.stderr;
    if (!pump) {
      this.main.event(line, flush);
      return;
    }
    if (flush) this.takeWaiting();
    pump.inject(line);
  }

  close(): number {
    const lost = this.closePumps();
    for (const pair of [this.pipes.stdout, this.pipes.stderr]) if (pair) closeSync(pair[1]);
    return lost;
  }
}
