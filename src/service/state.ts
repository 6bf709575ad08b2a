/**
 * The service's state file: what the supervisor knows, written atomically (temp + rename) so a
 * reader never sees half a record. Read-only commands only read it.
 */
import { closeSync, fchmodSync, openSync, unlinkSync, writeSync, constants as C } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { replaceFile } from '../sys/native.js';
import { readProcStat } from '../sys/proc.js';
import { DaemonError } from '../errors/errors.js';
import { EXIT } from '../errors/exit-codes.js';
import { readOwnedFile } from '../files/owner.js';
import type { ServiceFacts } from './service-facts.js';

export type RunState =
  | 'starting'
  | 'running'
  | 'backoff'
  | 'stopping'
  | 'stopped'
  | 'exited'
  | 'failed';

export interface ExitRecord {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number; // ms since the epoch
  uptimeMs: number;
  byStop: boolean; // caused by `stop`: not a failure
}

/** A COMMAND's end as an exit code, as a shell gives it: its code, or 128+N for death by signal N. */
export function exitCodeOf(exit: ExitRecord): number {
  if (exit.signal) return 128 + ((constants.signals as Record<string, number>)[exit.signal] ?? 0);
  return exit.code ?? EXIT.GENERIC;
}

/** One COMMAND of a service that has several at once (`--instances`, a rolling restart's
 *  overlap): its instance, its part (`current`, the `new` one of a roll starting beside it, an
 *  `old` one being stopped after a roll), its state; pid null while it waits to restart. */
export interface CommandRecord {
  instance: number;
  role: 'current' | 'new' | 'old';
  state: RunState;
  pid: number | null;
  pgid?: number;
  startTime?: number; // the leader's /proc start time: identity (a stop after our death)
  startedAt?: number;
  restarts: number;
}

/** The last rolling restart asked for (`restart --rolling` waits for its outcome here). */
export interface RollRecord {
  /** The request's time: whose outcome this is. */
  at: number;
  outcome: 'rolling' | 'done' | 'failed';
  error?: string;
  /** The new COMMAND's last stderr lines, when it failed. */
  stderrTail?: string[];
}

export interface ServiceState extends Partial<ServiceFacts> {
  version: 1;
  kind: 'supervisor' | 'library';
  state: RunState;
  pid: number; // the daemon (supervisor) pid
  pidStartTime?: number; // its /proc start time (clock ticks): identity
  /** The supervisor handles its signals. Until then (node still booting) stop requests are
   *  left in stop.json for it to find, never sent as a signal that would kill it. */
  handlesSignals?: boolean;
  /** The supervisor's fd (and the pipe's inode) that it closes right after its lock, when the
   *  service is done: a `stop` waits on it (service/release.ts). */
  releaseFd?: number;
  releaseIno?: number;
  /** The fd through which `pid` holds the service's lock: where a reader looks first (a hint,
   *  checked as the walk of its fds would check it). */
  lockFd?: number;
  /** `pid` is a project's shared supervisor, which runs other services too: never signalled for
   *  this one (requests go over its control socket), and the pidfile names the COMMAND. */
  shared?: boolean;
  /** A COMMAND forked and about to exec when this was written (it execs only once this is
   *  written): its group. The rest of the record says either what held before it (`starting`)
   *  or what holds once it has exec'd and started: until it has exec'd (the kernel's
   *  PF_FORKNOEXEC), readers show it as starting (status-figures.ts asOfNow). */
  spawning?: { pgid: number; startTime: number };
  childPid?: number; // the COMMAND
  childPgid?: number;
  childStartTime?: number;
  childStartedAt?: number; // ms since the epoch
  restarts?: number;
  /** The last exits, oldest first (lastExit is the final one). */
  exits?: ExitRecord[];
  command?: string[];
  /** The pidfile's path, so `list` can find services known by their pidfile alone. */
  pidfile?: string;
  startedAt: number;
  updatedAt: number;
  lastExit?: ExitRecord;
  /** The options the service was started with, so `restart` can start it the same way. */
  spec?: Record<string, unknown>;
  error?: string;
  /** The COMMAND's last STATUS= (sd_notify), with --ready notify. */
  notifyStatus?: string;
  /** What keeps the logs from being written right now (disk full, file unwritable). */
  logError?: string;
  /** Output the supervisor could not write when it ended (the log file still failing), in words. */
  logLost?: string;
  /** When the log files were last reopened (SIGUSR1 / `daemonkit reopen`), ms since the epoch. */
  logsReopenedAt?: number;
  /** The last stop whose schedule ran out with the COMMAND still running (it goes on running). */
  stopRanOut?: { schedule: string; at: number };
  /** In a backoff wait: when the next restart is due, ms since the epoch. */
  nextRestartAt?: number;
  /** Each COMMAND, when there are several (--instances, a rolling restart's overlap). */
  commands?: CommandRecord[];
  roll?: RollRecord;
}

