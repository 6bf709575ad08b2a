/**
 * `reopen`: make the supervisor close and reopen its log files (logrotate's `create` +
 * postrotate). Returns once the supervisor says it has done so, so a postrotate that compresses
 * the old file next does not race lines still being written to it.
 */
import { closeSync } from 'node:fs';
import { dirname } from 'node:path';
import { DaemonError } from '../errors/errors.js';
import type { ServicePaths } from '../config/paths.js';
import { inspectLaunched, runningDaemon } from './signal-target.js';
import { readState } from '../service/state.js';
import { pidfdOpen, pidfdSignal } from '../sys/native.js';
import { readProcStat } from '../sys/proc.js';
import { signalNumber } from '../sys/group.js';
import { withdrawRequest, writeRequest } from '../service/requests.js';
import { lookUntil } from '../sys/watch.js';

export async function reopenLogs(paths: ServicePaths, timeoutMs = 5000): Promise<{ pid: number }> {
  const insp = await inspectLaunched(paths, timeoutMs); // a start still launching: its daemon's
  if (insp.launching)
    throw new DaemonError(
      'NOT_RUNNING',
      `${paths.display} is still starting (no daemon named yet): no log files of its to reopen`,
    );
  const pid = runningDaemon(paths, insp);
  const st = insp.state;
  if (st?.kind !== 'supervisor' || st.pid !== pid) {
    throw new DaemonError(
      'UNSUPPORTED',
      `${paths.display} is a library daemon without a supervisor: it writes its own output, there are no log files of ours to reopen`,
    );
  }
  const sentAt = writeRequest(paths.reopenRequest, 'reopen');
  const withdraw = (): void => withdrawRequest(paths.reopenRequest);
  // A project's shared supervisor is asked over its socket: a SIGUSR1 would reopen every
  // service's files.
  if (st.shared)
    await (await import('./shared.js')).reopenShared(paths).catch((error: unknown) => {
      withdraw();
      throw error;
    });
  // A supervisor still booting would take SIGUSR1 as node's "open the inspector": leave the
  // request only; it acts on it once its handlers are in place (as with stop).
  else if (st.handlesSignals) {
    const fd = pidfdOpen(pid);
    try {
      // with the pidfd open the pid cannot be recycled under us
      const proc = readProcStat(pid);
      if (
        !proc ||
        (st.pidStartTime !== undefined && proc.startTime !== st.pidStartTime) ||
        !pidfdSignal(fd, signalNumber('SIGUSR1'))
      ) {
        throw new DaemonError('NOT_RUNNING', `${paths.display} is not running`);
      }
    } catch (error) {
      withdraw();
      throw error;
    } finally {
      closeSync(fd);
    }
  }
  await waitForState(paths, (s) => (s?.logsReopenedAt ?? 0) >= sentAt, timeoutMs);
  const after = readState(paths.statefile);
  if ((after?.logsReopenedAt ?? 0) < sentAt) {
    withdraw(); // a request left behind would turn a later SIGUSR1 under `run` into a reopen
    throw new DaemonError(
      'LOG_FAILED',
      `${paths.display} did not confirm reopening its logs within ${timeoutMs / 1000} s`,
    );
  }
  if (after?.logError) throw new DaemonError('LOG_FAILED', `${paths.display}: ${after.logError}`);
  return { pid };
}

/** Wait (on directory events, bounded) until the state file satisfies `done`. */
async function waitForState(
  paths: ServicePaths,
  done: (state: ReturnType<typeof readState>) => boolean,
  timeoutMs: number,
): Promise<void> {
  await lookUntil(dirname(paths.statefile), timeoutMs, () =>
    done(readState(paths.statefile)) ? true : undefined,
  );
}
