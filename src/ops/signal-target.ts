/**
 * Where stop, reload and reopen begin: the pidfile refused when it cannot be trusted, the service
 * inspected (a start still launching waited for, where the command waits), and a daemon of another
 * user refused: its /proc entries cannot be read, so it is never taken for ours and signalled.
 */
import { DaemonError } from '../errors/errors.js';
import { awaitDaemonPid, inspectService, type Inspection } from '../service/inspect.js';
import { noSuchService } from '../service/known.js';
import type { ServicePaths } from '../config/paths.js';
import { refuseUnsafePidfile } from '../service/pidfile.js';

/** The service as a command that signals it finds it. */
export function inspectTarget(paths: ServicePaths): Inspection {
  refuseUnsafePidfile(paths.pidfile);
  return inspectService(paths);
}

/** As inspectTarget, after waiting up to `ms` for a start still launching to name its daemon:
 *  until then the lock's holder is that start's own process, which must not be signalled. */
export async function inspectLaunched(paths: ServicePaths, ms: number): Promise<Inspection> {
  const insp = inspectTarget(paths);
  if (!insp.launching) return insp;
  await awaitDaemonPid(paths, ms);
  return inspectService(paths);
}

/** NO_PERMISSION for a daemon of another user. */
export function refuseForeign(paths: ServicePaths, insp: Inspection): void {
  if (insp.unverified) {
    throw new DaemonError(
      'NO_PERMISSION',
      `${paths.display} (pid ${insp.pid}) belongs to another user: it cannot be verified or signalled from here: permission denied`,
      { pid: insp.pid },
    );
  }
}

/** The pid of the running daemon, ours: else NOT_RUNNING (NO_SUCH_SERVICE for a name never
 *  started: a typo is said so), or NO_PERMISSION for another user's. */
export function runningDaemon(paths: ServicePaths, insp: Inspection): number {
  if (!insp.running || insp.pid === null)
    throw noSuchService(paths) ?? new DaemonError('NOT_RUNNING', `${paths.display} is not running`);
  refuseForeign(paths, insp);
  return insp.pid;
}
