/** What an earlier life of the service may have left, cleared by a start under the lock. */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ServicePaths } from '../config/paths.js';
import { defaultSchedule } from '../config/schedule.js';
import { DaemonError } from '../errors/errors.js';
import { removeLeftSocketDir } from '../notify/socket-dir.js';
import { LAUNCH_MARKER_PREFIX } from '../service/inspect.js';
import { describeOrphan, findOrphan, stopOrphan } from '../service/orphan.js';
import { readState, removeDeadKeptState } from '../service/state.js';

/**
 * A stop or reopen request that was never taken (its supervisor died first; a new supervisor
 * would act on it), a notify socket directory of a supervisor that was killed, the launch marker
 * of a start that was killed, the old state a killed supervisor left at its temp name (state.ts).
 */
export function clearLeftovers(paths: ServicePaths): void {
  for (const file of [paths.stopRequest, paths.reopenRequest, paths.rollRequest])
    rmSync(file, { force: true });
  let entries: string[] = [];
  try {
    entries = readdirSync(paths.dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.startsWith('dk-notify-')) removeLeftSocketDir(join(paths.dir, entry));
    removeDeadKeptState(paths.dir, entry);
    // A launcher's marker left by one that was killed (ours is kept: we are launching).
    if (entry.startsWith(LAUNCH_MARKER_PREFIX) && entry !== `${LAUNCH_MARKER_PREFIX}${process.pid}`)
      rmSync(join(paths.dir, entry), { force: true });
  }
}

/** A COMMAND left running by a supervisor that was killed must not get a twin. */
export async function stopLeftCommand(paths: ServicePaths): Promise<void> {
  const recorded = readState(paths.statefile);
  const orphan = findOrphan(recorded);
  if (orphan && recorded && !(await stopOrphan(paths, recorded, orphan, defaultSchedule()))) {
    throw new DaemonError(
      'START_FAILED',
      `${paths.display}: ${describeOrphan(orphan)}, and it would not stop`,
    );
  }
}
