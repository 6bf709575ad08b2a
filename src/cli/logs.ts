/**
 * `logs`: the service's last lines (reaching into its rotated files when NAME.log holds fewer)
 * and, with -f, what follows, until Ctrl-C. With separate --stdout and --stderr files, each goes
 * to ours (stdout's lines first, then stderr's).
 */
import { existsSync } from 'node:fs';
import type { ServicePaths } from '../config/paths.js';
import type { RecordedSpec } from '../service/spec-file.js';
import { EXIT } from '../errors/exit-codes.js';
import { closeAll, highestIndex, LogNames, type Source } from '../logs/read/chain.js';
import { type Following, follow, printLast, type Write } from '../logs/read/follow.js';
import { terminalSafe } from '../service/format.js';
import { readSpec } from '../service/spec-file.js';
import { getUser } from '../sys/native.js';
import { routeSignals } from '../sys/signals.js';
import { StampPainter } from './color.js';
import { Output, OutputEnded } from './log-output.js';

type Color = { stdout: boolean; stderr: boolean };
type Warn = (message: string) => void;

/** What ends the wait: Ctrl-C (SIGTERM, SIGHUP) halts the outputs, or, under -f, the follow. */
interface Interrupt {
  now(): void;
}

/** The log files to show and our output each goes to: one, or stdout's and stderr's apart. */
function logFiles(paths: ServicePaths, spec: RecordedSpec | null): [string, NodeJS.WriteStream][] {
  const stdout = spec?.stdout ?? paths.logfile;
  const stderr = spec?.stderr ?? stdout;
  const files: [string, NodeJS.WriteStream][] = [[stdout, process.stdout]];
  if (stderr !== stdout) files.push([stderr, process.stderr]);
  return files;
}

/** On a terminal, --log-timestamps' prefixes are dimmed (the bytes otherwise as they are). */
function writersOf(outputs: Output[], spec: RecordedSpec | null, color: Color): Write[] {
  return outputs.map((o, i) => {
    if (!spec?.logs?.timestamps || !(i === 0 ? color.stdout : color.stderr)) return o.write;
    const painter = new StampPainter();
    return (chunk) => o.write(painter.paint(chunk));
  });
}

/** In a directory the service user can write, its files are read as the supervisor writes them. */
function serviceUidOf(spec: RecordedSpec | null): number | undefined {
  if (spec?.user === undefined) return undefined;
  return /^[0-9]+$/.test(spec.user) ? Number(spec.user) : getUser(spec.user)?.uid;
}

/** Whether any of the logs has a file: NAME.log or a rotated one. */
function anyLogThere(logs: LogNames[]): boolean {
  const anyRotated = (log: LogNames): boolean => {
    try {
      return highestIndex(log) > 0;
    } catch {
      return true; // cannot be listed: printLast says why
    }
  };
  return logs.some((log) => existsSync(log.path) || anyRotated(log));
}

/** The last lines of each log; where each ended, for a follower to go on from. */
async function printAll(logs: LogNames[], lines: number, writers: Write[], warn: Warn) {
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
  return { code, starts };
}

/** Follow each log from where printAll ended until interrupted or our output's reader leaves. */
async function followAll(
  logs: LogNames[],
  starts: Source[][],
  writers: Write[],
  outputs: Output[],
  streams: NodeJS.WriteStream[],
  interrupt: Interrupt,
  warn: Warn,
): Promise<void> {
  const followers: Following[] = logs.map((log, i) =>
    follow(log, starts[i]!, writers[i]!, { warn }),
  );
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearInterval(reader);
      resolve();
    };
    interrupt.now = done;
    for (const out of streams) out.once('error', done);
    // The reader may leave while the log is quiet, when there is nothing to write to notice it.
    const reader = setInterval(() => {
      if (outputs.some((o) => o.readerLeft())) done();
    }, 500);
  });
  for (const f of followers) f.close();
}

export async function showLogs(
  paths: ServicePaths,
  lines: number,
  following: boolean,
  color: Color = { stdout: false, stderr: false },
): Promise<number> {
  const spec = readSpec(paths);
  const files = logFiles(paths, spec);
  const outputs = files.map(([, out], i) => new Output(out, i + 1, i === 0 ? 'stdout' : 'stderr'));
  // With -f, Ctrl-C (SIGTERM, SIGHUP) ends it quietly, exit 0 — also while it still prints the
  // last lines (main.ts caught these signals from its first moment; this is their route).
  const interrupt: Interrupt = {
    now: () => {
      for (const o of outputs) o.halt();
    },
  };
  if (following) {
    const end = (): void => interrupt.now();
    routeSignals({ SIGINT: end, SIGTERM: end, SIGHUP: end });
  }
  const say = (message: string): void =>
    void process.stderr.write(`daemonkit: ${terminalSafe(`${paths.display}: ${message}`)}\n`);
  // Nothing more is said once our output has ended: that is said (or is the quiet end) below.
  const warn = (message: string): void => {
    if (!outputs.some((o) => o.ended)) say(message);
  };
  const serviceUid = serviceUidOf(spec);
  const logs = files.map(
    ([path]) => new LogNames(path, { warn, ...(serviceUid !== undefined ? { serviceUid } : {}) }),
  );
  if (!following && !anyLogThere(logs)) {
    say(`no log file at ${files[0]![0]}`);
    return EXIT.GENERIC;
  }
  const writers = writersOf(outputs, spec, color);
  const { code, starts } = await printAll(logs, lines, writers, warn);
  if (following && code === EXIT.OK && !outputs.some((o) => o.ended)) {
    const streams = files.map(([, out]) => out);
    await followAll(logs, starts, writers, outputs, streams, interrupt, warn);
  } else for (const s of starts) closeAll(s); // not following, or our output already ended
  await Promise.all(outputs.map((o) => o.flush()));
  const failed = outputs.find((o) => o.error);
  if (failed) {
    say(failed.error!);
    return EXIT.GENERIC;
  }
  return code;
}
