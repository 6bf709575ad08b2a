/**
 * The COMMAND's output as the supervisor owns it: two pipes (stdout, stderr) that outlive each
 * COMMAND, so a restarted one writes into the same pumps; each pipe's lines go to a log file
 * (one shared file by default) or, in the foreground, to our own stdout/stderr.
 */
import { closeSync, writeSync } from 'node:fs';
import type { CommandSpec } from '../../config/spec.js';
import { makePipe, setCloexec } from '../../sys/native.js';
import { LogFile } from './file.js';
import { FdSink, type LogSink } from './sink.js';
import { PrefixSink } from './prefix-sink.js';
import { DEFAULT_LOG_POLICY, type LogPolicy } from '../../config/log-policy.js';
import { READ_SIZE, StreamPump } from './pump.js';
import { FileRelay, type Pump } from './relay.js';
import { errorTail, MAX as TAIL_MAX } from './tail.js';

/** Read and write ends, per stream; null: the COMMAND writes straight to our own fd. */
export interface CapturePipes {
  stdout: [number, number] | null;
  stderr: [number, number] | null;
}

export function logPolicy(spec: CommandSpec): LogPolicy {
  return spec.logs ?? DEFAULT_LOG_POLICY;
}

/** The pipes a COMMAND needs: one per stream we must see (a file, or timestamps or a prefix to
 *  add: `prefixed`; several instances: each line is marked with its instance). */
export function createPipes(spec: CommandSpec, prefixed = false): CapturePipes {
  const want = (target: string | null): boolean =>
    target !== null || prefixed || logPolicy(spec).timestamps || (spec.instances ?? 1) > 1;
  return {
    stdout: want(spec.stdout) ? makePipe(READ_SIZE) : null,
    stderr: want(spec.stderr) ? makePipe(READ_SIZE) : null,
  };
}

export function closePipes(pipes: CapturePipes): void {
  for (const pair of [pipes.stdout, pipes.stderr]) for (const fd of pair ?? []) closeSync(fd);
}

/** Where one instance's COMMANDs write, and what the supervisor reads of it: the pipes'
 *  write ends, their last words, their stderr tail, its own event lines among theirs. */
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

interface Pumps {
  stdout: Pump | null;
  stderr: Pump | null;
}

export class LogCapture implements CaptureChannel {
  private readonly pumps: Pumps;
  /** Pumps for another instance's pipes, into the same sinks, each line after `linePrefix`. */
  private readonly makePumps: (
    stdout: number | null,
    stderr: number | null,
    linePrefix: string,
  ) => Pumps;
  /** Other instances' pipes (`--instances`), into the same files. */
  private readonly channels: InstanceChannel[] = [];
  private readonly relays = new Map<LogSink, FileRelay>();
  private readonly sinks: LogSink[] = [];
  private readonly errors = new Map<string, string>();
  /** Our own stderr is a terminal or a journal (not a log file of ours): events go there too. */
  private readonly echo: boolean;
  private readonly stderrToFile: boolean;

