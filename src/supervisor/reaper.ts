/**
 * Reaping adopted orphans. As PID 1 (a container) or a child subreaper, we inherit every
 * orphaned descendant, and Node reaps only what libuv spawned: without this they stay zombies.
 * Our own COMMAND is left alone: its watcher (child.ts) reaps it and keeps its exit status.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { reap } from '../sys/native.js';
import { readProcStat } from '../sys/proc.js';

/** Children of this process, from /proc/self/task/<tid>/children (Linux ≥ 3.5). */
export function ownChildren(): number[] {
  const kids: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return kids;
  }
  for (const task of tasks) {
    try {
      for (const word of readFileSync(`/proc/self/task/${task}/children`, 'utf8').split(' ')) {
        const pid = Number(word);
        if (pid > 0) kids.push(pid);
      }
    } catch {
      // the thread ended meanwhile
    }
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
