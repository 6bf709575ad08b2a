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

/** What is known of the COMMAND as it runs. */
interface Seen {
  /** Its leader has exited. */
  exited: boolean;
  /** A stop was asked for (its exit is then recorded as caused by one). */
  stopRequested: boolean;
}

export interface SuperviseOptions {
  /** We are a subreaper: orphans re-parented to us are this COMMAND's to stop. */
  subreaper?: boolean;
  /** The service's other COMMANDs (their pids, which are their groups' ids). */
  spare?: () => number[];
  /** One of many services of one process: its exit seen through SIGCHLD (spawn/child-watch.ts). */
  shared?: unknown;
  /** Told the COMMAND's pid before it execs: it runs only once this has named it in a file. */
  forked?: (pid: number, facts: ForkedFacts) => void;
}

/** A COMMAND forked, not yet exec'd: its start time (clock ticks) and the `startedAt` its
 *  Supervision will say (computed once: a second computation may differ by a tick). */
export interface ForkedFacts {
  startTime: number;
  startedAt: number;
}

/** The COMMAND's process group (with --subreaper, also the orphans it leaves to us). */
function groupOf(child: Child, startTime: number, options: SuperviseOptions): Group {
  const group: Group = { pgid: child.pid, leaderStartTime: startTime };
  if (options.subreaper) {
    // Orphans re-parented to us, not the service's other COMMANDs (instances, a roll's other
    // one), nor what is still in their groups.
    group.adopted = () => {
      const spare = new Set(options.spare?.() ?? []);
      return ownChildren().filter(
        (pid) =>
          pid !== child.pid &&
          !spare.has(pid) &&
          !spare.has(readProcStat(pid)?.pgrp ?? -1) &&
          isAlive(pid),
      );
    };
  }
  return group;
}

/** True after the grace period, false if the COMMAND ended first. */
function afterGrace(
  graceMs: number,
  startedAt: number,
  leaderExit: Promise<unknown>,
  seen: Seen,
): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const left = graceMs - (Date.now() - startedAt);
    if (graceMs === 0) return resolve(true);
    const timer = setTimeout(() => resolve(!seen.exited), Math.max(0, left));
    void leaderExit.then(() => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

/** A schedule's wait: for the leader's exit and the look at its group then (`goneAtExit`), then
 *  (members left) for them. */
function waitGoneOf(
  group: Group,
  leaderExit: Promise<unknown>,
  goneAtExit: Promise<boolean>,
  seen: Seen,
): (ms: number) => Promise<boolean> {
  return async (ms) => {
    const deadline = Date.now() + ms;
    if (!seen.exited) {
      let timer: NodeJS.Timeout | undefined;
      const gone = await Promise.race([
        goneAtExit,
        new Promise<null>((resolve) => (timer = setTimeout(resolve, ms, null))),
      ]);
      clearTimeout(timer);
      if (gone !== false) return gone === true; // null: the time ran out first
    }
    return waitGroupGone(group, leaderExit, () => seen.exited, Math.max(0, deadline - Date.now()));
  };
}

export function startCommand(
  spec: CommandSpec,
  output: CommandOutput,
  adopted?: Adopted,
  options: SuperviseOptions = {},
): Supervision {
  let facts: ForkedFacts | null = null;
  const forked =
    options.forked &&
    ((pid: number): void => {
      const st = readProcStat(pid);
      if (!st) return; // not ours to name: it never execs without us (spawnProcess)
      facts = { startTime: st.startTime, startedAt: startTimeMs(st) };
      options.forked!(pid, facts);
    });
  const child = adopted
    ? watchChild(adopted.pid)
    : spawnCommand(spec, output.fds, options.shared !== undefined, forked);
  const known = facts as ForkedFacts | null; // set by `forked`, which ran during the spawn
  const proc = known ? null : readProcStat(child.pid);
  const group = groupOf(child, known?.startTime ?? proc?.startTime ?? 0, options);
  const startedAt = known?.startedAt ?? (proc ? startTimeMs(proc) : Date.now());
  const seen: Seen = { exited: false, stopRequested: false };
  const leaderExit = child.exited.then(({ code, signal }): ExitRecord => {
    seen.exited = true;
    output.drain();
    return {
      code,
      signal,
      at: Date.now(),
      uptimeMs: Date.now() - startedAt,
      byStop: seen.stopRequested,
    };
  });
  const started = afterGrace(spec.graceMs, startedAt, leaderExit, seen);
  // Once the leader has exited, one look at what is left of its group: `ended` and a running
  // schedule both need it, and a scan of /proc each would sit on a stop's path twice.
  const goneAtExit = leaderExit.then(() => waitGroupGone(group, leaderExit, () => true, 0));
  const waitGone = waitGoneOf(group, leaderExit, goneAtExit, seen);

  // Every request runs its own schedule: a second `stop --retry KILL/5` after a first one ran
  // out must still act. Schedules running side by side only repeat idempotent signals.
  const stop = (
    schedule: StopSchedule = defaultSchedule(),
    options: { asStop?: boolean } = {},
  ): Promise<boolean> => {
    // not for a COMMAND ended for not becoming ready
    if (options.asStop !== false) seen.stopRequested = true;
    return runSchedule(schedule, {
      send: (signal) => void signalGroup(group, signal, seen.exited),
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
    stopping: () => seen.stopRequested,
    leaderExited: () => seen.exited,
  };
}
