/**
 * Colour, in one place: whether to use it, and which for a state. On a terminal only; never with
 * NO_COLOR set (no-color.org: any value but the empty one), --no-color, or TERM=dumb. The SGR
 * sequences are ours: text from a service is made printable (terminalSafe) before it is painted.
 */
import { fstatSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface ColorContext {
  isTTY: boolean;
  noColorFlag: boolean;
  env: NodeJS.ProcessEnv;
}

/** Pure: colour or not. */
export function colorWanted({ isTTY, noColorFlag, env }: ColorContext): boolean {
  return isTTY && !noColorFlag && !env.NO_COLOR && env.TERM !== 'dumb';
}

/**
 * isatty(fd), without loading node:tty (and node:net with it: ~2 ms measured, paid by every
 * command) unless fd is a character device: a pipe or a file, as scripts give us, is told by one
 * fstat, and so is /dev/null (a memory device, major 1: never a terminal), as cron gives us.
 */
export function isTerminal(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    if (!st.isCharacterDevice() || deviceMajor(st.rdev) === MEMORY_DEVICES) return false;
  } catch {
    return false; // closed
  }
  return (createRequire(import.meta.url)('node:tty') as typeof import('node:tty')).isatty(fd);
}

/** Linux's major number of /dev/null, /dev/zero, /dev/full, /dev/urandom… (devices.txt). */
const MEMORY_DEVICES = 1;
/** glibc's gnu_dev_major: bits 8–19 and 32–43 of a dev_t. */
const deviceMajor = (rdev: number): number =>
  ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);

/** Colour for what goes to `fd`, given the command's flags. */
export const colorFor = (fd: number, flags: Record<string, string[]>): boolean =>
  !flags['no-color'] &&
  colorWanted({ isTTY: isTerminal(fd), noColorFlag: false, env: process.env });

/** SGR parameters per state: running green, on its way yellow, failed red, not running dim. */
const STATE_SGR: Readonly<Record<string, string>> = {
  running: '32',
  starting: '33',
  stopping: '33',
  backoff: '33',
  failed: '31',
  dead: '31',
  unknown: '35',
  stopped: '2',
  exited: '2',
  'never-started': '2',
};

export const sgr = (params: string, text: string): string => `\x1b[${params}m${text}\x1b[0m`;

/** `text` in the colour of `state` (unchanged for a state without one, or with colour off). */
export function paintState(state: string, text: string, on: boolean): string {
  const params = on ? STATE_SGR[state] : undefined;
  return params ? sgr(params, text) : text;
}

/**
 * A status line (already made printable) with its state words coloured: what follows `NAME: `
 * up to the first `,` or `;` ("running", "not running (stopped)", "dead after 3 restarts").
 */
export function paintStatusLine(
  line: string,
  shownName: string,
  state: string,
  on: boolean,
): string {
  const head = `${shownName}: `;
  if (!on || !line.startsWith(head)) return line;
  const rest = line.slice(head.length);
  const end = rest.search(/[,;]/);
  const words = end < 0 ? rest : rest.slice(0, end);
  return head + paintState(state, words, true) + rest.slice(words.length);
}

/** A `list` table's row with its state cell coloured: the first `state` after the name cell. */
export function paintListRow(row: string, shownName: string, state: string, on: boolean): string {
  const at = on ? row.indexOf(state, shownName.length) : -1;
  return at < 0
    ? row
    : row.slice(0, at) + paintState(state, state, true) + row.slice(at + state.length);
}

/** `--log-timestamps`' prefix: `2024-05-01T12:00:00.000Z ` (ISO-8601 UTC, milliseconds, a
 *  space). */
const STAMP = 'dddd-dd-ddTdd:dd:dd.dddZ ';
const DIM = Buffer.from('\x1b[2m');
const UNDIM = Buffer.from('\x1b[22m');

/**
 * Dims each line's timestamp prefix in a stream of a log's bytes (`logs` on a terminal, for a
 * service started with --log-timestamps). Chunks may cut a prefix anywhere: the state carries
 * over. The bytes themselves pass unchanged; only SGR sequences are added around the prefix.
 */
export class StampPainter {
  /** Characters of STAMP matched at the start of this line; -1 inside a line's text. */
  private at = 0;

  paint(chunk: Buffer): Buffer {
    const parts: Buffer[] = [];
    let from = 0;
    const cut = (at: number, sequence: Buffer): void => {
      parts.push(chunk.subarray(from, at), sequence);
      from = at;
    };
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === 0x0a) {
        if (this.at > 0) cut(i, UNDIM); // a line that ended inside its "prefix"
        this.at = 0;
      } else if (this.at >= 0) {
        const want = STAMP.charCodeAt(this.at);
        if (want === 0x64 /* d */ ? byte < 0x30 || byte > 0x39 : byte !== want) {
          if (this.at > 0) cut(i, UNDIM); // no timestamp after all
          this.at = -1;
        } else {
          if (this.at === 0) cut(i, DIM);
          if (++this.at === STAMP.length) {
            cut(i + 1, UNDIM);
            this.at = -1;
          }
        }
      }
    }
    if (parts.length === 0) return chunk;
    parts.push(chunk.subarray(from));
    return Buffer.concat(parts);
  }
}
