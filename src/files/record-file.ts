/**
 * A small record (spec.json, env.json) written as a whole or not at all: a temp name, then a
 * rename. Best effort: whatever happens it returns (the temp file removed on failure), as its
 * callers go on without the record. `writeRecordLater` does the same in node's thread pool, for a
 * process that makes many such files at once (a project's supervisor starting 200 services):
 * each file made costs ~1 ms of kernel time on a busy ext4, which the pool spends on the other
 * core while the event loop goes on.
 */
import { closeSync, openSync, renameSync, unlinkSync, writeSync, constants as C } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';

const FLAGS = C.O_WRONLY | C.O_CREAT | C.O_TRUNC | C.O_NOFOLLOW;
const tmpOf = (file: string): string => `${file}.${process.pid}.tmp`;

export function writeRecord(file: string, text: string, mode: number): void {
  const tmp = tmpOf(file);
  try {
    const fd = openSync(tmp, FLAGS, mode);
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing left behind
    }
  }
}

export async function writeRecordLater(file: string, text: string, mode: number): Promise<void> {
  const tmp = tmpOf(file);
  try {
    const handle = await open(tmp, FLAGS, mode);
    try {
      await handle.write(text);
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch {
    await unlink(tmp).catch(() => undefined);
  }
}