/** The temp name a process writes `path` through (and where writeState's `keepOld` leaves the
 *  file it replaced). */
export const stateTemp = (path: string, pid = process.pid): string => `${path}.${pid}.tmp`;

/**
 * Write the state whole: a temp file, then an exchange of names. `keepOld` (the writer that
 * writes it all along, state-record.ts): the file replaced is left at the temp name instead of
 * removed (returns true when it was), and removed by the next write (`kept`) or by
 * removeKeptState: a file removed makes each file made after it slower on a busy ext4 (see
 * docs/decisions.md), and a start of many services is where that counts. It is never written
 * into again: a reader may still be reading it.
 */
export function writeState(
  path: string,
  state: ServiceState,
  { keepOld = false, kept = false }: { keepOld?: boolean; kept?: boolean } = {},
): boolean {
  const tmp = stateTemp(path);
  if (kept) removeKeptState(path);
  try {
    // (After a kept file: a new one, never the kept one should its removal have failed.)
    const fresh = kept ? C.O_EXCL : C.O_TRUNC;
    const fd = openSync(tmp, C.O_WRONLY | C.O_CREAT | fresh | C.O_NOFOLLOW, 0o644);
    try {
      fchmodSync(fd, 0o644); // as documented, whatever the writer's umask
      const data = Buffer.from(`${JSON.stringify({ ...state, updatedAt: Date.now() })}\n`);
      writeSync(fd, data);
      // No fsync: the rename (an exchange of names, see replaceFile) already makes it
      // all-or-nothing for readers, and the state describes processes, which a power cut ends
      // too; an fsync would sit on the stop path for nothing.
    } finally {
      closeSync(fd);
    }
    return replaceFile(tmp, path, keepOld);
  } catch (error) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing left behind
    }
    throw new DaemonError(
      'STATE_WRITE_FAILED',
      `cannot write state file ${path}: ${(error as Error).message}`,
      { path },
      { cause: error },
    );
  }
}

/** A file a `keepOld` write left at a temp name (`state.json.PID.tmp`), or a record's temp file
 *  (`spec.json.PID.tmp`, `env.json.PID.tmp`: files/record-file.ts), of a process that is gone
 *  (killed before its last write), removed: called by a start, under the lock, on each entry of
 *  the service's directory. A live PID's is left alone: it may be writing. Best effort: what is
 *  not a file of that name (a directory someone made there) is left as it is. */
export function removeDeadKeptState(dir: string, entry: string): void {
  const m = /^(?:state|spec|env)\.json\.([0-9]+)\.tmp$/.exec(entry);
  const pid = m ? Number(m[1]) : 0;
  if (pid <= 0 || pid === process.pid) return;
  const st = readProcStat(pid); // a zombie is gone too (its parent may not have reaped it yet)
  if (st !== null && st.state !== 'Z' && st.state !== 'X') return;
  try {
    unlinkSync(join(dir, entry)); // a directory is not unlinked (EISDIR): left alone
  } catch {
    // gone already, or not a file
  }
}

/** The file a `keepOld` write left at our temp name, removed. */
export function removeKeptState(path: string): void {
  try {
    unlinkSync(stateTemp(path));
  } catch {
    // gone already
  }
}

/**
 * The last state written, or null when there is none or it is unreadable. It names pids and a
 * process group to stop: one owned by another user than the caller or root is refused
 * (UNSAFE_PIDFILE), and a symbolic link is not followed.
 */
export function readState(path: string): ServiceState | null {
  return parseState(readOwnedFile(path, 'state file'));
}

/** A state file's text taken as a state: null when it is none (absent, not JSON, another
 *  version). */
export function parseState(text: string | null): ServiceState | null {
  if (text === null) return null;
  try {
    const parsed = JSON.parse(text) as ServiceState;
    return parsed && parsed.version === 1 ? parsed : null;
  } catch {
    return null;
  }
}
