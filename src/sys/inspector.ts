/**
 * Until our SIGUSR1 handler is in place, node's own applies: it opens the inspector (a root
 * shell for any local user, on 127.0.0.1:9229). Newer nodes get --disable-sigusr1 from the
 * launcher; on older ones a SIGUSR1 that came during boot is undone here. Node opens it from its
 * event loop after the signal, so we look once the loop has turned, and again a second later.
 * Loading node:inspector costs ~12 ms in the supervisor (~4 ms in a plain node: any V8 flag of
 * ours, such as --no-opt, makes node compile its own modules from source, its embedded code cache
 * no longer fitting): so it is loaded only when an inspector could be listening, i.e. when we have
 * a socket open other than `ours` (a notify socket of our own; the rest of our fds are pipes and
 * files).
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';

export function closeInspector(ours?: number): void {
  if (process.execArgv.includes('--disable-sigusr1')) return;
  const close = (): void => {
    if (!hasSocket(ours)) return;
    const inspector = createRequire(import.meta.url)(
      'node:inspector',
    ) as typeof import('node:inspector');
    if (inspector.url()) inspector.close();
  };
  setImmediate(close);
  setTimeout(close, 1000).unref();
}

function hasSocket(except: number | undefined): boolean {
  try {
    return readdirSync('/proc/self/fd').some((fd) => {
      try {
        return Number(fd) !== except && readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
      } catch {
        return false; // closed meanwhile (or the directory's own fd)
      }
    });
  } catch {
    return true; // no /proc to tell: look the expensive way
  }
}
