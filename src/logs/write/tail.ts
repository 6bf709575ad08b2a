/**
 * Which of a failed COMMAND's last stderr lines to show (pure, table-tested): enough to hold
 * the error. Node's report of an uncaught error is ~15-25 lines (the file:line and caret come
 * before the message, the stack and the error's properties after it), so the last ten lines
 * often miss it. The last SHOWN lines, or, when the last error's first line is further back,
 * from there (at most MAX lines). And how a kept tail is read into lines (tailLines).
 */

/** Lines shown when no error starts further back. */
export const SHOWN = 40;
/** Lines shown at most, to reach the start of an error. */
export const MAX = 100;

/** The first line of an error report: `Error: …`, `SyntaxError [ERR_X]: …`, `Traceback …`,
 *  `panic: …`. */
const ERROR_START =
  /^(?:Uncaught )?(?:[A-Z]\w*)?(?:Error|Exception)\b|^Traceback \(most recent call last\)|^(?:panic|fatal error|FATAL|ERROR)\b/;
/** What node and V8 print above it: where it was thrown (`/srv/app.js:3`, `node:events:502`). */
const LOCATION = /^\S+:\d+$/;
/** How far above the message the location may be (source line, caret, blank line). */
const LOCATION_REACH = 4;

export function errorTail(lines: readonly string[]): string[] {
  const n = lines.length;
  let from = Math.max(0, n - SHOWN);
  let start = -1;
  for (let i = n - 1; i >= Math.max(0, n - MAX); i--) {
    if (ERROR_START.test(lines[i]!)) {
      start = i;
      break;
    }
  }
  if (start >= 0) {
    for (let i = start - 1; i >= Math.max(0, start - LOCATION_REACH); i--) {
      if (LOCATION.test(lines[i]!)) {
        start = i;
        break;
      }
    }
    from = Math.min(from, Math.max(start, n - MAX));
  }
  return lines.slice(from);
}

/** The lines of a kept tail (`cut`: its first line may be the end of a longer one, dropped), the
 *  last `lines` of them: what the pump and the native relay keep, read the same way. */
export function tailLines(tail: Buffer, cut: boolean, lines: number): string[] {
  const text = tail.toString('utf8').replace(/\n$/, '');
  const all = text === '' ? [] : text.split('\n');
  if (cut) all.shift(); // a piece of a line (maybe cut inside a character)
  return all.slice(-lines);
}
