/**
 * A clean context for the programs we start from a process we did not start clean (foreground
 * `run`): descriptors inherited without close-on-exec, and signals the caller ignored, which
 * libuv does not reset (it resets 1-31 only, not the real-time ones).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resetSignals, setCloexec } from './native.js';

const O_CLOEXEC = 0o2000000;

/** Mark every inherited fd ≥ 3 close-on-exec, so no child of ours receives it. */
export function sealInheritedFds(): number[] {
  const sealed: number[] = [];
  for (const entry of readdirSync('/proc/self/fd')) {
    const fd = Number(entry);
    if (!Number.isInteger(fd) || fd < 3) continue;
    let flags: number;
    try {
      const m = /flags:\s*([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (!m) continue;
      flags = Number.parseInt(m[1]!, 8);
    } catch {
      continue; // the directory listing's own fd, closed by now
    }
    if ((flags & O_CLOEXEC) === 0) {
      setCloexec(fd);
      sealed.push(fd);
    }
  }
  return sealed;
}

export function cleanExecContext(): void {
  sealInheritedFds();
  resetSignals();
}
