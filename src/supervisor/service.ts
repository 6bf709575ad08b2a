/**
 * A supervised service's life, shared by the detached supervisor and foreground `run`, and the
 * entry point for running one: runService(). It takes the lock, opens the service's files (log
 * pipes, notify socket), runs its state machine (runner.ts) until there is nothing left to
 * supervise, and releases all of it. Nothing here is process-wide: signals, exit and the reaper
 * are the caller's (supervisor/main.ts, cli/run.ts, daemon/supervised.ts), so one process may run
 * several services, each awaiting its own `done`.
 */
import { unlinkSync } from 'node:fs';
import { DaemonError, isDaemonError } from '../errors/errors.js';
import { createPipes, LogCapture } from '../logs/write/capture.js';
import { NotifyListener } from '../notify/listener.js';
import type { ServicePaths } from '../config/paths.js';
import { acquirePidLock, ensureDir, removePidfile, writePidfile } from '../service/pidfile.js';
import { defaultSchedule, type StopSchedule } from '../config/schedule.js';
import type { CommandSpec } from '../config/spec.js';
import { writeSpec } from '../service/spec-file.js';
import { serviceFacts } from '../service/service-facts.js';
import type { ExitRecord } from '../service/state.js';
import { setCloexec } from '../sys/native.js';
import type { Inherited, ServiceEvent } from './events.js';
import type { ServiceIO } from './launch.js';
import { NotifyHub, openNotifyListener } from '../notify/hub.js';
import {
  requestPending,
  takeReopenRequest,
  takeRollRequest,
  takeStopRequest,
  type RollRequest,
} from '../service/requests.js';
import { instancePrefix } from '../logs/write/capture.js';
import { Instances } from './instances.js';
import { closeListeners, openListeners, ownershipOf, type Listener } from '../spawn/listen.js';
import type { StateRecord } from './state-record.js';
import type { Supervision } from './supervise.js';

export { reportTo, type Inherited, type ServiceEvent } from './events.js';

export interface ServiceRun {
  /** Resolves with the COMMAND's last exit, or null when it never ran (lock lost, spawn failed). */
  done: Promise<ExitRecord | null>;
  /** Ask for a stop: the schedule from a fresh stop request, else `fallback` (default schedule).
   *  `by`: who asks, for the log (`SIGTERM`); a stop request names its own command. */
  requestStop(fallback?: StopSchedule, by?: string): void;
  /** Our signal handlers are in place: say so, and act on a stop request left while we booted. */
  handlingSignals(): void;
  /** Close and reopen the log files (SIGUSR1, `daemonkit reopen`). */
  reopenLogs(): void;
  /** `daemonkit reopen` asked (and the request is now taken): the SIGUSR1 is for us. */
  takeReopenRequest(): boolean;
  supervision(): Supervision | null;
  /** Every COMMAND the service runs now (instances, a roll's two): the reaper leaves them be. */
  commandPids(): number[];
  /** A `restart --rolling` asked (its request is taken now, and acted on): the SIGUSR1 is for
   *  it. */
  rollIfAsked(): boolean;
  /** Once done: what the log files could not take at the end (see LogCapture.close), or null. */
  logLost(): string | null;
}

export interface ServiceOptions {
  subreaper?: boolean;
  ownStderr?: boolean;
  forwardNotify?: (text: string) => void;
}