  /** `onError`: the current problem with the logs (null once writing works again). */
  constructor(
    spec: CommandSpec,
    private readonly pipes: CapturePipes,
    private readonly onError: (message: string | null) => void = () => undefined,
    /** Detached: our own stderr (fd 2) follows the COMMAND's stderr file through rotations.
     *  linePrefix: before each line (instance 0's, when there are several: then the lines go
     *  through StreamPumps, which add it, not through the native relay). */
    /* `echo: false`: our events go to the log only (a shared supervisor's stderr is its own).
     * `prefix`: before each line on our own stdout, where both streams then go (a project in
     * the foreground: `web | …`, as one log). */
    options: { ownStderr?: boolean; linePrefix?: string; echo?: boolean; prefix?: string } = {},
  ) {
    for (const pair of [pipes.stdout, pipes.stderr]) for (const fd of pair ?? []) setCloexec(fd);
    const policy = logPolicy(spec);
    const files = new Map<string, LogFile>();
    const fileFor = (target: string, key: string): LogFile => {
      let file = files.get(target);
      if (!file) {
        const mirror = options.ownStderr && target === spec.stderr ? 2 : undefined;
        file = this.own(
          new LogFile(
            target,
            policy,
            (message) => this.report(`${key}-background`, message),
            mirror,
            spec.runAs?.uid,
          ),
        );
        files.set(target, file);
      }
      return file;
    };
    // A stream into a file goes through that file's native relay (one per file: stdout and stderr
    // sharing a file share it, so their lines never mix); into our own fd, through a pump.
    const streams = [
      [pipes.stdout, spec.stdout, 'stdout'],
      [pipes.stderr, spec.stderr, 'stderr'],
    ] as const;
    const prefixed = options.linePrefix !== undefined;
    const relayed = new Map<LogFile, { fds: [number, number]; key: string }>();
    streams.forEach(([pair, target, key], i) => {
      if (!pair || target === null || prefixed) return;
      const file = fileFor(target, key);
      const entry = relayed.get(file) ?? { fds: [-1, -1], key };
      entry.fds[i] = pair[0];
      relayed.set(file, entry);
    });
    for (const [file, { fds, key }] of relayed) {
      this.relays.set(
        file,
        new FileRelay(file, fds, [false, fds[1] >= 0], policy.timestamps, (message) =>
          this.report(key, message),
        ),
      );
    }
    const sinkOf = (i: 0 | 1): LogSink => {
      const [, target, key] = streams[i];
      if (target !== null) return fileFor(target, key);
      return this.own(
        options.prefix === undefined
          ? new FdSink(i + 1)
          : new PrefixSink(new FdSink(1), options.prefix), // both streams: on our stdout
      );
    };
    const sinks = [pipes.stdout && sinkOf(0), pipes.stderr && sinkOf(1)] as const;
    const streamPump = (fd: number | null, i: 0 | 1, linePrefix?: string): StreamPump | null =>
      fd === null
        ? null
        : new StreamPump(fd, sinks[i]!, {
            timestamps: policy.timestamps,
            keepTail: i === 1,
            ...(linePrefix ? { linePrefix } : {}),
            onError: (message) => this.report(streams[i][2], message),
          });
    const pump = (i: 0 | 1): Pump | null => {
      const [pair, target] = streams[i];
      if (!pair) return null;
      if (target !== null && !prefixed) return this.relays.get(files.get(target)!)!.stream(i);
      return streamPump(pair[0], i, options.linePrefix);
    };
    this.makePumps = (stdout, stderr, linePrefix) => ({
      stdout: streamPump(stdout, 0, linePrefix),
      stderr: streamPump(stderr, 1, linePrefix),
    });
    this.pumps = { stdout: pump(0), stderr: pump(1) };
    this.echo = options.echo ?? !options.ownStderr;
    this.stderrToFile = spec.stderr !== null;
    for (const sink of this.sinks) if (sink.error) this.report('open', sink.error);
  }

  private own<T extends LogSink>(sink: T): T {
    this.sinks.push(sink);
    return sink;
  }

  private report(key: string, message: string | null): void {
    const before = this.error;
    if (message === null) this.errors.delete(key);
    else this.errors.set(key, message);
    // Writing works again: a file that could not be (re)opened has been opened by now.
    if (message === null && this.sinks.every((sink) => !sink.error)) this.errors.delete('open');
    if (this.error !== before) this.onError(this.error);
  }

  /** What is wrong with the logs now, if anything. */
  get error(): string | null {
    return this.errors.values().next().value ?? null;
  }

  /** The COMMAND's stdout and stderr fds, for a COMMAND about to start. The relays read nothing
   *  more until the next event (the started line, or why it could not start): its lines follow it. */
  commandFds(): [number, number] {
    for (const relay of this.relays.values()) relay.hold();
    return [this.pipes.stdout?.[1] ?? 1, this.pipes.stderr?.[1] ?? 2];
  }

  private release(): void {
    for (const relay of this.relays.values()) relay.release();
  }

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

  /** Pipes of their own for another instance's COMMANDs (`--instances`): their lines, each
   *  after `linePrefix`, into the same files; their stderr tail apart. */
  channel(linePrefix: string): CaptureChannel {
    const pipe = (pair: [number, number] | null): [number, number] | null => {
      if (!pair) return null;
      const made = makePipe(READ_SIZE);
      for (const fd of made) setCloexec(fd);
      return made;
    };
    const pipes = { stdout: pipe(this.pipes.stdout), stderr: pipe(this.pipes.stderr) };
    const pumps = this.makePumps(pipes.stdout?.[0] ?? null, pipes.stderr?.[0] ?? null, linePrefix);
    const channel = new InstanceChannel(pipes, pumps, this);
    this.channels.push(channel);
    return channel;
  }

