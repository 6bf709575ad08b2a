/**
 * A Daemon with a restart policy: the daemon process supervises a worker copy of the program
 * (the same node flags, script and arguments, marked DAEMONKIT_WORKER) that runs run(), and
 * restarts it by the policy — exactly what `daemonkit start --restart` does for a COMMAND.
 */
import type { DaemonChannel } from '../detach/attach.js';
import type { ValidStart } from '../options.js';
import type { ServicePaths } from '../paths.js';
import type { CommandSpec } from '../spec.js';
import { reportTo, runService } from '../supervisor/service.js';
import type { DaemonPayload } from './daemonize.js';

export const WORKER_MARKER = 'DAEMONKIT_WORKER';

/** True in the worker copy (the marker is removed, so nothing the worker starts inherits it). */
export function takeWorkerMarker(env: NodeJS.ProcessEnv = process.env): boolean {
  const worker = env[WORKER_MARKER] === '1';
  delete env[WORKER_MARKER];
  return worker;
}

export async function superviseWorker(channel: DaemonChannel, valid: ValidStart, paths: ServicePaths): Promise<void> {
  const payload = channel.payload as DaemonPayload;
  const stdout = valid.stdout ?? paths.logfile;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  env[WORKER_MARKER] = '1';
  const spec: CommandSpec = {
    command: [process.execPath, ...process.execArgv, '--', ...process.argv.slice(1)],
    chdir: payload.chdir, umask: payload.umask, stdin: valid.stdin, stdout, stderr: valid.stderr ?? stdout,
    env, envOverrides: [], graceMs: valid.graceMs, restart: valid.restart,
    ...(valid.limits.length ? { limits: valid.limits } : {}),
    ...(valid.nice !== undefined ? { nice: valid.nice } : {}),
    ...(valid.logs.timestamps || valid.logs.maxSize !== null ? { logs: valid.logs } : {}),
  };
  const service = runService(paths, spec, reportTo(channel), undefined, { ownStderr: true });
  const stop = (): void => service.requestStop();
  const reload = (): void => {
    const pid = service.supervision()?.child.pid;
    if (pid) process.kill(pid, 'SIGHUP'); // onReload() runs in the worker
  };
  const reopen = (): void => service.reopenLogs();
  process.on('SIGTERM', stop).on('SIGINT', stop).on('SIGQUIT', stop).on('SIGHUP', reload).on('SIGUSR1', reopen);
  service.handlingSignals();
  try {
    await service.done;
  } finally {
    process.off('SIGTERM', stop).off('SIGINT', stop).off('SIGQUIT', stop).off('SIGHUP', reload).off('SIGUSR1', reopen);
  }
}
