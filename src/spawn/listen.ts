/**
 * Binding --listen sockets (as the caller, root included: before any privilege is dropped) and
 * letting go of them. A unix: socket is made only in a directory no one untrusted can change
 * (logs/ancestors.ts' rule, the socket's own directory included: root never acts by path where
 * another user can write); a stale socket file of ours there (nothing accepts on it) is replaced;
 * the socket file is removed when the service ends, if it is still the one we made.
 */
import {
  chmodSync,
  closeSync,
  lchownSync,
  lstatSync,
  readFileSync,
  unlinkSync,
  type Stats,
} from 'node:fs';
import { DaemonError, errnoCode } from '../errors/errors.js';
import { printable } from '../config/paths.js';
import { checkLogDirPath, InsecureLogDir } from '../files/ancestors.js';
import { ourTrust } from '../files/trust.js';
import { listenSocket } from '../sys/native.js';
import type { CommandSpec } from '../config/spec.js';
import { DEFAULT_LISTEN_MODE, describeListen, type ListenAddr } from '../config/listen-addr.js';

/** A socket we hold: its fd, and for a unix: one the inode of the file we made. */
export interface Listener {
  fd: number;
  path?: string;
  ino?: number;
}

export interface Ownership {
  mode: number;
  /** The --user's: a unix: socket is theirs (they may then connect with any mode). */
  uid?: number;
  gid?: number;
}

/** Who a unix: socket belongs to: the --user (when dropping to one), with --listen-mode. */
export const ownershipOf = (spec: CommandSpec): Ownership => ({
  mode: spec.listenMode ?? DEFAULT_LISTEN_MODE,
  ...(spec.runAs?.drop ? { uid: spec.runAs.uid, gid: spec.runAs.gid } : {}),
});

const failed = (addr: ListenAddr, why: string): DaemonError =>
  new DaemonError('START_FAILED', `cannot listen on ${printable(describeListen(addr))}: ${why}`, {
    address: describeListen(addr),
  });

/** Why a system error stopped a bind, in words (its message without the syscall). */
const reason = (error: unknown): string => {
  const code = errnoCode(error);
  if (code === 'EADDRINUSE') return 'address already in use';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  const message = (error as Error).message;
  return message.slice(message.indexOf(': ') + 2).toLowerCase();
};

/** SO_ACCEPTCON in /proc/net/unix's Flags: the socket listens. */
const ACCEPTCON = 0x10000;

/** Does a socket listen at `path`? The kernel's list of bound unix sockets says (synchronously,
 *  so binding never yields to the event loop: a signal's stop finds the service as it left it).
 *  A socket file no listener is bound to is stale. */
function listening(path: string): boolean {
  let text: string;
  try {
    text = readFileSync('/proc/net/unix', 'latin1');
  } catch {
    return true; // cannot tell: never remove what may be in use
  }
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/ +/);
    // Num RefCount Protocol Flags Type St Inode Path (a path holds no blank here: ours never do)
    if (f.length >= 8 && f.slice(7).join(' ') === path && Number.parseInt(f[3]!, 16) & ACCEPTCON)
      return true;
  }
  return false;
}

/** Make room for a unix socket at its path, or say why not. */
function clearUnixPath(addr: Extract<ListenAddr, { kind: 'unix' }>, own: Ownership): void {
  try {
    checkLogDirPath(addr.path, ourTrust(), `the socket ${addr.path}`);
  } catch (error) {
    if (error instanceof InsecureLogDir)
      throw new DaemonError(
        'NO_PERMISSION',
        `cannot listen on unix:${printable(addr.path)}: ${error.message}`,
        {
          path: addr.path,
        },
      );
  }
  let st: Stats;
  try {
    st = lstatSync(addr.path);
  } catch {
    return; // nothing there (or no directory: bind says so)
  }
  const ours = ourTrust().uids.has(st.uid) || st.uid === own.uid;
  if (!st.isSocket() || !ours)
    throw failed(addr, `${printable(addr.path)} exists and is not a socket of ours`);
  if (listening(addr.path)) throw failed(addr, 'address already in use (something accepts on it)');
  unlinkSync(addr.path); // stale: a supervisor killed before it could remove it
}

/** Bind every address, in order; on a failure, what was bound is let go again. */
export function openListeners(addrs: readonly ListenAddr[], own: Ownership): Listener[] {
  const out: Listener[] = [];
  try {
    for (const addr of addrs) {
      if (addr.kind === 'unix') clearUnixPath(addr, own);
      let fd: number;
      try {
        fd =
          addr.kind === 'unix'
            ? listenSocket({ kind: 'unix', path: addr.path })
            : listenSocket({
                kind: 'tcp',
                port: addr.port,
                ...(addr.host !== null ? { host: addr.host } : {}),
              });
      } catch (error) {
        throw failed(addr, reason(error));
      }
      if (addr.kind !== 'unix') {
        out.push({ fd });
        continue;
      }
      const listener: Listener = { fd, path: addr.path, ino: lstatSync(addr.path).ino };
      out.push(listener);
      // Made with mode 0600 (native/listen.c): only now may others connect, and only as said. The
      // directory is one no untrusted user can change (or sticky, and the name ours), so the name
      // is still our socket; chmod (which follows a link) before it is the --user's, lchown last.
      try {
        chmodSync(addr.path, own.mode);
        if (own.uid !== undefined) lchownSync(addr.path, own.uid, own.gid ?? -1);
      } catch (error) {
        throw failed(addr, reason(error));
      }
    }
    return out;
  } catch (error) {
    closeListeners(out);
    throw error;
  }
}

/** Close our copies; with `remove`, remove each unix socket file that is still the one we made. */
export function closeListeners(listeners: readonly Listener[], { remove = true } = {}): void {
  for (const l of listeners) {
    try {
      closeSync(l.fd);
    } catch {
      // closed already
    }
    if (remove) removeSocketFile(l);
  }
}

export function removeSocketFile(l: Listener): void {
  if (l.path === undefined) return;
  try {
    const st = lstatSync(l.path);
    if (st.isSocket() && st.ino === l.ino) unlinkSync(l.path);
  } catch {
    // gone already
  }
}
