/**
 * mkdir -p, one level at a time, each new directory getting `mode` exactly (not masked by the
 * umask: a caller's umask 077 must not make a service's directory unreadable to `status`). Node
 * 20's `mkdirSync(…, { recursive: true })` loops forever on
 * a path under /proc (mkdir keeps failing with ENOENT there): never use it on a path a user gave.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export function makeDirs(dir: string, mode = 0o755): void {
  const missing: string[] = [];
  for (let at = dir; ; at = dirname(at)) {
    try {
      if (statSync(at).isDirectory()) break;
      mkdirSync(at, { mode }); // not a directory: let mkdir say why (EEXIST / ENOTDIR)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(at) === at) throw error;
      missing.unshift(at);
    }
  }
  for (const at of missing) {
    try {
      mkdirSync(at, { mode });
      chmodSync(at, mode); // the mode it is documented to have, whatever the caller's umask
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; // made meanwhile: fine
    }
  }
}
