/**
 * The problems of a start's options, all looked for and reported at once (one line, joined),
 * with the exit code of the most telling one.
 */
import { DaemonError } from '../errors/errors.js';
import { printable } from './paths.js';

/** Which problem's exit code a start with several gets: its arguments first, then the rest. */
const PRIORITY: DaemonError['code'][] = ['BAD_OPTION', 'COMMAND_NOT_FOUND', 'NO_PERMISSION'];

const RECORDED = ' (recorded at the last start)';

export class Problems {
  readonly list: DaemonError[] = [];

  /** `recorded`: options taken from the last start's record, said so when at fault. */
  constructor(private readonly recorded: ReadonlySet<string>) {}

  add(...problems: DaemonError[]): void {
    this.list.push(...problems);
  }

  /** `fn`'s result, or undefined with its DaemonError kept as a problem. */
  attempt<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (error) {
      if (!(error instanceof DaemonError)) throw error;
      this.list.push(error);
      return undefined;
    }
  }

  /** An option and its value as messages name them. */
  named(flag: string, value: string): string {
    return `${flag} ${printable(value)}${this.recorded.has(flag) ? RECORDED : ''}`;
  }

  /** The note an input file's messages add (input-file.ts). */
  note(flag: string): { note?: string } {
    return this.recorded.has(flag) ? { note: RECORDED } : {};
  }

  /** Throw them: the one problem, or all in one error with the code of the first by PRIORITY. */
  throwAny(): void {
    const problems = this.list;
    if (problems.length === 0) return;
    const first = [...problems].sort(
      (x, y) => PRIORITY.indexOf(x.code) - PRIORITY.indexOf(y.code),
    )[0]!;
    if (problems.length === 1) throw first;
    throw new DaemonError(first.code, problems.map((p) => p.message).join('; '), {
      problems: problems.map((p) => p.message),
    });
  }
}
