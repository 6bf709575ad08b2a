/** `list` and `status -f FILE`: services with their statuses, from one scan of /proc. Read-only. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkName, type ServicePaths, servicePaths } from '../config/paths.js';
import { readState } from '../service/state.js';
import { isDaemonError } from '../errors/errors.js';
import { serviceStatus, untrustedStatus, type ServiceStatus } from '../service/status.js';
import { withOneProcScan } from '../sys/proc.js';
import { prefetchFor } from '../service/inspect-quick.js';

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
  // Each entry: a service to look at, or the status of one whose state is not believed.
  const found: (ServicePaths | ServiceStatus)[] = [];
  for (const name of entries.sort()) {
    if (name === '.pidfile') found.push(...pidfileServices(join(home, name), home));
    else if (checkName(name) === null) found.push(servicePaths({ name }, home));
  }
  prefetchFor(found.filter(isPaths));
  return found.map((f) => (isPaths(f) ? serviceStatus(f) : f));
}

const isPaths = (f: ServicePaths | ServiceStatus): f is ServicePaths => 'statefile' in f;

/** Services known by their pidfile alone: their state records the pidfile's path. */
function pidfileServices(dir: string, home: string): (ServicePaths | ServiceStatus)[] {
  let hashes: string[] = [];
  try {
    hashes = readdirSync(dir);
  } catch {
    // none
  }
  const out: (ServicePaths | ServiceStatus)[] = [];
  for (const hash of hashes) {
    const statefile = join(dir, hash, 'state.json');
    let pidfile: string | undefined;
    try {
      pidfile = readState(statefile)?.pidfile;
    } catch (error) {
      // Another user's state file: its pidfile path is not believed either.
      if (!isDaemonError(error)) throw error;
      out.push(untrustedStatus(statefile, '-', error.message));
    }
    if (typeof pidfile === 'string') out.push(servicePaths({ pidfile }, home));
  }
  return out;
}

/** The statuses of these services (`status -f FILE`), their processes read from one scan. */
export function statusesOf(services: ServicePaths[]): ServiceStatus[] {
  return withOneProcScan(() => {
    prefetchFor(services);
    return services.map((paths) => serviceStatus(paths));
  });
}
