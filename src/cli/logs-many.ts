/**
 * `logs` of several services (`logs web worker`, `logs --file FILE`): each service's last N lines,
 * one service after another, then with -f every line as it arrives, whole, each prefixed with its
 * service's name (`web    | …`), the name coloured on a terminal. On a terminal the lines are made
 * printable (terminalSafe): with several services the output is ours, not one service's bytes.
 */
import { Problems, validateLineCount } from '../config/options.js';
import { type ServicePaths, servicePaths } from '../config/paths.js';
import { EXIT, exitCodeFor } from '../errors/exit-codes.js';
import { noSuchService } from '../service/known.js';
import type { ParsedArgs } from './args.js';
import { report, warn } from './report.js';
import { sayProblems } from './verbs/index.js';
import { closeAll, type Source } from '../logs/read/chain.js';
import { follow, printLast, type Following, type Write } from '../logs/read/follow.js';
import { LineSplitter } from '../logs/read/lines.js';
import { terminalSafe } from '../service/format.js';
import { routeSignals } from '../sys/signals.js';
import { colorFor, isTerminal, sgr } from './color.js';
import { anyLog, serviceLogs, type ServiceLogs } from './logs.js';
import { Output, OutputEnded } from './logs-output.js';

/** The names' colours, in turn: cyan, yellow, green, magenta, blue, then the bright ones. */
const COLORS = ['36', '33', '32', '35', '34', '96', '93', '92', '95', '94'];

export interface Shown {
  /** As the prefix names it: the name given (`web`), or the file's short name. */
  label: string;
  paths: ServicePaths;
}

/** One service's file as it reaches an output: whole lines, prefixed, printable on a terminal. */
function prefixed(prefix: string, paint: string | null, safe: boolean, write: Write) {
  const splitter = new LineSplitter();
  const head = paint ? sgr(paint, prefix) : prefix;
  const headBytes = Buffer.from(head);
  const format = (lines: Buffer[]): Buffer =>
    safe
      ? Buffer.from(
          lines.map((l) => `${head}${terminalSafe(l.subarray(0, -1).toString('utf8'))}\n`).join(''),
        )
      : Buffer.concat(lines.flatMap((l) => [headBytes, l]));
  return {
    write: ((chunk) => {
      const lines = splitter.push(chunk);
      return lines.length > 0 ? write(format(lines)) : undefined;
    }) as Write,
    /** The log ended inside a line: that line, ended. */
    end: (): unknown => {
      const last = splitter.end();
      return last ? write(format([last])) : undefined;
    },
  };
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
  const safe = [isTerminal(1), isTerminal(2)];
  let interrupt = (): void => {
    for (const o of outputs) o.halt();
  };
  if (following) {
    const end = (): void => interrupt();
    routeSignals({ SIGINT: end, SIGTERM: end, SIGHUP: end });
  }
  const width = Math.max(...services.map((s) => s.label.length));
  let code: number = EXIT.OK;
  const readers: {
    shown: Shown;
    logs: ServiceLogs;
    out: ReturnType<typeof prefixed>[];
    warn: (m: string) => void;
  }[] = [];
  for (const [i, shown] of services.entries()) {
    const warn = (message: string): void => {
      if (!outputs.some((o) => o.ended))
        process.stderr.write(`daemonkit: ${terminalSafe(`${shown.paths.display}: ${message}`)}\n`);
    };
    const logs = serviceLogs(shown.paths, warn);
    if (!following && !anyLog(logs)) {
      warn(`no log file at ${logs.stdout}`);
      code = EXIT.GENERIC; // as tail with a file missing: the others are still shown
      continue;
    }
    const prefix = `${terminalSafe(shown.label).padEnd(width)} | `;
    const paint = color ? COLORS[i % COLORS.length]! : null;
    const out = logs.files.map(({ fd }) =>
      prefixed(prefix, paint, safe[fd - 1]!, outputs[fd - 1]!.write),
    );
    readers.push({ shown, logs, out, warn });
  }
  // Each reader's files as printLast leaves them: stdout's, then stderr's when apart.
  const starts: Source[][][] = [];
  const closeStarts = (): void => {
    for (const s of starts.flat()) closeAll(s);
  };
  try {
    for (const r of readers) {
      const mine: Source[][] = [];
      starts.push(mine);
      for (const [k, { log }] of r.logs.files.entries())
        mine.push(await printLast(log, lines, r.out[k]!.write, { warn: r.warn }));
      // Not following: a last line without its newline is ended here; following, it waits.
      if (!following) for (const o of r.out) await o.end();
    }
  } catch (error) {
    closeStarts();
    starts.length = 0;
    if (!(error instanceof OutputEnded)) {
      process.stderr.write(`daemonkit: ${terminalSafe((error as Error).message)}\n`);
      code = EXIT.GENERIC;
    }
  }
  if (
    following &&
    code === EXIT.OK &&
    starts.length === readers.length &&
    !outputs.some((o) => o.ended)
  ) {
    const followers: Following[] = readers.flatMap((r, i) =>
      r.logs.files.map(({ log }, k) =>
        follow(log, starts[i]![k]!, r.out[k]!.write, { warn: r.warn }),
      ),
    );
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearInterval(reader);
        resolve();
      };
      interrupt = done;
      process.stdout.once('error', done);
      process.stderr.once('error', done);
      // The reader may leave while the logs are quiet, when there is nothing to write to notice.
      const reader = setInterval(() => {
        if (outputs.some((o) => o.readerLeft())) done();
      }, 500);
    });
    for (const f of followers) f.close();
    // Lines the logs ended inside of when we stopped: ended, so the terminal's next line is clean.
    for (const r of readers) for (const o of r.out) if (!outputs.some((x) => x.ended)) o.end();
  } else closeStarts();
  await Promise.all(outputs.map((o) => o.flush()));
  const failed = outputs.find((o) => o.error);
  if (failed) {
    process.stderr.write(`daemonkit: ${terminalSafe(failed.error!)}\n`);
    return EXIT.GENERIC;
  }
  return code;
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
