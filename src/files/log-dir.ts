/**
 * A log directory, held open: every open, rename and removal in it goes through its fd
 * (native/at.c), so a name the service user swapped on the way never leads root elsewhere.
 * Opened once (and again at `reopen`) by a path whose every directory above it is ours
 * (ancestors.ts). In a directory someone untrusted can write ("shared": the service user's
 * LogsDirectory=, /tmp), a name may be their trap: no symbolic link is followed, and root writes
 * only a regular file with one link, owned by root, us, the service user or the directory's owner.
 * In a directory only we can write, a link or a device is ours and is used as before.
 * Reference-counted: a compression in flight keeps the fd it started with.
 */
import { closeSync, fchmodSync, fstatSync, openSync, constants as C, type Stats } from 'node:fs';
import { makeDirs } from './mkdirs.js';
import { accessAcl, inodeAt, openAt, renameAt, rotatedAt, unlinkAt } from '../sys/native.js';
import { checkLogDirPath } from './ancestors.js';
import { ourTrust, unsafeLogFile, untrustedWriter, type Trust } from './trust.js';

export interface LogDirOptions {
  /** Make the directory (and those above it) when missing, 0755. */
  create?: boolean;
  /** The service user (--user): files of theirs may be written in a shared directory. */
  serviceUid?: number;
  trust?: Trust;
}

/** What makes an existing file no place for a log: a FIFO or a socket (a directory cannot be
 *  opened for writing anyway). Null for a file, a terminal or a device. */
export function notALog(st: Stats): 'FIFO' | 'socket' | null {
  return st.isFIFO() ? 'FIFO' : st.isSocket() ? 'socket' : null;
}

/**
 * Make log directory `dir` (absolute) and those above it where missing (0755), after checking
 * the directories above it are ours (InsecureLogDir otherwise): mkdir as root through a path
 * someone else could redirect would make a directory of their choosing. Returns its real path.
 */
export function makeLogDir(dir: string, trust: Trust = ourTrust()): string {
  const { real, missing } = checkLogDirPath(dir, trust);
  if (!missing) return real;
  makeDirs(real);
  return checkLogDirPath(dir, trust).real; // judge what is there now, not what we meant to make
}

/** Entries read at most per listing in a shared directory (each rotation lists it once). */
export const MAX_NAMES = 100_000;
/** Rotated files listed at most: --log-keep is at most 9999, so 2 × 10,000 names and some. */
export const MAX_ROTATED = 20_480;

const unsafe = (message: string): Error => Object.assign(new Error(message), { code: 'EUNSAFE' });

const APPEND = C.O_WRONLY | C.O_APPEND | C.O_CREAT | C.O_NOCTTY | C.O_NONBLOCK;

export class LogDir {
  private refs = 1;

  private constructor(
    readonly fd: number,
    /** The directory as named (for messages). */
    readonly path: string,
    private readonly trust: Trust,
    private readonly serviceUid: number | undefined,
  ) {}

  /** Open `dir` (absolute): refuses (InsecureLogDir) when a directory above it is not ours. */
  static open(dir: string, options: LogDirOptions = {}): LogDir {
    const trust = options.trust ?? ourTrust();
    const real = options.create ? makeLogDir(dir, trust) : checkLogDirPath(dir, trust).real;
    const fd = openSync(real, C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW);
    return new LogDir(fd, dir, trust, options.serviceUid);
  }

  retain(): this {
    this.refs++;
    return this;
  }

  release(): void {
    if (--this.refs === 0) closeSync(this.fd);
  }

  /** Who untrusted can write here (its owner, group or everyone), in words; null: nobody. Asked
   *  at every open: a chmod of the directory counts from the next one. */
  sharedBy(): string | null {
    const st = fstatSync(this.fd);
    return untrustedWriter(
      { uid: st.uid, gid: st.gid, mode: st.mode, acl: accessAcl(this.fd) },
      this.trust,
    );
  }

  /** Why root must not use `st`, found here under a name, or null. */
  unsafeFile(st: Stats, shared = this.sharedBy()): string | null {
    if (shared === null) return null;
    const dirUid = fstatSync(this.fd).uid;
    const owners = new Set([
      ...this.trust.uids,
      dirUid,
      ...(this.serviceUid === undefined ? [] : [this.serviceUid]),
    ]);
    const why = unsafeLogFile(st, owners);
    return why && `${why}, in a directory ${shared}`;
  }

