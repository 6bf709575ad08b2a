/**
 * The option checks are shared with the CLI and name its flags (`invalid --restart-delay 'x'`);
 * a program using the library gave `restartDelay`, so its errors say that (pure).
 */
import { hasOption, optionKey, optionRow } from '../config/table/index.js';

/** The library's name of a CLI flag: its row's (camelCase, and `--grace` is `graceMs`). */
export function libraryOptionName(flag: string): string {
  return hasOption(flag)
    ? optionKey(optionRow(flag))
    : flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * A problem as the library words it: each `--flag` (and the placeholder after it, as in
 * `--name NAME`) becomes the option's name; quoted values are left as they are.
 */
export function inLibraryWords(problem: string, known: ReadonlySet<string>): string {
  // Split on quoted values: the odd pieces are quotes ('…'), never rewritten.
  return problem
    .split(/('[^']*')/)
    .map((piece, i) =>
      i % 2 === 1
        ? piece
        : piece.replace(
            /(^|[\s(])--([a-z][a-z-]*)(?: [A-Z]+\b)?/g,
            (whole, before: string, flag: string) =>
              known.has(libraryOptionName(flag)) ? `${before}${libraryOptionName(flag)}` : whole,
          ),
    )
    .join('');
}
