/**
 * `logs` of several services: each service's files as they reach our outputs — whole lines, each
 * prefixed with its service's name (`web    | …`), the name coloured on a terminal, the lines made
 * printable on a terminal.
 */
import type { ServicePaths } from '../config/paths.js';
import { EXIT } from '../errors/exit-codes.js';
import type { Write } from '../logs/read/follow.js';
import { LineSplitter } from '../logs/read/lines.js';
import { terminalSafe } from '../service/format.js';
import { isTerminal, sgr } from './color.js';
import { anyLog, type ServiceLogs, serviceLogs } from './logs.js';
import type { Output } from './logs-output.js';

/** The names' colours, in turn: cyan, yellow, green, magenta, blue, then the bright ones. */
const COLORS = ['36', '33', '32', '35', '34', '96', '93', '92', '95', '94'];

export interface Shown {
  /** As the prefix names it: the name given (`web`), or the file's short name. */
  label: string;
  paths: ServicePaths;
}

/** One service's files, each with its prefixed writer (stdout's, then stderr's when apart). */
export interface Reader {
  logs: ServiceLogs;
  out: ReturnType<typeof prefixed>[];
  warn: (m: string) => void;
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

/** A service's warnings, named by it; none once our output has ended. */
function warner(shown: Shown, outputs: readonly Output[]): (message: string) => void {
  return (message) => {
    if (!outputs.some((o) => o.ended))
      process.stderr.write(`daemonkit: ${terminalSafe(`${shown.paths.display}: ${message}`)}\n`);
  };
}

/**
 * Each service's reader, its prefix padded to the longest name. Not following, a service with no
 * log is said and left out, exit 1 (as tail with a file missing: the others are still shown).
 */
export function openReaders(
  services: readonly Shown[],
  outputs: readonly [Output, Output],
  following: boolean,
  color: boolean,
): { readers: Reader[]; code: number } {
  const safe = [isTerminal(1), isTerminal(2)];
  const width = Math.max(...services.map((s) => s.label.length));
  let code: number = EXIT.OK;
  const readers: Reader[] = [];
  for (const [i, shown] of services.entries()) {
    const warn = warner(shown, outputs);
    const logs = serviceLogs(shown.paths, warn);
    if (!following && !anyLog(logs)) {
      warn(`no log file at ${logs.stdout}`);
      code = EXIT.GENERIC;
      continue;
    }
    const prefix = `${terminalSafe(shown.label).padEnd(width)} | `;
    const paint = color ? COLORS[i % COLORS.length]! : null;
    const out = logs.files.map(({ fd }) =>
      prefixed(prefix, paint, safe[fd - 1]!, outputs[fd - 1]!.write),
    );
    readers.push({ logs, out, warn });
  }
  return { readers, code };
}
