/**
 * Run one COMMAND under supervision: spawn it (or adopt the one the daemon started before node
 * booted) in its own session and process group, declare it started after the grace period,
 * record how it ended, and stop its whole group on request.
 * Used by the detached supervisor and by foreground `run` alike.
 */
import { defaultSchedule, runSchedule, type StopSchedule } from '../config/schedule.js';
import type { CommandSpec } from '../config/spec.js';
import type { ExitRecord } from '../service/state.js';
import { isAlive, readProcStat, startTimeMs } from '../sys/proc.js';
import { ownChildren } from './reaper.js';
import { spawnCommand, watchChild, type Child } from '../spawn/child.js';
import { signalGroup, waitGroupGone, type Group } from '../sys/group.js';

export interface Supervision {
  child: Child;
  group: Group;
  startedAt: number;
  /** Resolves after the grace period with true, or false if the COMMAND ended first. */
  started: Promise<boolean>;
  /** Resolves when the COMMAND has exited and no member of its group is left. */
  ended: Promise<ExitRecord>;
  /** Run a stop schedule on the group; true once everything is gone. `asStop: false`: the
   *  exit is not recorded as caused by a stop (the restart policy still applies). */
  stop(schedule?: StopSchedule, options?: { asStop?: boolean }): Promise<boolean>;
  stopping(): boolean;
  /** The COMMAND (the group's leader) has exited; members of its group may be left. */
  leaderExited(): boolean;
}

/** A COMMAND already running as our child: spawned by the daemon's first act (see start.ts). */
export interface Adopted {
  pid: number;
}

/** Where the COMMAND's output goes: the fds it writes to, and a way to take in its last words. */
export interface CommandOutput {
  /** fds 1, 2, … of the COMMAND: stdout, stderr, then any more (-1: a gap, closed). */
  fds: number[];
  /** Called when the COMMAND has exited, before its exit is acted on. */
  drain(): void;
}

export function startCommand(
  spec: CommandSpec,
  output: CommandOutput,
  adopted?: Adopted,
  options: { subreaper?: boolean; shared?: unknown } = {},
): Supervision {
  // One of many services of one process: its exit seen through SIGCHLD (spawn/child-watch.ts).
  const child = adopted
    ? watchChild(adopted.pid)
    : spawnCommand(spec, output.fds, options.shared !== undefined);
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
    output.drain();
    return {
      code,
      signal,
      at: Date.now(),
      uptimeMs: Date.now() - startedAt,
      byStop: stopRequested,
    };
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

  // Once the leader has exited, one look at what is left of its group: `ended` and a running
  // schedule both need it, and a scan of /proc each would sit on a stop's path twice.
  const goneAtExit = leaderExit.then(() => waitGroupGone(group, leaderExit, () => true, 0));

  /** A schedule's wait: for the leader's exit and that look, then (members left) for them. */
  const waitGone = async (ms: number): Promise<boolean> => {
    const deadline = Date.now() + ms;
    if (!exited) {
      let timer: NodeJS.Timeout | undefined;
      const gone = await Promise.race([
        goneAtExit,
        new Promise<null>((resolve) => (timer = setTimeout(resolve, ms, null))),
      ]);
      clearTimeout(timer);
      if (gone !== false) return gone === true; // null: the time ran out first
    }
    return waitGroupGone(group, leaderExit, () => exited, Math.max(0, deadline - Date.now()));
  };

  // Every request runs its own schedule: a second `stop --retry KILL/5` after a first one ran
  // out must still act. Schedules running side by side only repeat idempotent signals.
  const stop = (
    schedule: StopSchedule = defaultSchedule(),
    options: { asStop?: boolean } = {},
  ): Promise<boolean> => {
    // not for a COMMAND ended for not becoming ready
    if (options.asStop !== false) stopRequested = true;
    return runSchedule(schedule, {
      send: (signal) => void signalGroup(group, signal, exited),
      waitGone,
    });
  };

  // When the COMMAND ends on its own, what it left in its group is stopped too (systemd's
  // KillMode=control-group): a service never leaves orphans behind.
  const ended = goneAtExit.then(async (gone) => {
    if (!gone) await stop();
    return leaderExit;
  });

  return {
    child,
    group,
    startedAt,
    started,
    ended,
    stop,
    stopping: () => stopRequested,
    leaderExited: () => exited,
  };
}
