/**
 * Where a process has each file open ("dev:ino" → its fds), from a walk of /proc/PID/fd: read
 * once per process within a report, and kept as hints across walks while a caller (a project's
 * `down`, a stop) asks keepFdHints to. The locks proven through those fds are proc-fdinfo.ts's.
 */
import { readdirSync, statSync } from 'node:fs';
import { keep, kept } from './kept.js';
import { onceInScan } from './prefetch.js';

/** Where each process's files were open at its last walk, while some caller keeps them. On
 *  globalThis: the CLI's lazy bundles each have a copy of this module (scripts/bundle.mjs), and
 *  `down`'s stops run in the bundle of ops/shared.ts. */
type FdHints = Map<number, Map<string, string[]>>;
const HINTS = Symbol.for('daemonkit.fdHints');
export const fdHints = (): FdHints | undefined => kept<FdHints>(HINTS);

/**
 * Keep, until the returned function is called, where each process walked had each file open: a
 * project's `down` asks whether its shared supervisor (~1,000 fds, ~5 per service) holds each
 * service's lock, several times per service — a walk each time made `down` of 200 services over
 * 1,000 walks of 1,000 fds. A hint is checked afresh before it is believed (lockHeld), so it
 * needs no invalidation: a wrong one costs the walk it would have saved.
 */
export function keepFdHints(): () => void {
  return keep<FdHints>(HINTS, () => new Map());
}

/**
 * The files `pid` has open ("dev:ino" → its fds), or null when it is gone, 'unknown' when its fds
 * are not ours to read. Within one scan (withOneProcScan) read once per process: a project's
 * shared supervisor holds every service's lock among ~5 fds per service, and `list` asks about
 * each service — 200 services made 200 walks of 1,000 fds.
 */
export function openFiles(pid: number): Map<string, string[]> | null | 'unknown' {
  return onceInScan(`files ${pid}`, () => openFilesNow(pid));
}

function openFilesNow(pid: number): Map<string, string[]> | null | 'unknown' {
  let fds: string[];
  let files: Map<string, string[]> | null | 'unknown';
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
    files = new Map();
    for (const fd of fds) {
      try {
        const st = statSync(`/proc/${pid}/fd/${fd}`, { bigint: true });
        const key = `${st.dev}:${st.ino}`;
        const list = files.get(key);
        if (list) list.push(fd);
        else files.set(key, [fd]);
      } catch {
        // closed meanwhile
      }
    }
  } catch (error) {
    files = (error as NodeJS.ErrnoException).code === 'EACCES' ? 'unknown' : null;
  }
  if (typeof files === 'object' && files !== null) fdHints()?.set(pid, files);
  return files;
}
