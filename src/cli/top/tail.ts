/**
 * The last lines of a service's log for `top`: read from the end of the log file, at most
 * TAIL_BYTES of it whatever the file's size or its lines' length (a refresh must stay cheap).
 * Not its rotated files: right after a rotation the pane starts empty, as the new file is.
 * Read as the writer reaches it (log-dir.ts): through its directory's fd, and in a directory the
 * service user (or anyone untrusted) can write, no link followed and only a regular file with one
 * link, owned by root, us, the service user or the directory's owner — else root's `top` would
 * show whatever file their link names (/etc/shadow).
 */
import { closeSync, fstatSync, readSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { readSpec } from '../../service/spec-file.js';
import { LogDir } from '../../files/log-dir.js';
import { getUser } from '../../sys/native.js';
import type { ServicePaths } from '../../config/paths.js';

export const TAIL_BYTES = 64 * 1024;

export interface LogSource {
  path: string;
  /** The --user it runs as: a file of theirs may be shown from a directory they can write. */
  serviceUid?: number;
}

/** The file its output goes to: as recorded at its last start (--stdout), else NAME.log. */
export function logSource(paths: ServicePaths): LogSource {
  const spec = readSpec(paths);
  const uid = spec?.user === undefined ? undefined : uidOf(spec.user);
  return { path: spec?.stdout ?? paths.logfile, ...(uid === undefined ? {} : { serviceUid: uid }) };
}

function uidOf(user: string): number | undefined {
  try {
    return getUser(/^[0-9]+$/.test(user) ? Number(user) : user)?.uid;
  } catch {
    // the user database failed: their files are then not shown from their directory
    return undefined;
  }
}

const notShown = (path: string, why: string): Error => new Error(`log not shown: ${path}: ${why}`);

/** The log open to read, by LogDir's rules; null when there is no file (or directory) yet. */
function openLog({ path, serviceUid }: LogSource): number | null {
  const abs = resolve(path);
  let dir: LogDir | null = null;
  let fd: number;
  try {
    dir = LogDir.open(dirname(abs), serviceUid === undefined ? {} : { serviceUid });
    // O_NONBLOCK (openRead): a FIFO put where the log was must not hang us (refused below).
    fd = dir.openRead(basename(abs));
  } catch (error) {
    dir?.release();
    return failed(path, error as NodeJS.ErrnoException);
  }
  try {
    const st = fstatSync(fd);
    const why = st.isFile() ? dir.unsafeFile(st) : 'it is not a regular file';
    if (why === null) return fd;
    throw notShown(path, why);
  } catch (error) {
    closeSync(fd);
    throw error;
  } finally {
    dir.release();
  }
}

function failed(path: string, e: NodeJS.ErrnoException): null {
  if (e.code === 'ENOENT') return null;
  if (e.code === 'EUNSAFE' || e.code === 'EINSECURE') throw notShown(path, e.message);
  throw new Error(`cannot read ${path}: ${e.code ?? e.message}`);
}

/** The last `n` lines of the log (a line cut by TAIL_BYTES is left out); [] when there is no
 *  file yet. */
export function lastLines(source: LogSource, n: number): string[] {
  const fd = openLog(source);
  if (fd === null) return [];
  try {
    const st = fstatSync(fd);
    const from = Math.max(0, st.size - TAIL_BYTES);
    const buf = Buffer.allocUnsafe(st.size - from);
    const got = readSync(fd, buf, 0, buf.length, from);
    const lines = buf.subarray(0, got).toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop(); // the final newline ends the last line
    if (from > 0) lines.shift(); // begun before what was read
    return n > 0 ? lines.slice(-n) : [];
  } finally {
    closeSync(fd);
  }
}
