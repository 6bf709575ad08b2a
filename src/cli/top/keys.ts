/** `top`'s keys (pure): the bytes a terminal sends in raw mode, as actions. */

export type Key =
  | 'up'
  | 'down'
  | 'pageUp'
  | 'pageDown'
  | 'first'
  | 'last'
  | 'restart'
  | 'toggle'
  | 'log'
  | 'quit'
  | 'suspend'
  | 'redraw';

/** Escape sequences (normal and application cursor mode), longest first so none hides another. */
const SEQUENCES: readonly [string, Key][] = [
  ['\x1b[5~', 'pageUp'],
  ['\x1b[6~', 'pageDown'],
  ['\x1b[1~', 'first'],
  ['\x1b[4~', 'last'],
  ['\x1b[A', 'up'],
  ['\x1bOA', 'up'],
  ['\x1b[B', 'down'],
  ['\x1bOB', 'down'],
  ['\x1b[H', 'first'],
  ['\x1bOH', 'first'],
  ['\x1b[F', 'last'],
  ['\x1bOF', 'last'],
];
const SINGLE: Readonly<Record<string, Key>> = {
  k: 'up',
  j: 'down',
  g: 'first',
  G: 'last',
  r: 'restart',
  s: 'toggle',
  l: 'log',
  q: 'quit',
  Q: 'quit',
  '\x03': 'quit' /* Ctrl-C */,
  '\x1a': 'suspend' /* Ctrl-Z */,
  '\x0c': 'redraw' /* Ctrl-L */,
};

/** The keys in one read of the terminal; anything else (another escape sequence, a lone ESC) is
 *  ignored. */
export function decodeKeys(input: string): Key[] {
  const keys: Key[] = [];
  for (let i = 0; i < input.length; ) {
    const seq = input[i] === '\x1b' ? SEQUENCES.find(([s]) => input.startsWith(s, i)) : undefined;
    if (seq) {
      keys.push(seq[1]);
      i += seq[0].length;
    } else if (input[i] === '\x1b') {
      // An unknown sequence: skip it whole (ESC [ params final), not as letters that are keys.
      const m = /^\x1b(?:\[[0-?]*[ -/]*[@-~]|O.|.)?/s.exec(input.slice(i))!;
      i += m[0].length;
    } else {
      const key = SINGLE[input[i]!];
      if (key) keys.push(key);
      i++;
    }
  }
  return keys;
}

/** The selection after `key` over `count` rows, `page` of them on screen. */
export function moveSelection(key: Key, selected: number, count: number, page: number): number {
  const last = Math.max(0, count - 1);
  const to =
    key === 'up'
      ? selected - 1
      : key === 'down'
        ? selected + 1
        : key === 'pageUp'
          ? selected - page
          : key === 'pageDown'
            ? selected + page
            : key === 'first'
              ? 0
              : key === 'last'
                ? last
                : selected;
  return Math.min(last, Math.max(0, to));
}
