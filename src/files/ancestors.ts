/**
 * The directories above a log directory must be ours: whoever can rename an entry on the way
 * (a directory of theirs, one they can write) can swap the log directory for a link to /etc
 * between our check and our open, and every later open by path. So the path is resolved here
 * component by component, as the kernel would, checking each directory a name is looked up in
 * (the log directory's parent included; the log directory itself may be the service user's:
 * log-dir.ts works in it through its fd). logrotate's rule, for a whole path.
 */
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { keep, kept } from '../sys/kept.js';
import { accessAcl } from '../sys/native.js';
import { replaceableEntry, type Owned, type Trust } from './trust.js';

/** Symbolic links followed before giving up, as the kernel's limit (ELOOP). */
const MAX_LINKS = 40;

/**
 * What checks made while a command keeps them (rememberAncestors) found that no one untrusted
 * can change: directories owned by a trusted uid (only their owner or root can change their
 * owner, mode or ACL) and entries judged not replaceable (only the trusted, or root, can rename,
 * remove or chown them) that exist and are no symbolic link. Nothing else is kept: not a verdict
 * against, not a missing entry (made later, and judged then), not a link. So a kept fact holds
 * until someone trusted changes it, as the fresh check's own answer holds after it is made.
 */
interface Seen {
  dirs: Map<string, Owned>;
  entries: Set<string>;
}
const SEEN = Symbol.for('daemonkit.ancestorsSeen'); // one for all lazy bundles' copies
type ByTrust = Map<string, Seen>;

/** Keep what the checks of directories above a path find, until the returned function is
 *  called: `up` of 200 services checked the same ancestors ~3 times per service. */
export function rememberAncestors(): () => void {
  return keep<ByTrust>(SEEN, () => new Map());
}

function seenFor(trust: Trust): Seen | null {
  const byTrust = kept<ByTrust>(SEEN);
  if (!byTrust) return null;
  const key = `${[...trust.uids].sort().join(',')}/${[...trust.gids].sort().join(',')}`;
  let seen = byTrust.get(key);
  if (!seen) byTrust.set(key, (seen = { dirs: new Map(), entries: new Set() }));
  return seen;
}

export class InsecureLogDir extends Error {
  readonly code = 'EINSECURE';
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null; // not there (we make it), or not reachable: the open that follows says why
  }
}

/** A directory on the way, with its access ACL (mode bits alone hide whom an ACL lets write). */
function directoryOrNull(path: string): Owned | null {
  const st = lstatOrNull(path);
  if (!st) return null;
  let acl: Buffer | null;
  try {
    acl = accessAcl(path);
  } catch {
    acl = null; // gone meanwhile, or not reachable: as lstat, the open that follows says why
  }
  return { uid: st.uid, gid: st.gid, mode: st.mode, acl };
}

/**
 * The real path of log directory `dir` (absolute), and whether some of it is still to be made.
 * Throws InsecureLogDir naming the directory at fault (and `what` lies below it). A part that does
 * not exist counts as ours
 * (we make it, 0755): call again once it is made, to judge what is there then.
 */
export function checkLogDirPath(
  dir: string,
  trust: Trust,
  what = `the log directory ${dir}`,
): { real: string; missing: boolean } {
  const seen = seenFor(trust);
  const todo = dir.split('/').filter(Boolean);
  let at = '/';
  let links = 0;
  let missing = false;
  while (todo.length > 0) {
    const name = todo.shift()!;
    if (name === '.') continue;
    if (name === '..') {
      at = dirname(at); // `at` is real (links resolved): its parent is the parent
      continue;
    }
    const next = join(at, name);
    if (missing) {
      at = next;
      continue;
    }
    if (seen?.entries.has(next)) {
      at = next;
      continue;
    }
    const here = seen?.dirs.get(at) ?? directoryOrNull(at);
    if (seen && here && trust.uids.has(here.uid)) seen.dirs.set(at, here);
    const entry = lstatOrNull(next);
    const why = here && replaceableEntry(here, name, entry?.uid ?? null, trust);
    if (why) throw new InsecureLogDir(`insecure permissions on ${at}, above ${what}: ${why}`);
    if (seen && here && entry && !entry.isSymbolicLink()) seen.entries.add(next);
    if (entry?.isSymbolicLink()) {
      if (++links > MAX_LINKS)
        throw Object.assign(new Error(`too many symbolic links in ${dir}`), { code: 'ELOOP' });
      const target = readlinkSync(next);
      if (target.startsWith('/')) at = '/';
      todo.unshift(...target.split('/').filter(Boolean));
      continue;
    }
    if (!entry) missing = true;
    at = next;
  }
  return { real: at, missing };
}

/** What is wrong with the directories above `dir` now, in words, or null. */
export function logDirProblem(dir: string, trust: Trust): string | null {
  try {
    checkLogDirPath(dir, trust);
    return null;
  } catch (error) {
    // other errors: the open says them
    return error instanceof InsecureLogDir ? error.message : null;
  }
}
