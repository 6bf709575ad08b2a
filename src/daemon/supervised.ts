/**
 * A Daemon with a restart policy: the daemon process supervises a worker copy of the program
 * (the same node flags, script and arguments, marked DAEMONKIT_WORKER) that runs run(), and
 * restarts it by the policy — exactly what `daemonkit start --restart` does for a COMMAND.
 * Detached (a launcher waits on `channel`) or in the foreground (new-style: channel null).
 * A service manager hears from this process, the main one: READY=1 once the worker counts as
 * started, STOPPING=1, RELOADING=1/READY=1 around passing SIGHUP on, and the watchdog pings.
 */
import type { DaemonChannel } from '../spawn/attach.js';
import type { DaemonError } from '../errors/errors.js';
import type { ValidStart } from '../config/options.js';
import type { ServicePaths } from '../config/paths.js';
import type { CommandSpec } from '../config/spec.js';
import { reportTo, runService } from '../supervisor/service.js';
import { routeServiceSignals } from '../supervisor/service-signals.js';
import type { DaemonPayload } from './daemonize.js';
import { linkServiceManager } from '../notify/systemd.js';
import { transformsLogs } from '../config/log-policy.js';
import { writeEnvRecord } from '../config/env-record.js';

export const WORKER_MARKER = 'DAEMONKIT_WORKER';

/** True in the worker copy (the marker is removed, so nothing the worker starts inherits it). */
export function takeWorkerMarker(env: NodeJS.ProcessEnv = process.env): boolean {
  const worker = env[WORKER_MARKER] === '1';
  delete env[WORKER_MARKER];
  return worker;
}

/** Resolves once the service has ended; `started: false` when another instance held the lock. */
export async function superviseWorker(
  channel: DaemonChannel | null,
  valid: ValidStart,
  paths: ServicePaths,
): Promise<{ started: boolean }> {
  const payload = channel
    ? (channel.payload as DaemonPayload)
    : { chdir: process.cwd(), umask: currentUmask() };
  const manager = linkServiceManager(); // before the worker's environment is copied from ours
  const spec = workerSpec(channel, valid, paths, payload);
  const tell = channel ? reportTo(channel) : null;
  const outcome: { failure: DaemonError | null; already: boolean } = {
    failure: null,
    already: false,
  };
  // Routed before the worker is started: a signal is acted on from the event loop, once the
  // service below exists (sys/signals.ts), so none finds the worker running and us without a
  // handler. SIGHUP reaches the worker (its onReload()) between RELOADING=1 and READY=1.
  const signals = routeServiceSignals({
    onStop: () => manager.stopping(),
    reload: (pass) => void manager.reload(pass).catch(() => undefined),
  });
  const running = runService(
    paths,
    spec,
    (event) => {
      tell?.(event);
      // The lock is ours: the environment we were started with, for `restart()` (env.json).
      if (event.type === 'running') writeEnvRecord(paths, process.env);
      if (event.type === 'running') manager.ready();
      else if (event.type === 'start-failed') outcome.failure = event.error;
      else if (event.type === 'already-running') outcome.already = true;
    },
    undefined,
    { ownStderr: Boolean(channel) },
  );
  signals.attach(running);
  try {
    await running.done;
  } finally {
    signals.unroute();
    manager.stopping();
    manager.close();
  }
  // the launcher was told; in the foreground, our caller is
  if (outcome.failure && !channel) throw outcome.failure;
  return { started: !outcome.already };
}

/** The worker: this same program, with our environment and the marker, run by the policy. */
function workerSpec(
  channel: DaemonChannel | null,
  valid: ValidStart,
  paths: ServicePaths,
  payload: Pick<DaemonPayload, 'chdir' | 'umask'>,
): CommandSpec {
  // In the foreground the worker writes where we do (the journal), as under `run`.
  const stdout = channel ? (valid.stdout ?? paths.logfile) : null;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  env[WORKER_MARKER] = '1';
  return {
    command: [process.execPath, ...process.execArgv, '--', ...process.argv.slice(1)],
    chdir: payload.chdir,
    umask: payload.umask,
    stdin: valid.stdin,
    stdout,
    stderr: channel ? (valid.stderr ?? stdout) : null,
    env,
    envOverrides: [],
    graceMs: valid.graceMs,
    restart: valid.restart,
    ...(valid.limits.length ? { limits: valid.limits } : {}),
    ...(valid.nice !== undefined ? { nice: valid.nice } : {}),
    ...(transformsLogs(valid.logs) ? { logs: valid.logs } : {}),
  };
}

/** The umask we run with (reading it means setting it: put it straight back). */
function currentUmask(): number {
  const mask = process.umask(0o022);
  process.umask(mask);
  return mask;
}
