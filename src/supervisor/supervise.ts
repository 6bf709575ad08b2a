/**
 * Run one COMMAND under supervision: spawn it (or adopt the one the daemon started before node
 * booted) in its own session and process group, declare it started after the grace period,
 * record how it ended, and stop its whole group on request.
 * Used by the detached supervisor and by foreground `run` alike.
 */
import { closeSync, constants as C, fstatSync, openSync, readSync } from 'node:fs';
import { defaultSchedule, runSchedule, type StopSchedule } from '../schedule.js';
import type { CommandSpec } from '../spec.js';
import type { ExitRecord } from '../state.js';
import { isAlive, readProcStat, startTimeMs } from '../sys/proc.js';
import { ownChildren } from './reaper.js';
import { spawnCommand, watchChild, type Child } from './child.js';
import { signalGroup, waitGroupGone, type Group } from './group.js';

export interface Supervision {
  child: Child;
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

/** A COMMAND already running as our child: spawned by the daemon's first act (see start.ts). */
export interface Adopted {
  pid: number;
  stderrOffset: number;
}

export function startCommand(spec: CommandSpec, adopted?: Adopted, options: { subreaper?: boolean } = {}): Supervision {
  const { child, stderrOffset } = adopted ? { child: watchChild(adopted.pid), stderrOffset: adopted.stderrOffset } : spawnCommand(spec);
  const proc = readProcStat(child.pid);
  const group: Group = { pgid: child.pid, leaderStartTime: proc?.startTime ?? 0 };
  if (options.subreaper) {
    group.adopted = () => ownChildren().filter((pid) => pid !== child.pid && isAlive(pid));
  }
  const startedAt = proc ? startTimeMs(proc) : Date.now();
  let exited = false;
  let stopRequested = false;
  const leaderExit = child.exited.then(({ code, signal }): ExitRecord => {
    exited = true;
    return { code, signal, at: Date.now(), uptimeMs: Date.now() - startedAt, byStop: stopRequested };
  });

  const started = new Promise<boolean>((resolve) => {
    const left = spec.graceMs - (Date.now() - startedAt);
    if (spec.graceMs === 0) return resolve(true);
    const timer = setTimeout(() => resolve(!exited), Math.max(0, left));
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
