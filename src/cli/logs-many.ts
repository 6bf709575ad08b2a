/**
 * `logs` of several services (`logs web worker`, `logs --file FILE`): each service's last N lines,
 * one service after another, then with -f every line as it arrives, whole, each prefixed with its
 * service's name (`web    | …`), the name coloured on a terminal. On a terminal the lines are made
 * printable (terminalSafe): with several services the output is ours, not one service's bytes.
 */
import { Problems, validateLineCount } from '../config/options.js';
import { servicePaths } from '../config/paths.js';
import { EXIT, exitCodeFor } from '../errors/exit-codes.js';
import { closeAll, type Source } from '../logs/read/chain.js';
import { type Following, follow, printLast } from '../logs/read/follow.js';
import { terminalSafe } from '../service/format.js';
import { noSuchService } from '../service/known.js';
import type { ParsedArgs } from './args.js';
import { colorFor } from './color.js';
import { Output, OutputEnded } from './logs-output.js';
import { openReaders, type Reader, type Shown } from './logs-prefixed.js';
import { flushed, type Interrupt, interruptible, untilStopped } from './logs-stop.js';
import { report, warn } from './report.js';
import { sayProblems } from './verbs/index.js';

/** Each reader's files as printLast leaves them: stdout's, then stderr's when apart. */
type Starts = Source[][][];

function closeStarts(starts: Starts): void {
  for (const s of starts.flat()) closeAll(s);
}

/**
 * Each service's last lines, one service after another. Not following, a last line without its
 * newline is ended here; following, it waits. When printing stops (our output ended, quietly, or
 * an error, said: exit 1), the files are closed and there is nothing to follow.
 */
async function printEach(
  readers: readonly Reader[],
  lines: number,
  following: boolean,
): Promise<{ starts: Starts | null; code: number }> {
  const starts: Starts = [];
  try {
    for (const r of readers) {
      const mine: Source[][] = [];
      starts.push(mine);
      for (const [k, { log }] of r.logs.files.entries())
        mine.push(await printLast(log, lines, r.out[k]!.write, { warn: r.warn }));
      if (!following) for (const o of r.out) await o.end();
    }
    return { starts, code: EXIT.OK };
  } catch (error) {
    closeStarts(starts);
    if (error instanceof OutputEnded) return { starts: null, code: EXIT.OK };
    process.stderr.write(`daemonkit: ${terminalSafe((error as Error).message)}\n`);
    return { starts: null, code: EXIT.GENERIC };
  }
}

/** Every file followed from where printLast left it, until Ctrl-C or our reader goes. */
async function followEach(
  readers: readonly Reader[],
  starts: Starts,
  outputs: readonly Output[],
  interrupt: Interrupt,
): Promise<void> {
  const followers: Following[] = readers.flatMap((r, i) =>
    r.logs.files.map(({ log }, k) =>
      follow(log, starts[i]![k]!, r.out[k]!.write, { warn: r.warn }),
    ),
  );
  await untilStopped(outputs, [process.stdout, process.stderr], interrupt);
  for (const f of followers) f.close();
  // Lines the logs ended inside of when we stopped: ended, so the terminal's next line is clean.
  for (const r of readers) for (const o of r.out) if (!outputs.some((x) => x.ended)) o.end();
}

export async function showManyLogs(
  services: readonly Shown[],
  lines: number,
  following: boolean,
  color: boolean,
): Promise<number> {
  const outputs = [
    new Output(process.stdout, 1, 'stdout'),
    new Output(process.stderr, 2, 'stderr'),
  ] as const;
  const interrupt = interruptible(outputs, following);
  const { readers, code: opened } = openReaders(services, outputs, following, color);
  const { starts, code: printed } = await printEach(readers, lines, following);
  const code = printed === EXIT.OK ? opened : printed;
  if (following && code === EXIT.OK && starts && !outputs.some((o) => o.ended))
    await followEach(readers, starts, outputs, interrupt);
  else if (starts) closeStarts(starts);
  return await flushed(outputs, code, (error) => error);
}

/**
 * `logs web worker` (names, each a service of the file as `status web` takes it) or
 * `logs --file FILE` (every service of the file, in its order). A name that is no service: said,
 * exit 3 (as `logs` of one says it), nothing shown.
 */
export async function manyLogsCommand(
  args: ParsedArgs,
  parseProblems: readonly string[],
): Promise<number> {
  const problems = new Problems();
  for (const p of parseProblems) problems.add(p);
  const f = args.flags;
  const lines = validateLineCount(f.lines?.[0], problems);
  if (f.pidfile) problems.add('logs of several services names them, not a --pidfile');
  if (sayProblems(problems)) return EXIT.BAD_ARGS;
  try {
    return await namedLogs(args, lines);
  } catch (error) {
    return report('logs', error);
  }
}

async function namedLogs(args: ParsedArgs, lines: number): Promise<number> {
  const f = args.flags;
  const given = f.file?.[0];
  let words = [...(f.name ?? []), ...(f.service ?? [])];
  if (words.length === 0) {
    // --file alone: every service of it (read for its names; a file that cannot be: said whole)
    const { peekProject, projectFile, loadProject } = await import('../project/file.js');
    const path = projectFile(given);
    const peek = peekProject(path);
    if (!peek) loadProject(path, undefined, given);
    words = peek?.services ?? [];
    if (words.length === 0) {
      warn(`${given ?? 'daemonkit.toml'}: no services`);
      return EXIT.NOT_CONFIGURED;
    }
  }
  const { fileName } = await import('./project.js');
  const services: Shown[] = [...new Set(words)].map((label) => ({
    label,
    paths: servicePaths({ name: fileName(label, given) }),
  }));
  for (const s of services) {
    const missing = noSuchService(s.paths);
    if (missing) {
      warn(missing.message);
      return exitCodeFor('logs', missing.code);
    }
  }
  return await showManyLogs(services, lines, Boolean(f.follow), colorFor(1, f));
}
