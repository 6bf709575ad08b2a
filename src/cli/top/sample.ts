/**
 * One refresh of `top`: every service's status as `list` reads it (listServices, one scan of
 * /proc), with its COMMAND's process group's CPU time and memory (VmRSS) as `status` gives them.
 */
import { join } from 'node:path';
import { listServices } from '../../ops/list.js';
import { checkName, servicePaths, type ServicePaths } from '../../config/paths.js';
import type { ServiceStatus } from '../../service/status.js';
import type { History } from './history.js';
import type { Row } from './layout.js';

export interface Service {
  status: ServiceStatus;
  /** How a command names it (`--name web` or `--pidfile /run/x.pid`); null: it cannot be acted
   *  on. */
  identity: ['--name' | '--pidfile', string] | null;
  paths: ServicePaths | null;
  row: Row;
}

/** The service's identity, from what listServices says of it. */
export function identityOf(s: ServiceStatus, home: string): Service['identity'] {
  if (checkName(s.name) === null && s.pidfile === join(home, s.name, 'pid'))
    return ['--name', s.name];
  if (s.pidfile.startsWith('/') && s.name === s.pidfile) return ['--pidfile', s.pidfile];
  return null; // a service whose files are another user's: untrusted, left alone
}

/** The COMMAND's pid: the supervisor's child, or a library daemon itself (it is its own
 *  COMMAND). */
const commandPid = (s: ServiceStatus): number | null =>
  s.childPid ?? (s.running && s.cpuMs !== null ? s.pid : null);

export function sample(home: string, history: History, at = Date.now()): Service[] {
  const statuses = listServices(home);
  const services = statuses.map((status): Service => {
    const pid = commandPid(status);
    const known = pid !== null && status.cpuMs !== null && status.rssBytes !== null;
    const cpuPct = history.add(
      status.name,
      known ? { commandPid: pid, cpuMs: status.cpuMs!, rssBytes: status.rssBytes! } : null,
      at,
    );
    const identity = identityOf(status, home);
    return {
      status,
      identity,
      paths: identity
        ? servicePaths(
            identity[0] === '--name' ? { name: identity[1] } : { pidfile: identity[1] },
            home,
          )
        : null,
      row: {
        name: status.name,
        state: status.state,
        pid: status.pid,
        uptimeMs: status.uptimeMs,
        restarts: status.restarts,
        cpuPct,
        memBytes: known ? status.rssBytes : null,
        cpuHistory: history.cpu(status.name),
        memHistory: history.mem(status.name),
      },
    };
  });
  history.keepOnly(new Set(statuses.map((s) => s.name)));
  return services;
}