export function runService(
  paths: ServicePaths,
  spec: CommandSpec,
  notify: (event: ServiceEvent) => void,
  inherited?: Inherited,
  options: ServiceOptions = {},
): ServiceRun {
  const cleanup = (): void => removePidfile(paths.pidfile, process.pid); // the lock goes at exit
  const runner = new Instances(paths, spec, { notify, cleanup });
  const record = runner.record;
  // With --grace 0 an inherited COMMAND is already started: the launcher said so in the state.
  if (inherited && spec.graceMs === 0 && !spec.ready) runner.dispatch({ type: 'announced' });
  let capture: LogCapture | null = null;
  // --listen: held from the start to the end of the service, whatever its COMMANDs do.
  let listeners: readonly Listener[] = [];

  const done = (async (): Promise<ExitRecord | null> => {
    if (inherited) {
      setCloexec(inherited.lockFd); // ours for life, never the COMMAND's
    } else if (!acquirePidLock(paths.lockfile)) {
      notify({ type: 'already-running' });
      return null;
    }
    record.own();
    let hub: NotifyHub | null = null;
    try {
      prepareFiles(paths, spec, inherited);
      capture = new LogCapture(
        spec,
        inherited?.pipes ?? createPipes(spec),
        (message) => record.save({ logError: message ?? undefined }),
        {
          ownStderr: options.ownStderr ?? false,
          ...((spec.instances ?? 1) > 1 ? { linePrefix: instancePrefix(0) } : {}),
        },
      );
      if (capture.error) record.save({ logError: capture.error });
      hub = openHub(paths, spec, inherited, options, record, runner);
      // The launcher bound them (ops/start.ts); foreground `run` binds them here, under the lock.
      if (inherited?.listen) for (const l of inherited.listen) setCloexec(l.fd);
      listeners = inherited?.listen ?? openListeners(spec.listen ?? [], ownershipOf(spec));
      notify({ type: 'locked' });
      const io: ServiceIO & { capture: LogCapture } = { spec, capture, hub, listeners, options };
      runner.start(io, inherited?.adopted, inherited?.readyFd);
      await runner.finished;
      return record.lastExit();
    } catch (error) {
      const err = isDaemonError(error)
        ? error
        : new DaemonError('SPAWN_FAILED', (error as Error).message);
      cleanup();
      notify({ type: 'start-failed', error: err });
      return null;
    } finally {
      runner.close();
      // Every line the COMMAND wrote is in the file before we say we are done; what a file
      // still failing at the end (a full disk) could not take is counted in the state.
      const lost = capture?.close() ?? null;
      hub?.close();
      closeListeners(listeners); // and their unix: socket files
      record.close(lost); // while we still hold the lock
      cleanup();
    }
  })();

  return {
    done,
    requestStop(fallback = defaultSchedule(), by?: string) {
      if (!record.owns) return;
      const requested = takeStopRequest(paths.stopRequest);
      runner.dispatch({
        type: 'stop',
        request: requested !== null,
        forRestart: requested?.forRestart ?? false,
        schedule: requested?.schedule ?? fallback,
        by: requested ? `daemonkit ${requested.forRestart ? 'restart' : 'stop'}` : by,
      });
    },
    handlingSignals() {
      if (!record.owns) return;
      record.save({ handlesSignals: true });
      // Requests left for us while node booted (their senders do not signal until we say so).
      if (takeReopenRequest(paths.reopenRequest)) this.reopenLogs();
      if (requestPending(paths.stopRequest)) this.requestStop();
      this.rollIfAsked();
    },
    rollIfAsked() {
      if (!record.owns) return false;
      const request = takeRollRequest(paths.rollRequest);
      if (!request) return false;
      void rollService(paths, runner, request);
      return true;
    },
    commandPids: () => runner.commandPids(),
    reopenLogs() {
      this.takeReopenRequest();
      if (!record.owns || !capture) return;
      capture.reopen();
      record.save({ logsReopenedAt: Date.now(), logError: capture.error ?? undefined });
    },
    takeReopenRequest() {
      return takeReopenRequest(paths.reopenRequest) && record.owns;
    },
    supervision: () => runner.supervision(),
    logLost: () => record.logLost(),
  };
}

/** A rolling restart, its outcome in the state file (`restart --rolling` waits for it there);
 *  the new spec recorded once every instance runs it. */
async function rollService(
  paths: ServicePaths,
  instances: Instances,
  request: RollRequest,
): Promise<void> {
  const { record } = instances;
  record.save({ roll: { at: request.at, outcome: 'rolling' } });
  const outcome = await instances.roll(request.spec, request.schedule);
  if (outcome.ok) {
    try {
      writeSpec(paths, request.spec);
    } catch {
      // the service runs the new spec; a later `restart` without a COMMAND starts the last one
    }
    record.save({
      roll: { at: request.at, outcome: 'done' },
      command: request.spec.command,
      ...serviceFacts(request.spec),
    });
    return;
  }
  const which = outcome.instance !== undefined ? `instance ${outcome.instance}: ` : '';
  record.save({
    roll: {
      at: request.at,
      outcome: 'failed',
      error: `${which}${outcome.reason}`,
      stderrTail: outcome.stderrTail,
    },
  });
}

/** The service's files, unless the launcher made them: the pidfile and the spec; a stop request
 *  from an earlier life does not apply. */
function prepareFiles(paths: ServicePaths, spec: CommandSpec, inherited?: Inherited): void {
  ensureDir(paths.statefile);
  if (inherited) return;
  writePidfile(paths.pidfile, process.pid);
  writeSpec(paths, spec);
  try {
    unlinkSync(paths.stopRequest);
  } catch {
    // none
  }
}

/** --ready notify: the service's sd_notify socket (the launcher's, if it made one). */
function openHub(
  paths: ServicePaths,
  spec: CommandSpec,
  inherited: Inherited | undefined,
  options: ServiceOptions,
  record: StateRecord,
  runner: Instances,
): NotifyHub | null {
  if (spec.ready?.kind !== 'notify') return null;
  const listener = inherited?.notify
    ? NotifyListener.adopt(inherited.notify)
    : openNotifyListener(paths.dir, spec.runAs?.drop ? spec.runAs : undefined);
  if (inherited?.notify)
    for (const fd of [inherited.notify.fd, inherited.notify.wake]) setCloexec(fd);
  return new NotifyHub(
    listener,
    {
      status: (text) => record.status(text),
      extend: (ms) => runner.extendReady(ms),
      ...(options.forwardNotify ? { forward: options.forwardNotify } : {}),
    },
    spec.runAs?.drop ? spec.runAs.uid : process.getuid!(),
  );
}