  /**
   * Open `name` with `flags`; a symbolic link is followed only here where only we write (then
   * `viaLink`), and in a shared directory it is refused (EUNSAFE).
   */
  private openFollowing(
    name: string,
    flags: number,
    mode: number,
    shared: string | null,
  ): { fd: number; viaLink: boolean } {
    if (name === '') throw Object.assign(new Error('it is a directory'), { code: 'EISDIR' });
    try {
      return { fd: openAt(this.fd, name, flags | C.O_NOFOLLOW, mode), viaLink: false };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOOP') throw error;
      if (shared !== null) throw unsafe(`it is a symbolic link, in a directory ${shared}`);
      return { fd: openAt(this.fd, name, flags, mode), viaLink: true };
    }
  }

  /**
   * Open a log for appending (created 0644 if missing). O_NONBLOCK: a FIFO without a reader fails
   * (ENXIO) instead of hanging the open; a FIFO or a socket is refused (ENOTFILE). `rotatable`: a
   * regular file reached by no symbolic link — only those are rotated (a rotation renames and
   * deletes: never a device, never a link instead of its file).
   */
  openLog(name: string): { fd: number; rotatable: boolean } {
    const shared = this.sharedBy();
    const { fd, viaLink } = this.openFollowing(name, APPEND, 0o644, shared);
    try {
      const st = fstatSync(fd);
      const kind = notALog(st);
      if (kind) throw Object.assign(new Error(`it is a ${kind}, not a file`), { code: 'ENOTFILE' });
      const why = this.unsafeFile(st, shared);
      if (why) throw unsafe(why);
      return { fd, rotatable: st.isFile() && !viaLink };
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** Open `name` to read it, as openLog would reach it (a FIFO without a writer does not block). */
  openRead(name: string): number {
    return this.openFollowing(name, C.O_RDONLY | C.O_NOCTTY | C.O_NONBLOCK, 0, this.sharedBy()).fd;
  }

  /** Open `name` to read only if it is a file here (no link followed, wherever this is). */
  openFileRead(name: string): number {
    return openAt(this.fd, name, C.O_RDONLY | C.O_NOCTTY | C.O_NONBLOCK | C.O_NOFOLLOW, 0);
  }

  /**
   * A fresh file of ours at `name`, `mode`: what was there (a stale one, or a link planted there)
   * is removed first — only the name — and the file is made with O_EXCL, so it is never someone's.
   */
  createTemp(name: string, mode: number): number {
    this.unlink(name, true);
    const fd = openAt(this.fd, name, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
    try {
      fchmodSync(fd, mode & 0o777);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return fd;
  }

  rename(from: string, to: string): void {
    renameAt(this.fd, from, to);
  }

  /** Remove the name (a link itself, never what it points at). `quietly`: a missing one is fine. */
  unlink(name: string, quietly = false): void {
    try {
      unlinkAt(this.fd, name);
    } catch (error) {
      if (!quietly || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  /** The inode under `name` (a link's own), or null when there is none. */
  inode(name: string): number | null {
    return inodeAt(this.fd, name);
  }

  /**
   * The rotated files of `name` here ([K, gz] for NAME.K, NAME.K.gz), or why they are not listed:
   * in a shared directory, more than MAX_NAMES entries; anywhere, more than MAX_ROTATED of them.
   * Memory and work stay bounded whatever the service user puts here (the list is filtered in C).
   * `bounded` false: every entry is read (`logs`, which root asked to read them; memory stays
   * flat).
   */
  rotated(name: string, bounded = true): [number, boolean][] | string {
    const shared = this.sharedBy();
    const found = rotatedAt(
      this.fd,
      name,
      shared === null || !bounded ? 0 : MAX_NAMES,
      MAX_ROTATED,
    );
    if (found === 'names')
      return `its directory holds more than ${MAX_NAMES} names, in a directory ${shared}`;
    if (found === 'files')
      return `there are more than ${MAX_ROTATED} files named ${name}.N or ${name}.N.gz`;
    return found;
  }
}
