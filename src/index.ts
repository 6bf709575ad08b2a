/** daemonkit's library: the Daemon class, daemonize(), and the service operations the CLI uses. */
export { Daemon, type DaemonOptions } from './daemon/daemon.js';
export { daemonize, type DaemonizeOptions, type LaunchResult } from './daemon/daemonize.js';
export type { DaemonContext } from './daemon/context.js';
export { DaemonError, isDaemonError, type DaemonErrorCode } from './errors/errors.js';
export { exitCodeFor, EXIT, type Action } from './errors/exit-codes.js';
export { servicePaths, daemonkitHome, type ServicePaths } from './config/paths.js';
export {
  parseSchedule,
  defaultSchedule,
  formatSchedule,
  type StopSchedule,
} from './config/schedule.js';
export { startService, type StartResult } from './ops/start.js';
export { stopService, type StopOptions, type StopResult } from './ops/stop.js';
export { serviceStatus, type ServiceStatus } from './service/status.js';
export { reloadService } from './ops/reload.js';
export { buildCommandSpec } from './config/resolve.js';
export { validateStart, validateStop, validateIdentity, Problems } from './config/options.js';
export { removeService, type RemoveResult } from './ops/remove.js';
export { mergeOptions, optionsFromRecord } from './ops/restart-merge.js';
export { restartService, type RestartOptions, type RestartResult } from './ops/restart.js';
export { readSpec, type RecordedSpec } from './service/spec-file.js';
export { readEnvRecord } from './service/spec-file.js';
export { listenFds, type ListenFd } from './daemon/listen-fds.js';
