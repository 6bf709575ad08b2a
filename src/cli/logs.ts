/**
 * `logs`: the service's last lines (reaching into its rotated files when NAME.log holds fewer)
 * and, with -f, what follows, until Ctrl-C. With separate --stdout and --stderr files, each goes
 * to ours (stdout's lines first, then stderr's).
 */
import { EXIT } from '../exit-codes.js';
import { terminalSafe } from '../format.js';
import { follow, printLast, type Following, type Write } from '../logs/follow.js';
import { closeAll, highestIndex, LogNames, type Source } from '../logs/chain.js';
import type { ServicePaths } from '../paths.js';
import { readSpec } from '../spec-file.js';
import { getUser, readerGone } from '../sys/native.js';
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

  constructor(private readonly out: NodeJS.WriteStream, private readonly fd: number, private readonly name: string) {
    out.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') this.gone = true;
      // Node's own words, less its syscall: "ENOSPC: no space left on device, write".
      else this.error ??= `cannot write to ${this.name}: ${e.message.replace(/^(\w+): (.*?)(, \w+)?$/, '$2 ($1)')}`;
    });
  }

  get ended(): boolean {
    return this.gone || this.error !== null;
  }

  readonly write: Write = (chunk) => {
    if (this.ended) throw new OutputEnded();
    if (this.out.write(chunk)) return undefined;
    return once(this.out, 'drain').catch(() => {
      throw new OutputEnded();
    });
  };

  /** Gone though nothing was written lately (`logs -f | head` on a quiet log): asked of the fd. */
  readerLeft(): boolean {
    if (!this.gone && readerGone(this.fd)) this.gone = true;
    return this.gone;
  }

  /** Until what was written has reached the kernel: an exit sooner drops what libuv still queues. */
  flush(): Promise<void> {
    return this.ended ? Promise.resolve() : new Promise((resolve) => this.out.write('', () => resolve()));
  }
}

export async function showLogs(paths: ServicePaths, lines: number, following: boolean): Promise<number> {
  const spec = readSpec(paths);
  const stdout = spec?.stdout ?? paths.logfile;
  const stderr = spec?.stderr ?? stdout;
  const files: [string, NodeJS.WriteStream][] = [[stdout, process.stdout]];
  if (stderr !== stdout) files.push([stderr, process.stderr]);
  const outputs = files.map(([, out], i) => new Output(out, i + 1, i === 0 ? 'stdout' : 'stderr'));
  // Nothing more is said once our output has ended: that is said (or is the quiet end) below.
  const warn = (message: string): void => {
    if (!outputs.some((o) => o.ended)) process.stderr.write(`daemonkit: ${terminalSafe(`${paths.display}: ${message}`)}\n`);
  };
  // In a directory the service user can write, its files are read as the supervisor writes them.
  const serviceUid = spec?.user === undefined ? undefined : /^[0-9]+$/.test(spec.user) ? Number(spec.user) : getUser(spec.user)?.uid;
  const logs = files.map(([path]) => new LogNames(path, { warn, ...(serviceUid !== undefined ? { serviceUid } : {}) }));
  const anyRotated = (log: LogNames): boolean => {
    try {
      return highestIndex(log) > 0;
    } catch {
      return true; // cannot be listed: printLast says why
    }
  };
  if (!following && !logs.some((log) => existsSync(log.path) || anyRotated(log))) {
    process.stderr.write(`daemonkit: ${terminalSafe(`${paths.display}: no log file at ${stdout}`)}\n`);
    return EXIT.GENERIC;
  }
  let code: number = EXIT.OK;
  const starts: Source[][] = [];
  try {
    for (const [i, log] of logs.entries()) starts.push(await printLast(log, lines, outputs[i]!.write, { warn }));
  } catch (error) {
    starts.forEach((s) => closeAll(s));
    if (!(error instanceof OutputEnded)) {
      warn((error as Error).message);
      code = EXIT.GENERIC;
    }
  }
  if (following && code === EXIT.OK && !outputs.some((o) => o.ended)) {
    const followers: Following[] = logs.map((log, i) => follow(log, starts[i]!, outputs[i]!.write, { warn }));
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearInterval(reader);
        resolve();
      };
      process.once('SIGINT', done).once('SIGTERM', done).once('SIGHUP', done);
      for (const [, out] of files) out.once('error', done);
      // The reader may leave while the log is quiet, when there is nothing to write to notice it.
      const reader = setInterval(() => {
        if (outputs.some((o) => o.readerLeft())) done();
      }, 500);
    });
    for (const f of followers) f.close();
  } else starts.forEach((s) => closeAll(s)); // not following, or our output already ended
  await Promise.all(outputs.map((o) => o.flush()));
  const failed = outputs.find((o) => o.error);
  if (failed) {
    process.stderr.write(`daemonkit: ${terminalSafe(`${paths.display}: ${failed.error}`)}\n`);
    return EXIT.GENERIC;
  }
  return code;
}
