/**
 * `logs`: the service's last lines (reaching into its rotated files when NAME.log holds fewer)
 * and, with -f, what follows, until Ctrl-C. With separate --stdout and --stderr files, each goes
 * to ours (stdout's lines first, then stderr's).
 */
import { EXIT } from '../errors/exit-codes.js';
import { terminalSafe } from '../service/format.js';
import { StampPainter } from './color.js';
import { follow, printLast, type Following, type Write } from '../logs/read/follow.js';
import { closeAll, highestIndex, LogNames, type Source } from '../logs/read/chain.js';
import type { ServicePaths } from '../config/paths.js';
import { readSpec } from '../service/spec-file.js';
import { getUser, readerGone } from '../sys/native.js';
import { routeSignals } from '../sys/signals.js';
import { existsSync } from 'node:fs';
import { once } from 'node:events';

/** Our output ended early: its reader went away, or it could not be written. */
class OutputEnded extends Error {}

/**
 * One of our outputs, written with back-pressure (memory stays bounded). Its reader going away
 * (EPIPE: `logs | head`) is the end, quietly, exit 0; any other write error (a full disk) is said,
 * exit 1 — as `tail` does.
 */
class Output {
  gone = false;
  error: string | null = null;
  /** Ctrl-C (or SIGTERM, SIGHUP) under -f: no more is written, what was is flushed. */
  private halted = false;
  private onHalt: (() => void) | null = null;

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
    this.onHalt?.();
  }

  readonly write: Write = (chunk) => {
    if (this.ended) throw new OutputEnded();
    if (this.out.write(chunk)) return undefined;
    // A slow reader: wait for it, unless we are told to end meanwhile.
    const halted = new Promise<void>((resolve) => (this.onHalt = resolve));
    return Promise.race([once(this.out, 'drain'), halted]).then(
      () => {
        this.onHalt = null;
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

export async function showLogs(
  paths: ServicePaths,
  lines: number,
  following: boolean,
  color: { stdout: boolean; stderr: boolean } = { stdout: false, stderr: false },
): Promise<number> {
  const spec = readSpec(paths);
  const stdout = spec?.stdout ?? paths.logfile;
  const stderr = spec?.stderr ?? stdout;
  const files: [string, NodeJS.WriteStream][] = [[stdout, process.stdout]];
  if (stderr !== stdout) files.push([stderr, process.stderr]);
  const outputs = files.map(([, out], i) => new Output(out, i + 1, i === 0 ? 'stdout' : 'stderr'));
  // With -f, Ctrl-C (SIGTERM, SIGHUP) ends it quietly, exit 0 — also while it still prints the
  // last lines (main.ts caught these signals from its first moment; this is their route).
  let interrupt = (): void => {
    for (const o of outputs) o.halt();
  };
  if (following) {
    const end = (): void => interrupt();
    routeSignals({ SIGINT: end, SIGTERM: end, SIGHUP: end });
  }
  // On a terminal, --log-timestamps' prefixes are dimmed (the bytes otherwise as they are).
  const writers: Write[] = outputs.map((o, i) => {
    if (!spec?.logs?.timestamps || !(i === 0 ? color.stdout : color.stderr)) return o.write;
    const painter = new StampPainter();
    return (chunk) => o.write(painter.paint(chunk));
  });
  // Nothing more is said once our output has ended: that is said (or is the quiet end) below.
  const warn = (message: string): void => {
    if (!outputs.some((o) => o.ended))
      process.stderr.write(`daemonkit: ${terminalSafe(`${paths.display}: ${message}`)}\n`);
  };
  // In a directory the service user can write, its files are read as the supervisor writes them.
  const serviceUid =
    spec?.user === undefined
      ? undefined
      : /^[0-9]+$/.test(spec.user)
        ? Number(spec.user)
        : getUser(spec.user)?.uid;
  const logs = files.map(
    ([path]) => new LogNames(path, { warn, ...(serviceUid !== undefined ? { serviceUid } : {}) }),
  );
  const anyRotated = (log: LogNames): boolean => {
    try {
      return highestIndex(log) > 0;
    } catch {
      return true; // cannot be listed: printLast says why
    }
  };
  if (!following && !logs.some((log) => existsSync(log.path) || anyRotated(log))) {
    process.stderr.write(
      `daemonkit: ${terminalSafe(`${paths.display}: no log file at ${stdout}`)}\n`,
    );
    return EXIT.GENERIC;
  }
  let code: number = EXIT.OK;
  const starts: Source[][] = [];
  try {
    for (const [i, log] of logs.entries())
      starts.push(await printLast(log, lines, writers[i]!, { warn }));
  } catch (error) {
    for (const s of starts) closeAll(s);
    if (!(error instanceof OutputEnded)) {
      warn((error as Error).message);
      code = EXIT.GENERIC;
    }
  }
  if (following && code === EXIT.OK && !outputs.some((o) => o.ended)) {
    const followers: Following[] = logs.map((log, i) =>
      follow(log, starts[i]!, writers[i]!, { warn }),
    );
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearInterval(reader);
        resolve();
      };
      interrupt = done;
      for (const [, out] of files) out.once('error', done);
      // The reader may leave while the log is quiet, when there is nothing to write to notice it.
      const reader = setInterval(() => {
        if (outputs.some((o) => o.readerLeft())) done();
      }, 500);
    });
    for (const f of followers) f.close();
  } else for (const s of starts) closeAll(s); // not following, or our output already ended
  await Promise.all(outputs.map((o) => o.flush()));
  const failed = outputs.find((o) => o.error);
  if (failed) {
    process.stderr.write(`daemonkit: ${terminalSafe(`${paths.display}: ${failed.error}`)}\n`);
    return EXIT.GENERIC;
  }
  return code;
}
