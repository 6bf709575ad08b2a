/** `reload`: send a signal (default SIGHUP) to the service's COMMAND, verified first. */
import { closeSync } from 'node:fs';
import { DaemonError } from '../errors/errors.js';
import type { ServicePaths } from '../config/paths.js';
import { inspectTarget, runningDaemon } from './signal-target.js';
import { pidfdOpen, pidfdSignal } from '../sys/native.js';
import { readProcStat } from '../sys/proc.js';
import { signalNumber } from '../sys/group.js';

export function reloadService(
  paths: ServicePaths,
  signal: NodeJS.Signals = 'SIGHUP',
): { pid: number } {
  const notRunning = (what = 'is not running'): DaemonError =>
    new DaemonError('NOT_RUNNING', `${paths.display} ${what}`);
  const insp = inspectTarget(paths);
  // A start still launching has no COMMAND of a named daemon yet; its holder is not to be
  // signalled.
  if (insp.launching)
    throw notRunning('is still starting (no daemon named yet): there is no COMMAND to signal');
  const pid = runningDaemon(paths, insp);
  const st = insp.state;
  const supervised = st?.kind === 'supervisor' && st.pid === pid;
  const target = supervised ? st.childPid : pid;
  if (!target) throw notRunning('has no running command');
  let fd: number;
  try {
    fd = pidfdOpen(target);
  } catch {
    throw notRunning('has no running command');
  }
  try {
    // Checked with the pidfd open, so the pid cannot be recycled under us: the COMMAND is the
    // supervisor's child with the start time the supervisor recorded.
    const proc = readProcStat(target);
    if (
      supervised &&
      (!proc || proc.ppid !== pid || proc.startTime !== st.childStartTime || proc.state === 'Z')
    ) {
      throw notRunning('has no running command');
    }
    if (!pidfdSignal(fd, signalNumber(signal))) throw notRunning();
  } finally {
    closeSync(fd);
  }
  return { pid: target };
}
