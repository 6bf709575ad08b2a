/**
 * How a value is written in a systemd unit, one function per kind of directive, so that systemd
 * reads back exactly the value daemonkit had (systemd.syntax(7) "Quoting", systemd.unit(5)
 * "Specifiers", systemd.exec(5), systemd.service(5) "Command lines"). A value that cannot be
 * written so is refused (BAD_OPTION), never written changed.
 */
import { DaemonError } from '../errors/errors.js';
import { printable } from '../config/paths.js';

/** C escapes systemd's unquoting knows (systemd.syntax(7)); another control character as \xNN. */
const ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '"': '\\"',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\v': '\\v',
};
const escapeChar = (c: string): string =>
  ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
const CONTROL = /[\\"\x00-\x1f\x7f]/g;

/**
 * One ExecStart= word: `$` doubled (the command line expands $VAR and ${VAR}), `%` doubled
 * (specifiers), `\`, `"` and control characters escaped; double-quoted when needed.
 */
export function quoteWord(word: string): string {
  const escaped = word.replace(CONTROL, escapeChar).replace(/\$/g, '$$$$').replace(/%/g, '%%');
  return /^[A-Za-z0-9_@%+=:,./$-]+$/.test(escaped) ? escaped : `"${escaped}"`;
}

/**
 * One Environment= assignment KEY=VALUE: systemd unquotes it (C escapes), then expands specifiers
 * — so `%` is doubled and `\`, `"` and control characters escaped — but not variables: `$` is
 * written as it is (systemd.exec(5): "the "$" character has no special meaning"). The whole
 * assignment is double-quoted when it holds anything but plain characters (a space, say).
 */
export function quoteAssignment(key: string, value: string): string {
  const escaped = `${key}=${value}`.replace(CONTROL, escapeChar).replace(/%/g, '%%');
  return /^[A-Za-z0-9_@%+=:,./$-]+$/.test(escaped) ? escaped : `"${escaped}"`;
}

/**
 * A value systemd takes as the rest of the line, expanding only specifiers: WorkingDirectory=,
 * EnvironmentFile=, StandardInput=file:, StandardOutput=/StandardError=append:, User=, Group=.
 * `%` is doubled; spaces inside need no quoting there (a quote would be part of the path). No
 * escapeChar exists for what the line itself is made of, so a value is refused when it holds a line
 * break (the rest would be a directive of its own), ends in a backslash (which joins the next line)
 * or begins or ends with white space (stripped). `option`: the daemonkit option it came from.
 */
export function specifierValue(option: string, text: string): string {
  const why = /[\n\r\0]/.test(text)
    ? 'it holds a line break'
    : /\\$/.test(text)
      ? 'it ends in a backslash, which would join the next line'
      : /^[ \t]|[ \t]$/.test(text)
        ? 'it begins or ends with white space, which systemd strips'
        : null;
  if (why !== null) {
    throw new DaemonError(
      'BAD_OPTION',
      `${option} '${printable(text)}' cannot be written in a systemd unit: ${why}`,
      { option, value: text },
    );
  }
  return text.replace(/%/g, '%%');
}
