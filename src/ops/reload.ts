/** `reload`: send a signal (default SIGHUP) to the service's COMMAND, verified first. */
import { closeSync } from 'node:fs';
import { DaemonError } from '../errors/errors.js';
import { inspectService } from '../service/inspect.js';
import { noSuchService } from '../service/known.js';
import { refuseUnsafePidfile } from '../service/pidfile.js';
import type { ServicePaths } from '../config/paths.js';
import { pidfdOpen, pidfdSignal } from '../sys/native.js';
import { readProcStat } from '../sys/proc.js';
import { signalNumber } from '../sys/group.js';

export function reloadService(
  paths: ServicePaths,
  signal: NodeJS.Signals = 'SIGHUP',
): { pid: number } {
  const notRunning = (what = 'is not running'): DaemonError =>
    new DaemonError('NOT_RUNNING', `${paths.display} ${what}`);
  refuseUnsafePidfile(paths.pidfile);
  const insp = inspectService(paths);
  // A start still launching has no COMMAND of a named daemon yet; its holder is not to be
  // signalled.
  if (insp.launching)
    throw notRunning('is still starting (no daemon named yet): there is no COMMAND to signal');
  // Never started (a mistyped name): said so, not "not running".
  if (!insp.running || insp.pid === null) throw noSuchService(paths) ?? notRunning();
  if (insp.unverified) {
    throw new DaemonError(
      'NO_PERMISSION',
      `${paths.display} (pid ${insp.pid}) belongs to another user: it cannot be verified or signalled from here: permission denied`,
    );
  }
  const st = insp.state;
  const supervised = st?.kind === 'supervisor' && st.pid === insp.pid;
  const target = supervised ? st.childPid : insp.pid;
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
      (!proc ||
        proc.ppid !== insp.pid ||
        proc.startTime !== st.childStartTime ||
        proc.state === 'Z')
    ) {
      throw notRunning('has no running command');
    }
    if (!pidfdSignal(fd, signalNumber(signal))) throw notRunning();
  } finally {
    closeSync(fd);
  }
  return { pid: target };
}