  /**
   * One of the supervisor's own events (`daemonkit: exited with code 2; restarting in 200ms`):
   * into the stderr log (the combined one by default) as a whole line among the COMMAND's
   * (StreamPump.inject), and, when not detached, on our own stderr too (`run`'s terminal or
   * journal), unless that is where the line just went. `flush`: first take in what the COMMAND
   * wrote before it (its lines then come before ours).
   */
  event(line: string, flush = true): void {
    const pump = this.pumps.stderr;
    if (flush) this.release();
    if (pump) {
      if (flush) this.takeWaiting();
      pump.inject(line);
    }
    this.release();
    if (this.echo && (!pump || this.stderrToFile)) {
      try {
        writeSync(2, `${line}\n`);
      } catch {
        // our stderr is gone or full: the log has it (or nothing could)
      }
    }
  }

  /** Close and reopen the files (logrotate's `create` + postrotate). */
  reopen(): void {
    this.errors.delete('open');
    // A rotation or compression that failed is retried on the fresh files: forget it now.
    for (const key of [...this.errors.keys()])
      if (key.endsWith('-background')) this.errors.delete(key);
    for (const sink of this.sinks) {
      const relay = this.relays.get(sink);
      if (relay) relay.reopen();
      else sink.reopen();
      if (sink.error) this.report('open', sink.error);
    }
    if (!this.errors.has('open')) this.report('open', null);
    // Lines held back by a failing file go out now, not at the next retry.
    for (const pumps of [this.pumps, ...this.channels.map((c) => c.pumps)]) {
      pumps.stdout?.retryNow();
      pumps.stderr?.retryNow();
    }
  }

  /** Write out everything, then close pipes and files. Returns, in words, what could not be
   *  written at the end (a file still failing), or null when everything was. */
  close(): string | null {
    let lost = 0;
    for (const c of this.channels) lost += c.close();
    lost += (this.pumps.stdout?.close() ?? 0) + (this.pumps.stderr?.close() ?? 0);
    const why = this.error;
    for (const sink of this.sinks) sink.close();
    for (const pair of [this.pipes.stdout, this.pipes.stderr]) {
      if (pair) closeSync(pair[1]); // the read ends went with their pumps
    }
    return lost > 0
      ? `${lost} bytes of the COMMAND's last output could not be written${why ? ` (${why})` : ''}`
      : null;
  }

  /** Pending background compression (for tests and an orderly exit). */
  async settled(): Promise<void> {
    await Promise.all(
      this.sinks.map((sink) => (sink instanceof LogFile ? sink.whenCompressed() : undefined)),
    );
  }
}

/** Another instance's pipes and pumps (LogCapture.channel): its events go into its own stderr
 *  stream, so they carry its prefix. */
class InstanceChannel implements CaptureChannel {
  constructor(
    private readonly pipes: CapturePipes,
    readonly pumps: Pumps,
    private readonly main: LogCapture,
  ) {}

  get error(): string | null {
    return this.main.error;
  }

  commandFds(): [number, number] {
    const [out, err] = this.main.commandFds();
    return [this.pipes.stdout?.[1] ?? out, this.pipes.stderr?.[1] ?? err];
  }

  drain(): void {
    for (const pump of [this.pumps.stdout, this.pumps.stderr]) if (pump?.drain()) pump.endLine();
  }

  takeWaiting(): void {
    this.pumps.stdout?.drain();
    this.pumps.stderr?.drain();
  }

  stderrTail(mark?: number): string[] {
    return errorTail(this.pumps.stderr?.lastLines(TAIL_MAX, mark) ?? []);
  }

  stderrMark(): number {
    return this.pumps.stderr?.tailMark?.() ?? 0;
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
    const lost = (this.pumps.stdout?.close() ?? 0) + (this.pumps.stderr?.close() ?? 0);
    for (const pair of [this.pipes.stdout, this.pipes.stderr]) if (pair) closeSync(pair[1]);
    return lost;
  }
}
