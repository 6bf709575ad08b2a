/** `list` and `status -f FILE`: services with their statuses, from one scan of /proc. Read-only. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkName, type ServicePaths, servicePaths } from '../config/paths.js';
import { readState } from '../service/state.js';
import { isDaemonError } from '../errors/errors.js';
import { serviceStatus, untrustedStatus, type ServiceStatus } from '../service/status.js';
import { withOneProcScan } from '../sys/proc.js';

/** Every service's status, their process groups read from one scan of /proc. */
export function listServices(home: string): ServiceStatus[] {
  return withOneProcScan(() => listNow(home));
}

function listNow(home: string): ServiceStatus[] {
  let entries: string[];
  try {
    entries = readdirSync(home);
  } catch {
    return []; // no home yet: no services
  }
  const out: ServiceStatus[] = [];
  for (const name of entries.sort()) {
    if (name === '.pidfile') {
      // Services known by their pidfile alone: their state records the pidfile's path.
      let hashes: string[] = [];
      try {
        hashes = readdirSync(join(home, name));
      } catch {
        // none
      }
      for (const hash of hashes) {
        const statefile = join(home, name, hash, 'state.json');
        let pidfile: string | undefined;
        try {
          pidfile = readState(statefile)?.pidfile;
        } catch (error) {
          // Another user's state file: its pidfile path is not believed either.
          if (!isDaemonError(error)) throw error;
          out.push(untrustedStatus(statefile, '-', error.message));
        }
        if (typeof pidfile === 'string') out.push(serviceStatus(servicePaths({ pidfile }, home)));
      }
    } else if (checkName(name) === null) {
      out.push(serviceStatus(servicePaths({ name }, home)));
    }
  }
  return out;
}

/** The statuses of these services (`status -f FILE`), their processes read from one scan. */
export function statusesOf(services: ServicePaths[]): ServiceStatus[] {
  return withOneProcScan(() => services.map((paths) => serviceStatus(paths)));
}
