/** What a start's paths are now (reads only): for resolve.ts's checks before anything is opened. */
import { accessSync, constants as C, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { notALog } from '../files/log-dir.js';

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, C.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The absolute path the COMMAND would run, as execvp would find it; null if none. */
export function resolveExecutable(
  file: string,
  pathVar: string | undefined,
  cwd: string,
): string | null {
  if (file.includes('/')) {
    const abs = resolve(cwd, file);
    return isExecutableFile(abs) ? abs : null;
  }
  for (const dir of (pathVar ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const candidate = join(dir, file);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

export function writableDir(dir: string): boolean {
  try {
    accessSync(dir, C.W_OK | C.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** What makes an existing path unusable as a log, checked before anything is opened. */
export function unusableLogKind(path: string): string | null {
  try {
    const st = statSync(path);
    return st.isDirectory() ? 'directory' : notALog(st);
  } catch {
    return null; // not there yet: it will be created
  }
}

/** The nearest existing ancestor of a path (where mkdir -p would start). */
export function existingAncestor(path: string): string {
  let dir = path;
  for (;;) {
    let there = false;
    try {
      // Not there: undefined, not an error (made with its stack: `up` of 200 services walks
      // ~600 such paths).
      there = statSync(dir, { throwIfNoEntry: false }) !== undefined;
    } catch {
      // not reachable: look higher
    }
    if (there) return dir;
    const up = dirname(dir);
    if (up === dir) return dir;
    dir = up;
  }
}
