/**
 * The COMMAND's output as the supervisor owns it: two pipes (stdout, stderr) that outlive each
 * COMMAND, so a restarted one writes into the same pumps; each pipe's lines go to a log file
 * (one shared file by default) or, in the foreground, to our own stdout/stderr. The streams are
 * wired in capture-wiring.ts; here is what the supervisor does with them: start a COMMAND, take
 * in its last words, put its own events among its lines, reopen, close, and keep the current
 * problem with the logs.
 */
import { closeSync, writeSync } from 'node:fs';
import type { CommandSpec } from '../../config/spec.js';
import { setCloexec } from '../../sys/native.js';
import { LogFile } from './file.js';
import { type CapturePipes, instancePipes } from './capture-pipes.js';
import { StreamWiring, type WiringOptions } from './capture-wiring.js';
import { type CaptureChannel, InstanceChannel, PumpChannel, type Pumps } from './channel.js';
import type { FileRelay } from './relay.js';
import type { LogSink } from './sink.js';

// What the supervisor and the launchers import from here (one name for the capture's surface).
export { type CapturePipes, closePipes, createPipes, logPolicy } from './capture-pipes.js';
export { type CaptureChannel, instancePrefix } from './channel.js';

export class LogCapture extends PumpChannel implements CaptureChannel {
  readonly pumps: Pumps;
  private readonly wiring: StreamWiring;
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
    /* WiringOptions (capture-wiring.ts), and `echo: false`: our events go to the log only (a
     * shared supervisor's stderr is its own). `prefix`: a project in the foreground (`web | …`,
     * both streams as one log). */
    options: WiringOptions & { echo?: boolean } = {},
  ) {
    super();
    for (const pair of [pipes.stdout, pipes.stderr]) for (const fd of pair ?? []) setCloexec(fd);
    this.wiring = new StreamWiring(spec, pipes, options, this.sinks, this.relays, (key, message) =>
      this.report(key, message),
    );
    this.pumps = this.wiring.pumps;
    this.echo = options.echo ?? !options.ownStderr;
    this.stderrToFile = spec.stderr !== null;
    for (const sink of this.sinks) if (sink.error) this.report('open', sink.error);
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

  /** Pipes of their own for another instance's COMMANDs (`--instances`): their lines, each
   *  after `linePrefix`, into the same files; their stderr tail apart. */
  channel(linePrefix: string): CaptureChannel {
    const pipes = instancePipes(this.pipes);
    const pumps = this.wiring.makePumps(
      pipes.stdout?.[0] ?? null,
      pipes.stderr?.[0] ?? null,
      linePrefix,
    );
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
    lost += this.closePumps();
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
