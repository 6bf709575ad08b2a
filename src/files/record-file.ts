/**
 * A record written off the event loop's thread (node's thread pool): a temp name, then a rename,
 * as the synchronous writers do. For a process that makes many such files at once (a project's
 * supervisor starting 200 services): each file made costs ~1 ms of kernel time on a busy ext4,
 * which the pool spends on the other core while the loop goes on. Best effort: resolves whatever
 * happens (the temp file removed on failure), as the writers it stands for are best effort.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { constants as C } from 'node:fs';

export async function replaceLater(file: string, text: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const handle = await open(tmp, C.O_WRONLY | C.O_CREAT | C.O_TRUNC | C.O_NOFOLLOW, mode);
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
