/**
 * Run one COMMAND under supervision: spawn it in its own session and process group, declare
 * it started after the grace period, record how it ended, and stop its whole group on request.
 * Used by the detached supervisor and by foreground `run` alike.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants as C, fstatSync, openSync, readSync } from 'node:fs';
import { DaemonError, errnoCode } from '../errors.js';
import { openAppend } from '../detach/launch.js';
import { defaultSchedule, runSchedule, type StopSchedule } from '../schedule.js';
import type { CommandSpec } from '../spec.js';
import type { ExitRecord } from '../state.js';
import { readProcStat } from '../sys/proc.js';
import { signalGroup, waitGroupGone, type Group } from './group.js';

export interface Supervision {
  child: ChildProcess;
  group: Group;
  startedAt: number;
  /** Resolves after the grace period with true, or false if the COMMAND ended first. */
  started: Promise<boolean>;
  /** Resolves when the COMMAND has exited and no member of its group is left. */
  ended: Promise<ExitRecord>;
  /** Run a stop schedule on the group; true once everything is gone. */
  stop(schedule?: StopSchedule): Promise<boolean>;
  stopping(): boolean;
  /** The last lines of the COMMAND's stderr written since it started (its log file). */
  stderrTail(lines?: number): string[];
}

/** Spawn the COMMAND. Throws COMMAND_NOT_FOUND / SPAWN_FAILED synchronously-ish (awaited). */
export async function startCommand(spec: CommandSpec): Promise<Supervision> {
  const fds: number[] = [];
  const stdinFd = openSync(spec.stdin, C.O_RDONLY | C.O_NOCTTY | C.O_NONBLOCK);
  fds.push(stdinFd);
  const stdoutFd = spec.stdout === null ? 'inherit' : openAppend(spec.stdout);
  if (typeof stdoutFd === 'number') fds.push(stdoutFd);
  const stderrFd = spec.stderr === null ? 'inherit' : spec.stderr === spec.stdout ? stdoutFd : openAppend(spec.stderr);
  if (typeof stderrFd === 'number' && stderrFd !== stdoutFd) fds.push(stderrFd);
  const stderrOffset = typeof stderrFd === 'number' ? fstatSync(stderrFd).size : 0;

  const [file, ...args] = spec.command as [string, ...string[]];
  const previousUmask = process.umask(spec.umask); // inherited at fork; restored right after
  let child: ChildProcess;
  try {
    child = spawn(file, args, {
      cwd: spec.chdir,
      env: spec.env,
      stdio: [stdinFd, stdoutFd, stderrFd],
      detached: true, // own session and process group, no controlling terminal
    });
  } finally {
    process.umask(previousUmask);
    for (const fd of fds) closeSync(fd);
  }

  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) => {
      const code = errnoCode(error);
      if (code === 'ENOENT' || code === 'EACCES' || code === 'ENOEXEC' || code === 'ENOTDIR') {
        reject(new DaemonError('COMMAND_NOT_FOUND', `cannot execute ${file}: ${code === 'ENOENT' ? 'no such file' : 'permission denied'}`, { path: file }));
      } else {
        reject(new DaemonError('SPAWN_FAILED', `cannot start ${file}: ${error.message}`, { path: file }, { cause: error }));
      }
    });
  });

  const pid = child.pid!;
  const group: Group = { pgid: pid, leaderStartTime: readProcStat(pid)?.startTime ?? 0 };
  const startedAt = Date.now();
  let exited = false;
  let stopRequested = false;
  const leaderExit = new Promise<ExitRecord>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal, at: Date.now(), uptimeMs: Date.now() - startedAt, byStop: stopRequested });
    });
  });

  const started = new Promise<boolean>((resolve) => {
    if (spec.graceMs === 0) return resolve(true);
    const timer = setTimeout(() => resolve(!exited), spec.graceMs);
    void leaderExit.then(() => {
      clearTimeout(timer);
      resolve(false);
    });
  });

  // Every request runs its own schedule: a second `stop --retry KILL/5` after a first one ran
  // out must still act. Schedules running side by side only repeat idempotent signals.
  const stop = (schedule: StopSchedule = defaultSchedule()): Promise<boolean> => {
    stopRequested = true;
    return runSchedule(schedule, {
      send: (signal) => void signalGroup(group, signal, exited),
      waitGone: (ms) => waitGroupGone(group, leaderExit, () => exited, ms),
    });
  };

  // When the COMMAND ends on its own, what it left in its group is stopped too (systemd's
  // KillMode=control-group): a service never leaves orphans behind.
  const ended = leaderExit.then(async (record) => {
    if (!(await waitGroupGone(group, leaderExit, () => true, 0))) await stop();
    return record;
  });

  return {
    child, group, startedAt, started, ended, stop,
    stopping: () => stopRequested,
    stderrTail: (lines = 10) => (spec.stderr === null ? [] : tailSince(spec.stderr, stderrOffset, lines)),
  };
}

/** The last `lines` lines written to `path` after `offset` (bounded read: the final 8 KiB). */
export function tailSince(path: string, offset: number, lines: number): string[] {
  let fd: number;
  try {
    fd = openSync(path, C.O_RDONLY | C.O_NONBLOCK);
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const from = Math.max(offset, size - 8192);
    const buf = Buffer.alloc(Math.max(0, size - from));
    const n = buf.length ? readSync(fd, buf, 0, buf.length, from) : 0;
    const text = buf.subarray(0, n).toString('utf8').replace(/\n$/, '');
    return text === '' ? [] : text.split('\n').slice(-lines);
  } finally {
    closeSync(fd);
  }
}
