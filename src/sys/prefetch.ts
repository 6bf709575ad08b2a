/**
 * A report's small files read ahead, in one native call on two threads (native/batch.c), while
 * one scan of /proc lasts (withOneProcScan): `list` of 200 services read ~1,300 files and lstat'ed
 * 400 paths one call at a time, and node's cost per call was as much as the kernel's (measured:
 * docs/decisions.md). What was read ahead is what later questions are told, as the scan's
 * snapshot is; outside a scan nothing is kept and every read is made when asked.
 */
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { readBatch } from './native.js';

/** A file's lstat (or fstat, once opened) as the batch saw it; errno 0 when there was one. */
export interface Seen {
  errno: number;
  mode: number;
  uid: number;
  /** -1 where the number is too large for a double to hold exactly. */
  dev: number;
  ino: number;
  /** The text of a file read; null when lstat'ed only or not read. */
  text: string | null;
}

/** Each batch's answers, as readBatch gave them; `seen` maps a path to its slot in them
 *  (batch × SPAN + index): no object per path until one is asked for (`list` read ~1,000). */
let batches: { texts: (string | null)[]; meta: Float64Array }[] = [];
let seen: Map<string, number> | null = null;
let memo: Map<string, unknown> | null = null;
const SPAN = 2 ** 24;

export function startPrefetching(): void {
  seen = new Map();
  memo = new Map();
}

export function stopPrefetching(): void {
  seen = memo = null;
  batches = [];
}

/** Within a scan (withOneProcScan, sys/proc.ts). */
export const inScan = (): boolean => memo !== null;

/** `compute()` once per key within this scan (a process's stat, status and open files, the
 *  process groups, the boot time, a state read ahead and parsed: a report's snapshot, once, not
 *  once per question); as is outside a scan. A throw is not kept. */
export function onceInScan<T>(key: string, compute: () => T): T {
  if (!memo) return compute();
  if (memo.has(key)) return memo.get(key) as T;
  const value = compute();
  memo.set(key, value);
  return value;
}

/** What onceInScan (or keepInScan) keeps for `key` within this scan, without computing it. */
export const keptInScan = (key: string): unknown => memo?.get(key);

/** Keep `value` for `key` within this scan (replacing what was kept); outside one, nothing. */
export function keepInScan(key: string, value: unknown): void {
  memo?.set(key, value);
}

/** Read `reads` and lstat `lstats` now, for readSmall and prefetched within this scan. */
export function prefetch(reads: readonly string[], lstats: readonly string[] = []): void {
  if (!seen || reads.length + lstats.length === 0) return;
  const paths = lstats.length === 0 ? reads : [...reads, ...lstats];
  const [texts, meta] = readBatch(paths as string[], reads.length);
  const base = batches.length * SPAN;
  batches.push({ texts, meta });
  for (let i = 0; i < paths.length; i++) seen.set(paths[i]!, base + i);
}

/** What the batch found at `path`, if it looked there within this scan. */
export function prefetched(path: string): Seen | undefined {
  const slot = seen?.get(path);
  if (slot === undefined) return undefined;
  const { texts, meta } = batches[Math.floor(slot / SPAN)]!;
  const i = slot % SPAN;
  const m = i * 5;
  return {
    errno: meta[m]!,
    mode: meta[m + 1]!,
    uid: meta[m + 2]!,
    dev: meta[m + 3]!,
    ino: meta[m + 4]!,
    text: texts[i] ?? null,
  };
}

const { EFBIG } = constants.errno;

/** A small file of /proc: its text, or null when it cannot be read (gone, not ours). Within a
 *  scan as the batch read it; one it could not take whole (over 64 KiB) is read now. */
export function readSmall(path: string): string | null {
  const slot = seen?.get(path);
  if (slot !== undefined) {
    const { texts, meta } = batches[Math.floor(slot / SPAN)]!;
    const i = slot % SPAN;
    const errno = meta[i * 5]!;
    if (errno !== EFBIG) return errno === 0 ? (texts[i] ?? null) : null;
  }
  return readNow(path);
}

/** A small file of /proc read now: its text, or null when it cannot be read. */
export function readNow(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
