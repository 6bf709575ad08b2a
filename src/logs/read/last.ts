/**
 * A service log's last lines — from NAME.log and, when it holds fewer, from NAME.log.1, .2, …
 * (gunzipped when compressed), as `tail -n` over them would — taken from one snapshot of the
 * names (chain.ts), and the files left open where the printing ended, for follow.ts.
 */
import { closeSync, fstatSync, readSync } from 'node:fs';
import { BLOCK, eachBlock, eachInflatedLine, type Write } from './blocks.js';
import { logNames, openEntry, type LogNames, type Source } from './chain.js';
import { olderThan } from './walk.js';

/** Snapshots to try while files move on before they are opened. */
const MAX_TRIES = 1000;
const NEWLINE = 0x0a;

export interface LastOptions {
  /** Problems, for stderr: a damaged .gz is named and read only as far as it can be. */
  warn(message: string): void;
}

/** The newlines in `src` (before `end`), from its end back to the `need`th: where the lines
 *  after it start. */
async function countBack(
  src: Source,
  end: number,
  need: number,
  atEnd: boolean,
  options: LastOptions,
): Promise<{ newlines: number; start: number | null; empty: boolean }> {
  if (src.gz) {
    let newlines = 0;
    let last = -1;
    // What a damaged one yields before its fault counts, and is what writeInflated then writes.
    await eachInflatedLine(
      src.fd,
      (chunk) => {
        for (let i = chunk.indexOf(NEWLINE); i >= 0; i = chunk.indexOf(NEWLINE, i + 1)) newlines++;
        if (chunk.length) last = chunk[chunk.length - 1]!;
      },
      (error) => options.warn(`${src.path}: ${error.message}`),
    );
    if (atEnd && last === NEWLINE) newlines--; // a final newline ends the last line, starts none
    // For a .gz, `start` is how many newlines to skip from its beginning.
    return { newlines, start: newlines >= need ? newlines - need + 1 : null, empty: last < 0 };
  }
  const buf = Buffer.allocUnsafe(BLOCK);
  let from = end;
  if (atEnd && end > 0 && readSync(src.fd, buf, 0, 1, end - 1) === 1 && buf[0] === NEWLINE) from--;
  let newlines = 0;
  while (from > 0) {
    const size = Math.min(BLOCK, from);
    from -= size;
    readSync(src.fd, buf, 0, size, from);
    for (let i = size - 1; i >= 0; i--)
      if (buf[i] === NEWLINE && ++newlines === need)
        return { newlines, start: from + i + 1, empty: false };
  }
  return { newlines, start: null, empty: end === 0 };
}

/** Write a .gz's content after its first `skip` newlines (a damaged one: as far as it goes, said
 *  by countBack). */
async function writeInflated(src: Source, skip: number, write: Write): Promise<void> {
  const skipping = async (chunk: Buffer): Promise<void> => {
    let from = 0;
    for (; skip > 0 && from < chunk.length; skip--) {
      const nl = chunk.indexOf(NEWLINE, from);
      if (nl < 0) return void (from = chunk.length);
      from = nl + 1;
    }
    if (from < chunk.length) await write(chunk.subarray(from));
  };
  await eachInflatedLine(src.fd, skipping, () => undefined);
}

/**
 * Write the last `n` lines of the log and its rotated files, oldest first; returns the newest
 * files, open and positioned where the writing ended, for follow() — more than one when NAME.log
 * is still empty after a rename (logrotate before its reopen: the renamed one may still grow).
 * The files are taken newest first, one at a time, each the one just older than the last
 * (walk.ts), until they hold `n` lines and a non-empty one is among them.
 */
export async function printLast(
  path: string | LogNames,
  n: number,
  write: Write,
  options: LastOptions = { warn: () => undefined },
): Promise<Source[]> {
  const log = logNames(path, options.warn);
  const opened: Source[] = []; // newest first
  const ends: number[] = [];
  let need = n;
  let startFile = -1; // write from opened[startFile] at `start`, then the newer ones whole
  let start = 0;
  let atEnd = true;
  let nonEmpty = -1;
  for (let seen = 0, tries = 0; need > 0 || nonEmpty < 0; ) {
    const held = opened.at(-1) ?? null;
    const next = olderThan(log, held, seen);
    const src = next && next !== 'end' ? openEntry(log, next) : null;
    if (next === 'end') break;
    if (!src) {
      // The names moved on before we opened it: look again, from the same file.
      if (++tries < MAX_TRIES) continue;
      options.warn(
        `files of ${log.path} kept moving while they were read: older lines are left out`,
      );
      break;
    }
    [tries, seen] = [0, next!.index];
    const i = opened.push(src) - 1;
    // A skipped file (a trap in a shared directory, names.ts) is held but counts as empty.
    const end = src.gz || src.skipped ? 0 : fstatSync(src.fd).size;
    ends.push(end);
    if (need <= 0) {
      if (!src.skipped && (src.gz || end > 0)) nonEmpty = i;
    } else {
      const r = src.skipped
        ? { newlines: 0, start: null, empty: true }
        : await countBack(src, end, need, atEnd, options);
      if (!r.empty) [atEnd, nonEmpty] = [false, nonEmpty < 0 ? i : nonEmpty];
      [startFile, start, need] = r.start === null ? [i, 0, need - r.newlines] : [i, r.start, 0];
    }
    if (opened.length % 64 === 0) await new Promise(setImmediate); // Ctrl-C is heard meanwhile
  }
  for (let i = startFile; i >= 0; i--) {
    const from = i === startFile ? start : 0;
    if (opened[i]!.skipped) continue;
    if (opened[i]!.gz) await writeInflated(opened[i]!, from, write);
    else await eachBlock(opened[i]!.fd, from, ends[i]!, write);
  }
  for (const [i, src] of opened.entries())
    Object.assign(src, { pos: ends[i], done: src.gz || src.skipped === true });
  for (const src of opened.splice(Math.max(0, nonEmpty) + 1)) closeSync(src.fd);
  return opened.reverse();
}
