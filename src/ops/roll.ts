/**
 * `restart --rolling`: the running supervisor starts the new COMMAND beside the old one (with the
 * same sockets) and stops the old one once the new one is ready; the request travels as a stop's
 * does (service/requests.ts, then SIGUSR1 as `reopen`), and its outcome comes back in the state
 * file. What the supervisor holds for the service's life (sockets, log files, the notify socket,
 * its instances) cannot change this way. Not running: a plain start.
 */
import { closeSync } from 'node:fs';
import { dirname } from 'node:path';
import { DaemonError } from '../errors/errors.js';
import type { ServicePaths } from '../config/paths.js';
import { formatSchedule, scheduleDurationMs, type StopSchedule } from '../config/schedule.js';
import type { CommandSpec } from '../config/spec.js';
import { formatListen } from '../config/listen-addr.js';
import { readSpec, type RecordedSpec } from '../service/spec-file.js';
import { readState, type RollRecord } from '../service/state.js';
import { withdrawRequest, writeRequest } from '../service/requests.js';
import { pidfdOpen, pidfdSignal, pidfdWaitSync } from '../sys/native.js';
import { readProcStat } from '../sys/proc.js';
import { signalNumber } from '../sys/group.js';
import { lookUntil } from '../sys/watch.js';
import { inspectLaunched, runningDaemon } from './signal-target.js';
import { stopAndStart, type RestartResult } from './restart.js';

/** Slack beyond the new COMMANDs' readiness waits (spawns, state writes, a busy machine). */
const MARGIN_MS = 10_000;
/** How often the supervisor's life is looked at while waiting for the outcome. */
const SUPERVISOR_LOOK_MS = 250;

/** The options a running supervisor holds, by name, that `spec` changes from `recorded`. */
export function heldChanges(recorded: RecordedSpec, spec: CommandSpec): string[] {
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  const listen = (spec.listen ?? []).map(formatListen);
  const changed: [string, boolean][] = [
    ['--listen', !same(listen, recorded.listen ?? [])],
    ['--listen-mode', listen.length > 0 && spec.listenMode !== recorded.listenMode],
    ['--stdout', spec.stdout !== recorded.stdout],
    ['--stderr', spec.stderr !== recorded.stderr],
    ['the log options', !same(spec.logs ?? null, recorded.logs ?? null)],
    ['--ready notify', (spec.ready?.kind === 'notify') !== (recorded.ready?.kind === 'notify')],
    ['--instances', (spec.instances ?? 1) !== (recorded.instances ?? 1)],
  ];
  return changed.filter(([, yes]) => yes).map(([name]) => name);
}

export interface RollResult extends RestartResult {
  /** false: it was not running, and was started. */
  rolled: boolean;
}

export async function rollingRestart(
  paths: ServicePaths,
  spec: CommandSpec,
  schedule: StopSchedule,
  options: { block?: boolean } = {},
): Promise<RollResult> {
  const insp = await inspectLaunched(paths, 10_000);
  if (!insp.running) {
    const started = await stopAndStart(paths, spec, schedule, options);
    return { ...started, rolled: false };
  }
  const pid = runningDaemon(paths, insp);
  const st = insp.state;
  if (st?.kind !== 'supervisor' || st.pid !== pid)
    throw new DaemonError(
      'UNSUPPORTED',
      `${paths.display} is a library daemon without a supervisor: there is no one to start its new COMMAND beside the old one (restart without --rolling)`,
    );
  const recorded = readSpec(paths);
  const held = recorded ? heldChanges(recorded, spec) : [];
  if (held.length > 0)
    throw new DaemonError(
      'BAD_OPTION',
      `${paths.display}: restart --rolling cannot change ${held.join(', ')}: the running supervisor holds them for the service's life (restart without --rolling)`,
    );
  const { waitForRestartLock } = await import('../service/pidfile.js');
  const lock = waitForRestartLock(paths.restartLock);
  try {
    return await ask(paths, pid, st.pidStartTime, Boolean(st.handlesSignals), spec, schedule);
  } finally {
    closeSync(lock);
  }
}

async function ask(
  paths: ServicePaths,
  pid: number,
  startTime: number | undefined,
  handlesSignals: boolean,
  spec: CommandSpec,
  schedule: StopSchedule,
): Promise<RollResult> {
  const fd = pidfdOpen(pid);
  try {
    const at = writeRequest(paths.rollRequest, 'rolling restart', {
      spec,
      schedule: formatSchedule(schedule),
    });
    // A supervisor still booting finds the request once its handlers are in place (as `reopen`).
    const proc = readProcStat(pid);
    if (
      !proc ||
      (startTime !== undefined && proc.startTime !== startTime) ||
      (handlesSignals && !pidfdSignal(fd, signalNumber('SIGUSR1')))
    ) {
      withdrawRequest(paths.rollRequest);
      throw new DaemonError('NOT_RUNNING', `${paths.display} is not running`);
    }
    // The outcome is written to the state file; a supervisor that dies writes nothing: its
    // pidfd is looked at too, every SUPERVISOR_LOOK_MS.
    const outcome = await lookUntil(
      dirname(paths.statefile),
      boundMs(spec, schedule),
      () => {
        const roll = readState(paths.statefile)?.roll;
        if (roll?.at === at && roll.outcome !== 'rolling') return roll;
        if (pidfdWaitSync([fd], 0) === 0) return 'gone' as const;
        return undefined;
      },
      SUPERVISOR_LOOK_MS,
    );
    return result(paths, outcome);
  } finally {
    closeSync(fd);
  }
}

function result(paths: ServicePaths, outcome: RollRecord | 'gone' | undefined): RollResult {
  if (outcome === undefined) {
    withdrawRequest(paths.rollRequest);
    throw new DaemonError(
      'START_FAILED',
      `${paths.display}: the rolling restart did not end in time (see daemonkit logs)`,
    );
  }
  if (outcome === 'gone')
    throw new DaemonError(
      'START_FAILED',
      `${paths.display}: its supervisor ended during the rolling restart`,
    );
  if (outcome.outcome === 'failed')
    throw new DaemonError(
      'START_FAILED',
      `${paths.display}: rolling restart failed: ${outcome.error ?? 'no reason given'}`,
      { stderrTail: outcome.stderrTail ?? [] },
    );
  const now = readState(paths.statefile);
  return { started: true, pid: now?.childPid ?? null, notes: [], rolled: true };
}

/** How long a roll may take: each instance's new COMMAND its readiness wait (or grace). */
function boundMs(spec: CommandSpec, schedule: StopSchedule): number {
  const each = spec.ready ? (spec.readyTimeoutMs ?? 60_000) : spec.graceMs;
  return (spec.instances ?? 1) * (each + MARGIN_MS) + scheduleDurationMs(schedule) + MARGIN_MS;
}
