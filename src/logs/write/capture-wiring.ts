/**
 * How a capture's two streams are wired, made once when it starts: a stream into a file goes
 * through that file's native relay (one per file: stdout and stderr sharing a file share it, so
 * their lines never mix); a stream into our own fd, or one whose lines get an instance's prefix,
 * through a StreamPump into a sink. The capture (capture.ts) then only drives what is made here.
 */
import type { CommandSpec } from '../../config/spec.js';
import type { LogPolicy } from '../../config/log-policy.js';
import { type CapturePipes, logPolicy } from './capture-pipes.js';
import type { Pumps } from './channel.js';
import { LogFile } from './file.js';
import { PrefixSink } from './prefix-sink.js';
import { StreamPump } from './pump.js';
import { FileRelay, type Pump } from './relay.js';
import { FdSink, type LogSink } from './sink.js';

export interface WiringOptions {
  /** Detached: our own stderr (fd 2) follows the COMMAND's stderr file through rotations. */
  ownStderr?: boolean;
  /** Before each line (instance 0's, when there are several: then the lines go through
   *  StreamPumps, which add it, not through the native relay). */
  linePrefix?: string;
  /** Before each line on our own stdout, where both streams then go. */
  prefix?: string;
}

/** Where a problem is told: under its key (`stdout`, `stderr-background`, …); null: it is over. */
export type Report = (key: string, message: string | null) => void;

type Stream = readonly [pair: [number, number] | null, target: string | null, key: string];

export class StreamWiring {
  readonly pumps: Pumps;
  private readonly policy: LogPolicy;
  private readonly files = new Map<string, LogFile>();
  private readonly streams: readonly [Stream, Stream];
  private readonly sinkFor: readonly [LogSink | null, LogSink | null];

  constructor(
    private readonly spec: CommandSpec,
    pipes: CapturePipes,
    private readonly options: WiringOptions,
    /** The capture's: every sink made here is added (to be reopened and closed). */
    private readonly sinks: LogSink[],
    /** The capture's: each file's relay, by the file. */
    private readonly relays: Map<LogSink, FileRelay>,
    private readonly report: Report,
  ) {
    this.policy = logPolicy(spec);
    this.streams = [
      [pipes.stdout, spec.stdout, 'stdout'],
      [pipes.stderr, spec.stderr, 'stderr'],
    ];
    const prefixed = options.linePrefix !== undefined;
    if (!prefixed) this.relayFiles();
    this.sinkFor = [pipes.stdout && this.sinkOf(0), pipes.stderr && this.sinkOf(1)];
    this.pumps = { stdout: this.pump(0, prefixed), stderr: this.pump(1, prefixed) };
  }

  /** Pumps for another instance's pipes, into the same sinks, each line after `linePrefix`. */
  makePumps(stdout: number | null, stderr: number | null, linePrefix: string): Pumps {
    return {
      stdout: this.streamPump(stdout, 0, linePrefix),
      stderr: this.streamPump(stderr, 1, linePrefix),
    };
  }

  private own<T extends LogSink>(sink: T): T {
    this.sinks.push(sink);
    return sink;
  }

  private fileFor(target: string, key: string): LogFile {
    let file = this.files.get(target);
    if (!file) {
      const mirror = this.options.ownStderr && target === this.spec.stderr ? 2 : undefined;
      file = this.own(
        new LogFile(
          target,
          this.policy,
          (message) => this.report(`${key}-background`, message),
          mirror,
          this.spec.runAs?.uid,
        ),
      );
      this.files.set(target, file);
    }
    return file;
  }

  /** One native relay per file the streams write to. */
  private relayFiles(): void {
    const relayed = new Map<LogFile, { fds: [number, number]; key: string }>();
    this.streams.forEach(([pair, target, key], i) => {
      if (!pair || target === null) return;
      const file = this.fileFor(target, key);
      const entry = relayed.get(file) ?? { fds: [-1, -1], key };
      entry.fds[i] = pair[0];
      relayed.set(file, entry);
    });
    for (const [file, { fds, key }] of relayed) {
      this.relays.set(
        file,
        new FileRelay(file, fds, [false, fds[1] >= 0], this.policy.timestamps, (message) =>
          this.report(key, message),
        ),
      );
    }
  }

  private sinkOf(i: 0 | 1): LogSink {
    const [, target, key] = this.streams[i];
    if (target !== null) return this.fileFor(target, key);
    return this.own(
      this.options.prefix === undefined
        ? new FdSink(i + 1)
        : new PrefixSink(new FdSink(1), this.options.prefix), // both streams: on our stdout
    );
  }

  private streamPump(fd: number | null, i: 0 | 1, linePrefix?: string): StreamPump | null {
    return fd === null
      ? null
      : new StreamPump(fd, this.sinkFor[i]!, {
          timestamps: this.policy.timestamps,
          keepTail: i === 1,
          ...(linePrefix ? { linePrefix } : {}),
          onError: (message) => this.report(this.streams[i][2], message),
        });
  }

  private pump(i: 0 | 1, prefixed: boolean): Pump | null {
    const [pair, target] = this.streams[i];
    if (!pair) return null;
    if (target !== null && !prefixed) return this.relays.get(this.files.get(target)!)!.stream(i);
    return this.streamPump(pair[0], i, this.options.linePrefix);
  }
}
