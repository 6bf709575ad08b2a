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
import { getUser } from '../sys/native.js';
import { Output, OutputEnded } from './logs-output.js';
import { flushed, interruptible, untilStopped } from './logs-stop.js';
import { existsSync } from 'node:fs';

/** A service's log files: stdout's (to our stdout) and, when apart, stderr's (to our stderr). */
export interface ServiceLogs {
  /** NAME.log or the recorded --stdout file. */
  stdout: string;
  files: { path: string; fd: 1 | 2; log: LogNames }[];
  /** Started with --log-timestamps. */
  timestamps: boolean;
}

/** The files recorded at the service's last start (else NAME.log), each as a LogNames. */
export function serviceLogs(paths: ServicePaths, warn: (message: string) => void): ServiceLogs {
  const spec = readSpec(paths);
  const stdout = spec?.stdout ?? paths.logfile;
  const stderr = spec?.stderr ?? stdout;
  // In a directory the service user can write, its files are read as the supervisor writes them.
  const serviceUid =
    spec?.user === undefined
      ? undefined
      : /^[0-9]+$/.test(spec.user)
        ? Number(spec.user)
        : getUser(spec.user)?.uid;
  const names = (path: string): LogNames =>
    new LogNames(path, { warn, ...(serviceUid !== undefined ? { serviceUid } : {}) });
  const files: ServiceLogs['files'] = [{ path: stdout, fd: 1, log: names(stdout) }];
  if (stderr !== stdout) files.push({ path: stderr, fd: 2, log: names(stderr) });
  return { stdout, files, timestamps: spec?.logs?.timestamps === true };
}

/** Is there anything to print: NAME.log or a rotated file. */
export function anyLog(logs: ServiceLogs): boolean {
  const anyRotated = (log: LogNames): boolean => {
    try {
      return highestIndex(log) > 0;
    } catch {
      return true; // cannot be listed: printLast says why
    }
  };
  return logs.files.some(({ log }) => existsSync(log.path) || anyRotated(log));
}

/** On a terminal, --log-timestamps' prefixes are dimmed (the bytes otherwise as they are). */
function stampWriters(
  outputs: readonly Output[],
  timestamps: boolean,
  color: { stdout: boolean; stderr: boolean },
): Write[] {
  return outputs.map((o, i) => {
    if (!timestamps || !(i === 0 ? color.stdout : color.stderr)) return o.write;
    const painter = new StampPainter();
    return (chunk) => o.write(painter.paint(chunk));
  });
}

/**
 * Each file's last lines: the files as printLast leaves them. When printing stops, they are
 * closed (left empty); an error is said, exit 1; our output ended is the quiet end.
 */
async function printEach(
  logs: readonly LogNames[],
  lines: number,
  writers: readonly Write[],
  warn: (message: string) => void,
): Promise<{ starts: Source[][]; code: number }> {
  const starts: Source[][] = [];
  try {
    for (const [i, log] of logs.entries())
      starts.push(await printLast(log, lines, writers[i]!, { warn }));
  } catch (error) {
    for (const s of starts) closeAll(s);
    if (!(error instanceof OutputEnded)) {
      warn((error as Error).message);
      return { starts, code: EXIT.GENERIC };
    }
  }
  return { starts, code: EXIT.OK };
}

export async function showLogs(
  paths: ServicePaths,
  lines: number,
  following: boolean,
  color: { stdout: boolean; stderr: boolean } = { stdout: false, stderr: false },
): Promise<number> {
  const outputs: Output[] = [];
  // Nothing more is said once our output has ended: that is said (or is the quiet end) below.
  const warn = (message: string): void => {
    if (!outputs.some((o) => o.ended))
      process.stderr.write(`daemonkit: ${terminalSafe(`${paths.display}: ${message}`)}\n`);
  };
  const service = serviceLogs(paths, warn);
  const files = service.files.map(({ fd }) => (fd === 1 ? process.stdout : process.stderr));
  for (const [i, out] of files.entries())
    outputs.push(new Output(out, i + 1, i === 0 ? 'stdout' : 'stderr'));
  const interrupt = interruptible(outputs, following);
  const writers = stampWriters(outputs, service.timestamps, color);
  const logs = service.files.map((f) => f.log);
  if (!following && !anyLog(service)) {
    process.stderr.write(
      `daemonkit: ${terminalSafe(`${paths.display}: no log file at ${service.stdout}`)}\n`,
    );
    return EXIT.GENERIC;
  }
  const { starts, code } = await printEach(logs, lines, writers, warn);
  if (following && code === EXIT.OK && !outputs.some((o) => o.ended)) {
    const followers: Following[] = logs.map((log, i) =>
      follow(log, starts[i]!, writers[i]!, { warn }),
    );
    await untilStopped(outputs, files, interrupt);
    for (const f of followers) f.close();
  } else for (const s of starts) closeAll(s); // not following, or our output already ended
  return await flushed(outputs, code, (error) => `${paths.display}: ${error}`);
}
