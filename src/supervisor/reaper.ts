/**
 * Reaping adopted orphans. As PID 1 (a container) or a child subreaper, we inherit every
 * orphaned descendant, and Node reaps only what libuv spawned: without this they stay zombies.
 * Our own COMMAND is left alone: its watcher (child.ts) reaps it and keeps its exit status.
 */
import { readFileSync } from 'node:fs';
import { reap } from '../sys/native.js';
import { readProcStat } from '../sys/proc.js';

/**
 * Children of this process: those of its main thread, /proc/self/task/<pid>/children (Linux ≥
 * 3.5). Every fork of ours is made on the main thread (libuv's spawn, the native spawn), and the
 * kernel gives an orphan to a subreaper's thread-group leader (find_new_reaper: its first live
 * thread); node's other threads fork nothing. The files of its ~13 threads, read each time, cost a
 * stop ~0.4 ms on its way to the lock's release (docs/decisions.md).
 */
export function ownChildren(): number[] {
  const kids: number[] = [];
  let text: string;
  try {
    text = readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8');
  } catch {
    return kids;
  }
  for (const word of text.split(' ')) {
    const pid = Number(word);
    if (pid > 0) kids.push(pid);
  }
  return kids;
}

/** Reap every exited child that `keep` does not claim; returns how many were reaped. */
export function reapAdopted(keep: (pid: number) => boolean): number {
  let reaped = 0;
  for (const pid of ownChildren()) {
    if (keep(pid) || readProcStat(pid)?.state !== 'Z') continue;
    if (reap(pid)) reaped++;
  }
  return reaped;
}

/** Reap adopted orphans whenever a child exits. Returns the function that stops it. */
export function startReaper(keep: (pid: number) => boolean): () => void {
  const onChild = (): void => void reapAdopted(keep);
  process.on('SIGCHLD', onChild);
  onChild();
  return () => void process.off('SIGCHLD', onChild);
}
