/**
 * The COMMAND's output as the supervisor owns it: two pipes (stdout, stderr) that outlive each
 * COMMAND, so a restarted one writes into the same pumps; each pipe's lines go to a log file
 * (one shared file by default) or, in the foreground, to our own stdout/stderr.
 */
import { closeSync, writeSync } from 'node:fs';
import type { CommandSpec } from '../../config/spec.js';
import { makePipe, setCloexec } from '../../sys/native.js';
import { PrefixSink } from './prefix-sink.js';
import { FdSink, LogFile, type LogSink } from './file.js';
import { DEFAULT_LOG_POLICY, type LogPolicy } from '../../config/log-policy.js';
import { READ_SIZE, StreamPump } from './pump.js';
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
 *  add: `prefixed`). */
export function createPipes(spec: CommandSpec, prefixed = false): CapturePipes {
  const want = (target: string | null): boolean =>
    target !== null || prefixed || logPolicy(spec).timestamps;
  return {
    stdout: want(spec.stdout) ? makePipe(READ_SIZE) : null,
    stderr: want(spec.stderr) ? makePipe(READ_SIZE) : null,
  };
}

export function closePipes(pipes: CapturePipes): void {
  for (const pair of [pipes.stdout, pipes.stderr]) for (const fd of pair ?? []) closeSync(fd);
}

export class LogCapture {
  private readonly pumps: { stdout: StreamPump | null; stderr: StreamPump | null };
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
     *  `echo: false`: our events go to the log only (a shared supervisor's stderr is its own).
     *  `prefix`: before each line on our own stdout, where both streams then go (a project in the
     *  foreground: `web | …`, as one log). */
    options: { ownStderr?: boolean; echo?: boolean; prefix?: string } = {},
  ) {
    for (const pair of [pipes.stdout, pipes.stderr]) for (const fd of pair ?? []) setCloexec(fd);
    const policy = logPolicy(spec);
    const files = new Map<string, LogFile>();
    const sinkFor = (target: string | null, ownFd: number, key: string): LogSink => {
      if (target === null)
        return this.own(
          options.prefix === undefined
            ? new FdSink(ownFd)
            : new PrefixSink(new FdSink(1), options.prefix), // both streams: on our stdout
        );
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
    const pump = (
      pair: [number, number] | null,
      target: string | null,
      ownFd: number,
      key: string,
    ): StreamPump | null =>
      pair &&
      new StreamPump(pair[0], sinkFor(target, ownFd, key), {
        timestamps: policy.timestamps,
        keepTail: key === 'stderr',
        onError: (message) => this.report(key, message),
      });
    this.pumps = {
      stdout: pump(pipes.stdout, spec.stdout, 1, 'stdout'),
      stderr: pump(pipes.stderr, spec.stderr, 2, 'stderr'),
    };
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

  /** The COMMAND's stdout and stderr fds. */
  commandFds(): [number, number] {
    return [this.pipes.stdout?.[1] ?? 1, this.pipes.stderr?.[1] ?? 2];
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

  /** The COMMAND's last stderr lines, as many as it takes to show its error (see tail.ts). */
  stderrTail(): string[] {
    return errorTail(this.pumps.stderr?.lastLines(TAIL_MAX) ?? []);
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
    if (pump) {
      if (flush) this.takeWaiting();
      pump.inject(line);
    }
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
      sink.reopen();
      if (sink.error) this.report('open', sink.error);
    }
    if (!this.errors.has('open')) this.report('open', null);
    // Lines held back by a failing file go out now, not at the next retry.
    this.pumps.stdout?.retryNow();
    this.pumps.stderr?.retryNow();
  }

  /** Write out everything, then close pipes and files. Returns, in words, what could not be
   *  written at the end (a file still failing), or null when everything was. */
  close(): string | null {
    const lost = (this.pumps.stdout?.close() ?? 0) + (this.pumps.stderr?.close() ?? 0);
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
