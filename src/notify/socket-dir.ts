/**
 * The notify socket's directory when another user must send to it (a COMMAND run with --user).
 * That user needs only to reach the socket and write to it, not to own anything: the directory
 * stays root's (0711: searchable, not listable, not writable), the socket becomes the user's (0600:
 * no third user can send). Root sets both while the directory is still 0700, so no name root
 * acts on is ever in a directory the user (or anyone else) can write. Removal is by the two names
 * daemonkit made: the socket, then the (by then empty) directory — never recursively.
 */
import { chmodSync, lchownSync, lstatSync, realpathSync, rmdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DaemonError } from '../errors/errors.js';

export interface Sender {
  uid: number;
  gid: number;
}

/**
 * Why root may not make the socket's directory under `parent` (absolute, symlinks resolved):
 * some directory on the way is another user's, or writable by others without the sticky bit —
 * they could rename what root makes there and put their own in its place. null when safe.
 */
export function unsafeParent(parent: string): string | null {
  const me = process.geteuid?.() ?? 0;
  for (let dir = parent; ; dir = dirname(dir)) {
    const st = lstatSync(dir);
    if (st.uid !== me && st.uid !== 0) return `${dir} is owned by uid ${st.uid}`;
    if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0)
      return `${dir} is writable by others and not sticky`;
    if (dir === dirname(dir)) return null;
  }
}

/**
 * The parent for a socket directory another user will send into, resolved. An unsafe one is
 * refused as an unsafe pidfile directory is (exit 4): it is the caller's TMPDIR to fix.
 */
export function senderParent(parent: string): string {
  let real: string;
  try {
    real = realpathSync(parent);
  } catch (error) {
    throw new DaemonError(
      'NOTIFY_FAILED',
      `cannot use ${parent} for the notify socket: ${(error as Error).message}`,
      { path: parent },
      { cause: error },
    );
  }
  const why = unsafeParent(real);
  if (why)
    throw new DaemonError(
      'NO_PERMISSION',
      `cannot make the notify socket for another user in ${parent}: ${why} (set TMPDIR to a directory only root can write)`,
      { path: parent },
    );
  return real;
}

/**
 * Let `sender` send to the socket at `path` in the fresh 0700 directory `dir`: the socket first,
 * by path (safe: until the last step only we can enter `dir`), then `dir` opened for search —
 * the user's first moment of access comes after our last act on a name inside.
 */
export function openToSender(dir: string, path: string, sender: Sender): void {
  lchownSync(path, sender.uid, sender.gid);
  chmodSync(path, 0o600);
  chmodSync(dir, 0o711);
}

/** Remove the socket and its directory, each quietly (gone already; or not empty: left as it
 *  is). */
export function removeSocketDir(path: string, dir: string): void {
  for (const remove of [() => unlinkSync(path), () => rmdirSync(dir)]) {
    try {
      remove();
    } catch {
      // already gone, or something not ours is in there: never removed by us
    }
  }
}

/** A `dk-notify-*` directory an earlier supervisor left in `serviceDir`'s place: its two names,
 *  only if it is a directory. */
export function removeLeftSocketDir(dir: string): void {
  try {
    if (!lstatSync(dir).isDirectory()) return;
  } catch {
    return;
  }
  removeSocketDir(join(dir, 'notify'), dir);
}
