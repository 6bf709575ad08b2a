/**
 * `logs`: the service's last lines and, with -f, what follows, until Ctrl-C. With separate
 * --stdout and --stderr files, each goes to ours (stdout's lines first, then stderr's).
 */
import { EXIT } from '../exit-codes.js';
import { follow, lastLines, type Following } from '../logs/follow.js';
import type { ServicePaths } from '../paths.js';
import { readSpec } from '../spec-file.js';
import { existsSync } from 'node:fs';

export async function showLogs(paths: ServicePaths, lines: number, following: boolean): Promise<number> {
  const spec = readSpec(paths);
  const stdout = spec?.stdout ?? paths.logfile;
  const stderr = spec?.stderr ?? stdout;
  const files: [string, NodeJS.WriteStream][] = [[stdout, process.stdout]];
  if (stderr !== stdout) files.push([stderr, process.stderr]);
  if (!following && !files.some(([path]) => existsSync(path))) {
    process.stderr.write(`daemonkit: ${paths.display}: no log file at ${stdout}\n`);
    return EXIT.GENERIC;
  }
  const ends = files.map(([path, out]) => {
    const { text, end, ino } = lastLines(path, lines);
    out.write(text);
    return { end, ino };
  });
  if (!following) return EXIT.OK;
  const followers: Following[] = files.map(([path, out], i) => follow(path, ends[i]!.end, ends[i]!.ino, (chunk) => void out.write(chunk)));
  await new Promise<void>((resolve) => {
    const done = (): void => resolve();
    process.once('SIGINT', done).once('SIGTERM', done).once('SIGHUP', done);
    process.stdout.once('error', done); // `logs -f | head`: the reader went away
  });
  for (const f of followers) f.close();
  return EXIT.OK;
}
