/**
 * Children watched through SIGCHLD, for a process with many (a project's shared supervisor): the
 * usual watch (child.ts) holds one of libuv's thread-pool threads in a poll for each child's life,
 * and the pool has 4 — with more children than that, the others' exits would never be seen (and
 * file work in the pool would wait too). Here one SIGCHLD handler asks the kernel about each
 * watched child (waitid WNOHANG: one cheap syscall each), and a ref'd timer keeps the event loop
 * alive while any is watched, as the poll did.
 */
import { constants } from 'node:os';
import { waitChild } from '../sys/native.js';
import type { ChildExit } from './child.js';

const SIGNAL_NAMES = new Map(
  Object.entries(constants.signals).map(([name, num]) => [num, name as NodeJS.Signals]),
);

/** A reaped child's status (waitChild's) as its exit: the signal by name. */
export function exitOf(status: { code: number | null; signal: number | null }): ChildExit {
  return {
    code: status.code,
    signal: status.signal === null ? null : (SIGNAL_NAMES.get(status.signal) ?? null),
  };
}

const watched = new Map<number, (exit: ChildExit) => void>();
let keepAlive: NodeJS.Timeout | null = null;
let listening = false;

/** Reaped (and its watcher told) if it has exited: true; false while it runs. */
function lookAt(pid: number, done: (exit: ChildExit) => void): boolean {
  let status: { code: number | null; signal: number | null } | null;
  try {
    status = waitChild(pid);
  } catch {
    status = { code: null, signal: null }; // reaped elsewhere: its status is lost
  }
  if (status === null) return false; // still running
  watched.delete(pid);
  done(exitOf(status));
  return true;
}

function look(): void {
  for (const [pid, done] of watched) lookAt(pid, done);
  idle();
}

function idle(): void {
  if (watched.size === 0 && keepAlive) {
    clearInterval(keepAlive);
    keepAlive = null;
  }
}

/** The exit of a child of ours, reaped once it has exited. */
export function watchBySignal(pid: number): Promise<ChildExit> {
  return new Promise((resolve) => {
    watched.set(pid, resolve);
    if (!listening) {
      process.on('SIGCHLD', look);
      listening = true;
    }
    keepAlive ??= setInterval(() => undefined, 1 << 30);
    // It may have ended before we listened; the others are the handler's (asking about each of
    // them here made n starts cost n²/2 waitids: 20,100 for `up` of 200).
    if (lookAt(pid, resolve)) idle();
  });
}
