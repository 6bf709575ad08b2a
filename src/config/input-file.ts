/**
 * Files root reads on the COMMAND's behalf — `--stdin` and `--env-file` — at every start and
 * restart, opened once and used through the fd. When a file's directory is one another user can
 * write (the service user's, say: the trust rules of src/logs/trust.ts), the name is theirs to
 * swap: it is opened O_NOFOLLOW|O_NONBLOCK (no link followed, no FIFO waited on) and must be a
 * regular file with one link, owned by root, the caller or the service user — else root would
 * hand the COMMAND whatever file the link or hard link leads to. The directories above must be
 * root's or the caller's all the way up (the log directories' rule, src/logs/ancestors.ts).
 */
import {
  closeSync,
  constants as C,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DaemonError, errnoCode } from '../errors/errors.js';
import { checkLogDirPath, InsecureLogDir } from '../files/ancestors.js';
import { ourTrust, replaceableEntry, unsafeLogFile } from '../files/trust.js';
import { printable } from './paths.js';

/** The most of an env file read: more is refused (it is read at every start and restart). */
export const MAX_ENV_FILE = 1 << 20;

export interface InputFile {
  /** '--stdin' or '--env-file': what the messages name. */
  flag: string;
  /** The absolute path. */
  path: string;
  /** Said after the path in messages, e.g. " (recorded at the last start)". */
  note?: string;
  /** The COMMAND's user (--user): its files may be read for it. */
  serviceUid?: number;
  /** A character device (/dev/null, a tty) or a FIFO may be read — only at a path of the
   *  admin's. */
  devices?: boolean;
}

const FLAGS = C.O_RDONLY | C.O_NOCTTY | C.O_NONBLOCK; // libuv adds O_CLOEXEC

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function refuse(input: InputFile, why: string, privilege: boolean): DaemonError {
  const code = privilege ? 'NO_PERMISSION' : 'BAD_OPTION';
  return new DaemonError(
    code,
    `cannot use ${input.flag} ${printable(input.path)}${input.note ?? ''}: ${why}`,
    { path: input.path },
  );
}

function openFailure(input: InputFile, error: unknown): DaemonError {
  const code = errnoCode(error);
  if (code === 'ENOENT') return refuse(input, 'no such file', false);
  if (code === 'ENOTDIR') return refuse(input, 'a part of the path is not a directory', false);
  if (code === 'EACCES' || code === 'EPERM') return refuse(input, 'permission denied', true);
  if (code === 'ENXIO')
    return refuse(input, 'it is a socket, or a device that is not there', false);
  if (error instanceof InsecureLogDir) return refuse(input, error.message, true);
  return refuse(input, (error as Error).message, false);
}

/** Why a file opened at a path of the admin's cannot serve, or null. */
function oddAtAdminPath(st: Stats, devices: boolean): string | null {
  if (st.isFile()) return null;
  if (devices && (st.isCharacterDevice() || st.isFIFO())) return null;
  if (st.isDirectory()) return 'it is a directory';
  return devices
    ? 'it is not a regular file, a character device or a FIFO'
    : 'it is not a regular file';
}

/**
 * Open `input.path` for reading, safely for root (see the top of this file). Throws a
 * DaemonError naming the path: NO_PERMISSION (exit 4) when another user could have chosen what
 * it leads to or it may not be read; BAD_OPTION (exit 2) when it is simply not a usable file.
 */
export function openInputFile(input: InputFile): number {
  const trust = ourTrust();
  const name = basename(input.path);
  let dir: string;
  try {
    const checked = checkLogDirPath(
      dirname(input.path),
      trust,
      `${input.flag} ${printable(input.path)}`,
    );
    if (checked.missing) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    dir = checked.real;
  } catch (error) {
    throw openFailure(input, error);
  }
  const dirStat = lstatOrNull(dir);
  const entry = lstatOrNull(join(dir, name));
  const writer = dirStat && replaceableEntry(dirStat, name, entry?.uid ?? null, trust);
  if (!writer) {
    // The admin's name (a link of theirs is followed: every directory on its way is checked too).
    let fd: number;
    try {
      if (entry?.isSymbolicLink())
        checkLogDirPath(input.path, trust, `${input.flag} ${printable(input.path)}`);
      fd = openSync(join(dir, name), FLAGS);
    } catch (error) {
      throw openFailure(input, error);
    }
    const why = oddAtAdminPath(fstatSync(fd), input.devices ?? false);
    if (why) throw closing(fd, refuse(input, why, false));
    return fd;
  }
  // Another user can write the directory: their name, never followed, and only a plain file.
  let fd: number;
  try {
    fd = openSync(join(dir, name), FLAGS | C.O_NOFOLLOW);
  } catch (error) {
    if (errnoCode(error) === 'ELOOP')
      throw refuse(
        input,
        `it is a symbolic link in ${dir}, which is ${writer}: refusing to follow it`,
        true,
      );
    throw openFailure(input, error);
  }
  const owners = new Set([
    0,
    process.geteuid?.() ?? 0,
    ...(input.serviceUid !== undefined ? [input.serviceUid] : []),
  ]);
  const why = unsafeLogFile(fstatSync(fd), owners);
  if (why)
    throw closing(fd, refuse(input, `it is in ${dir}, which is ${writer}, and ${why}`, true));
  return fd;
}

function closing(fd: number, error: DaemonError): DaemonError {
  closeSync(fd);
  return error;
}

/** The text of an env file, read through the fd openInputFile gives, at most MAX_ENV_FILE bytes. */
export function readInputText(input: InputFile): string {
  const fd = openInputFile({ ...input, devices: false });
  try {
    const buf = Buffer.alloc(MAX_ENV_FILE + 1);
    let used = 0;
    for (let n = 1; n > 0 && used < buf.length; used += n) {
      try {
        n = readSync(fd, buf, used, buf.length - used, null);
      } catch (error) {
        throw openFailure(input, error);
      }
    }
    if (used > MAX_ENV_FILE)
      throw refuse(input, `it is larger than ${MAX_ENV_FILE / 1024 / 1024} MiB`, false);
    return buf.toString('utf8', 0, used);
  } finally {
    closeSync(fd);
  }
}
