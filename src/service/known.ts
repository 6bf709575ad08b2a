/**
 * Is there such a service at all? A mistyped --name (or a service under another user's
 * DAEMONKIT_HOME) gets "no such service", not "not running (never started)". Every start makes
 * the service's directory before anything else, so a service that ever existed has one.
 */
import { lstatSync } from 'node:fs';
import { DaemonError, errnoCode } from '../errors/errors.js';
import type { ServicePaths } from '../config/paths.js';

/** There, or cannot be told (a directory we may not search): only a clear "no" counts as absent. */
function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (error) {
    const code = errnoCode(error);
    return code !== 'ENOENT' && code !== 'ENOTDIR';
  }
}

export function serviceKnown(paths: ServicePaths): boolean {
  return present(paths.dir) || present(paths.pidfile) || present(paths.lockfile);
}

/** The error to give for a service that does not exist; null when it does. */
export function noSuchService(paths: ServicePaths): DaemonError | null {
  if (serviceKnown(paths)) return null;
  // `stop all` (as PM2 has it): the word is a name here, and said to be none.
  const all =
    paths.name === 'all' ? "; daemonkit has no 'all': `daemonkit list` shows the services" : '';
  const where =
    paths.name !== undefined
      ? ` (nothing at ${paths.dir}${all})`
      : ` (no such pidfile, and nothing at ${paths.dir})`;
  return new DaemonError('NO_SUCH_SERVICE', `no such service ${paths.display}${where}`, {
    path: paths.dir,
  });
}
