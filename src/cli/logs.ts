/**
 * `logs`: the service's last lines (reaching into its rotated files when NAME.log holds fewer)
 * and, with -f, what follows, until Ctrl-C. With separate --stdout and --stderr files, each goes
 * to ours (stdout's lines first, then stderr's).
 */
import { EXIT } from '../exit-codes.js';
import { follow, printLast, type Following, type Write } from '../logs/follow.js';
import { closeAll, highestIndex, type Source } from '../logs/chain.js';
import type { ServicePaths } from '../paths.js';
import { readSpec } from '../spec-file.js';
import { existsSync } from 'node:fs';
import { once } from 'node:events';

/** The reader of our output went away (`logs | head`): the end, not an error to report. */
let gone = false;
class Gone extends Error {}

/** Write to `out`, waiting for it to drain when it is full: memory stays bounded. */
function writerTo(out: NodeJS.WriteStream): Write {
  out.on('error', () => (gone = true));
  return (chunk) => {
    if (gone) throw new Gone();
    if (out.write(chunk)) return undefined;
    return once(out, 'drain').catch(() => {
      throw new Gone();
    });
  };
}

export async function showLogs(paths: ServicePaths, lines: number, following: boolean): Promise<number> {
  const spec = readSpec(paths);
  const stdout = spec?.stdout ?? paths.logfile;
  const stderr = spec?.stderr ?? stdout;
  const files: [string, NodeJS.WriteStream][] = [[stdout, process.stdout]];
  if (stderr !== stdout) files.push([stderr, process.stderr]);
  if (!following && !files.some(([path]) => existsSync(path) || highestIndex(path) > 0)) {
    process.stderr.write(`daemonkit: ${paths.display}: no log file at ${stdout}\n`);
    return EXIT.GENERIC;
  }
  const warn = (message: string): void => {
    if (!gone) process.stderr.write(`daemonkit: ${paths.display}: ${message}\n`);
  };
  const writers = files.map(([, out]) => writerTo(out));
  const starts: Source[][] = [];
  try {
    for (const [i, [path]] of files.entries()) starts.push(await printLast(path, lines, writers[i]!));
  } catch (error) {
    starts.forEach((s) => closeAll(s));
    if (error instanceof Gone) return EXIT.OK;
    warn(`cannot read the log: ${(error as Error).message}`);
    return EXIT.GENERIC;
  }
  if (!following) {
    starts.forEach((s) => closeAll(s));
    return EXIT.OK;
  }
  const followers: Following[] = files.map(([path], i) => follow(path, starts[i]!, writers[i]!, { warn }));
  await new Promise<void>((resolve) => {
    const done = (): void => resolve();
    process.once('SIGINT', done).once('SIGTERM', done).once('SIGHUP', done);
    for (const [, out] of files) out.once('error', done); // `logs -f | head`: the reader went away
  });
  for (const f of followers) f.close();
  return EXIT.OK;
}
