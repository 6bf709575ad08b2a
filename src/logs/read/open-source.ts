/**
 * Opening one of a log's files for `logs` (LogNames.open, names.ts decides which way): in a
 * directory only we can write, by path, links followed (the administrator's); in one another
 * user can write, through the directory's fd, no link followed, and only a file the writer's
 * rule allows, with no hole. A file refused there is held (so the walk knows where it is) but
 * never read: it is named once through `skip`, and counts as empty.
 */
import { closeSync, fstatSync, openSync, constants as C } from 'node:fs';
import { basename } from 'node:path';
import type { LogDir } from '../../files/log-dir.js';
import { openAt, seekData } from '../../sys/native.js';

/** An open file of the log: `pos` is how far it has been read (plain files). */
export interface Source {
  fd: number;
  ino: bigint;
  gz: boolean;
  path: string;
  pos: number;
  /** A .gz already read whole. */
  done: boolean;
  /** Not to be read (a trap in a shared directory, named on stderr): its content counts as none. */
  skipped?: boolean;
}

/** Names a skipped file, once: why, and (when it is) whose the directory is. */
export type Skip = (path: string, why: string, shared: string) => void;

/** Why a file with a hole is not read. */
export const HOLES = 'it has holes (a sparse file: the supervisor only appends; it is not read)';

/** O_PATH (Linux): an fd that names an inode, a symbolic link's own included, and reads nothing. */
const O_PATH = 0o10000000;

const source = (fd: number, ino: bigint, gz: boolean, path: string): Source => ({
  fd,
  ino,
  gz,
  path,
  pos: 0,
  done: false,
});

function cannotRead(path: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  return new Error(
    `cannot read ${path}: ${code === 'EACCES' ? 'permission denied' : (code ?? (error as Error).message)}`,
  );
}

/** In a directory only we can write: by path, links followed (the administrator's). */
export function openByPath(path: string, ino: bigint, gz: boolean): Source | null {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO put where a log was must not hang us (it is refused just below).
    fd = openSync(path, C.O_RDONLY | C.O_NOCTTY | C.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw cannotRead(path, error);
  }
  const st = fstatSync(fd, { bigint: true });
  if (st.ino !== ino) {
    closeSync(fd);
    return null;
  }
  if (!st.isFile()) {
    closeSync(fd);
    throw new Error(
      `cannot read ${path}: it is ${st.isDirectory() ? 'a directory' : 'not a regular file'}`,
    );
  }
  return source(fd, ino, gz, path);
}

/** In a directory `shared` (another user can write it): through its fd, nothing followed. */
export function openShared(
  dir: LogDir,
  shared: string,
  path: string,
  ino: bigint,
  gz: boolean,
  skip: Skip,
): Source | null {
  const name = basename(path);
  let fd: number;
  try {
    fd = dir.openFileRead(name);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code !== 'ELOOP') throw cannotRead(path, error);
    // A symbolic link: held by its own inode (so the walk knows where it is), never read.
    const link = openAt(dir.fd, name, O_PATH | C.O_NOFOLLOW, 0);
    return skipped(link, source(link, ino, gz, path), 'it is a symbolic link', shared, skip);
  }
  const st = fstatSync(fd);
  if (BigInt(st.ino) !== ino) {
    closeSync(fd);
    return null;
  }
  if (st.isDirectory()) {
    closeSync(fd);
    throw new Error(`cannot read ${path}: it is a directory`);
  }
  const why = dir.unsafeFile(st, shared);
  if (why) return skipped(fd, source(fd, ino, gz, path), why, '', skip);
  if (!gz && st.size > 0 && seekData(fd, 0, true) < st.size)
    return skipped(fd, source(fd, ino, gz, path), HOLES, '', skip);
  return source(fd, ino, gz, path);
}

/** `src`, held but not to be read, once it is named; null (fd closed) if it moved on meanwhile. */
function skipped(fd: number, src: Source, why: string, shared: string, skip: Skip): Source | null {
  if (BigInt(fstatSync(fd).ino) !== src.ino) {
    closeSync(fd);
    return null;
  }
  skip(src.path, why, shared);
  return { ...src, done: true, skipped: true };
}
