/**
 * A supervised service's life, shared by the detached supervisor and foreground `run`, and the
 * entry point for running one: runService(). It takes the lock, opens the service's files (log
 * pipes, notify socket), runs its state machine (runner.ts) until there is nothing left to
 * supervise, and releases all of it. Nothing here is process-wide: signals, exit and the reaper
 * are the caller's (supervisor/main.ts, cli/run.ts, daemon/supervised.ts), so one process may run
 * several services, each awaiting its own `done`.
 */
import { closeSync, unlinkSync } from 'node:fs';
import { DaemonError, isDaemonError } from '../errors/errors.js';
import { createPipes, LogCapture } from '../logs/write/capture.js';
import { NotifyListener } from '../notify/listener.js';
import type { ServicePaths } from '../config/paths.js';
import { acquirePidLock, ensureDir, removePidfile, writePidfile } from '../service/pidfile.js';
import { defaultSchedule, type StopSchedule } from '../config/schedule.js';
import type { CommandSpec } from '../config/spec.js';
import { writeSpec } from '../service/spec-file.js';
import type { ExitRecord } from '../service/state.js';
import { setCloexec } from '../sys/native.js';
import type { Inherited, ServiceEvent } from './events.js';
import type { ServiceIO } from './launch.js';
import { NotifyHub, openNotifyListener } from '../notify/hub.js';
import { requestPending, takeReopenRequest, takeStopRequest } from '../service/requests.js';
import { Runner } from './runner.js';
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
  /** Once done: what the log files could not take at the end (see LogCapture.close), or null. */
  logLost(): string | null;
}

export interface ServiceOptions {
  subreaper?: boolean;
  ownStderr?: boolean;
  forwardNotify?: (text: string) => void;
  /** One of several services of one process (a project's shared supervisor). */
  shared?: SharedService;
  /** Before each line that goes to our own stdout/stderr (a project in the foreground). */
  prefix?: string;
}

/**
 * A service run beside others: a signal to the process is no signal to it, so its pidfile names
 * its COMMAND (written at each launch, removed at each exit) and never this process, which a
 * third-party `kill $(cat pidfile)` would take for the service. Its lock was taken by the caller
 * (`lockFd`) and is released once it is done: the process goes on with the others.
 */
export interface SharedService {
  lockFd: number;
  /** Told of each COMMAND launched and ended (the caller's reaper leaves them alone). */
  command?: (pid: number, running: boolean) => void;
}

export function runService(
  paths: ServicePaths,
  spec: CommandSpec,
  notify: (event: ServiceEvent) => void,
  inherited?: Inherited,
  options: ServiceOptions = {},
): ServiceRun {
  const shared = options.shared;
  let commandPid = 0; // shared: the pid the pidfile names
  const cleanup = (): void => removePidfile(paths.pidfile, shared ? commandPid : process.pid); // the lock goes at exit
  const command = (pid: number, running: boolean): void => {
    shared?.command?.(pid, running);
    if (!shared) return;
    // The COMMAND's pid while it runs, none between two: never a pid that may be reused.
    commandPid = running ? pid : 0;
    try {
      if (running) writePidfile(paths.pidfile, pid);
      else removePidfile(paths.pidfile, pid);
    } catch {
      // best effort, as the state file is once running: the service goes on
    }
  };
  const runner = new Runner(paths, spec, { notify, cleanup, command });
  const record = runner.record;
  // With --grace 0 an inherited COMMAND is already started: the launcher said so in the state.
  if (inherited && spec.graceMs === 0 && !spec.ready) runner.dispatch({ type: 'announced' });
  let capture: LogCapture | null = null;
  // --listen: held from the start to the end of the service, whatever its COMMANDs do.
  let listeners: readonly Listener[] = [];

  const done = (async (): Promise<ExitRecord | null> => {
    if (inherited) {
      setCloexec(inherited.lockFd); // ours for life, never the COMMAND's
    } else if (!shared && !acquirePidLock(paths.lockfile)) {
      notify({ type: 'already-running' });
      return null;
    }
    record.own();
    if (shared) record.save({ shared: true });
    let hub: NotifyHub | null = null;
    try {
      prepareFiles(paths, spec, inherited, !!shared);
      capture = new LogCapture(
        spec,
        inherited?.pipes ?? createPipes(spec, options.prefix !== undefined),
        (message) => record.save({ logError: message ?? undefined }),
        {
          ownStderr: options.ownStderr ?? false,
          ...(shared && options.prefix === undefined ? { echo: false } : {}),
          ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
        },
      );
      if (capture.error) record.save({ logError: capture.error });
      hub = openHub(paths, spec, inherited, options, record, runner);
      // The launcher bound them (ops/start.ts); foreground `run` binds them here, under the lock.
      if (inherited?.listen) for (const l of inherited.listen) setCloexec(l.fd);
      listeners = inherited?.listen ?? openListeners(spec.listen ?? [], ownershipOf(spec));
      notify({ type: 'locked' });
      const io: ServiceIO = { spec, capture, hub, listeners, options };
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
      if (shared) closeSync(shared.lockFd);
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
    },
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

/** The service's files, unless the launcher made them: the pidfile and the spec; a stop request
 *  from an earlier life does not apply. */
function prepareFiles(
  paths: ServicePaths,
  spec: CommandSpec,
  inherited: Inherited | undefined,
  shared: boolean,
): void {
  ensureDir(paths.statefile);
  if (inherited) return;
  if (!shared) writePidfile(paths.pidfile, process.pid);
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
  runner: Runner,
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
