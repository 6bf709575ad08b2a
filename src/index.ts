/** daemonkit's library: the Daemon class, daemonize(), and the service operations the CLI uses. */
export { Daemon, type DaemonOptions } from './daemon/daemon.js';
export { daemonize, type DaemonizeOptions, type LaunchResult } from './daemon/daemonize.js';
export type { DaemonContext } from './daemon/context.js';
export { DaemonError, isDaemonError, type DaemonErrorCode } from './errors.js';
export { exitCodeFor, EXIT, type Action } from './exit-codes.js';
export { servicePaths, daemonkitHome, type ServicePaths } from './paths.js';
export { parseSchedule, defaultSchedule, formatSchedule, type StopSchedule } from './schedule.js';
export { startService, type StartResult } from './start.js';
export { stopService, type StopOptions, type StopResult } from './stop.js';
export { serviceStatus, type ServiceStatus } from './status.js';
export { reloadService } from './reload.js';
export { buildCommandSpec } from './resolve.js';
export { validateStart, validateStop, validateIdentity, Problems } from './options.js';
export { removeService, type RemoveResult } from './remove.js';
export { mergeOptions, optionsFromRecord } from './restart-merge.js';
export { restartService, type RestartOptions, type RestartResult } from './restart.js';
export { readSpec, type RecordedSpec } from './spec-file.js';
export { readEnvRecord } from './env-record.js';
