/**
 * A supervised service's life, shared by the detached supervisor and foreground `run`: the
 * runner of the state machine (machine.ts). It holds the lock, keeps the pidfile and the state
 * file true, performs the machine's effects (spawn, timers, stops) and feeds it events.
 */
import { unlinkSync } from 'node:fs';
import { DaemonError, isDaemonError } from '../errors/errors.js';
import type { ServicePaths } from '../config/paths.js';
import { acquirePidLock, ensureDir, removePidfile, writePidfile } from '../service/pidfile.js';
import { defaultSchedule, formatSchedule, type StopSchedule } from '../config/schedule.js';
import type { CommandSpec } from '../config/spec.js';
import { writeSpec } from '../service/spec-file.js';
import { writeState, type ExitRecord, type ServiceState } from '../service/state.js';
import { setCloexec } from '../sys/native.js';
import { readProcStat } from '../sys/proc.js';
import { initialState, transition, type Effect, type MachineEvent } from './machine.js';
import { DEFAULT_POLICY, type RestartPolicy } from '../config/restart-policy.js';
import { startCommand, type Adopted, type Supervision } from './supervise.js';
import { createPipes, LogCapture } from '../logs/write/capture.js';
import { followReadiness, prepareReadiness, type Readiness } from '../notify/readiness.js';
import { NotifyHub, openNotifyListener } from '../notify/hub.js';
import { NotifyListener } from '../notify/listener.js';
import { describeReady } from '../config/ready-spec.js';
import type { Inherited, ServiceEvent } from './events.js';
import { requestPending, takeReopenRequest, takeStopRequest } from '../service/requests.js';
import { collectGarbageSoon } from './gc.js';
import { EVENT_PREFIX, eventLine, startedLine, type EventContext } from './log-events.js';
import { serviceFacts } from '../service/service-facts.js';
import { closeListeners, openListeners, ownershipOf, type Listener } from '../spawn/listen.js';

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

/** How many exits the state file keeps. */
const EXIT_HISTORY = 10;
/** STATUS= is kept up to this many characters (a status line, not a document). */
const STATUS_MAX = 512;
/** A STATUS= alone is written this long after it came, with any that follow (a COMMAND can send
 *  thousands a second); changes of state are written at once, and take it with them. */
const STATUS_WRITE_MS = 250;

export function runService(
  paths: ServicePaths,
  spec: CommandSpec,
  notify: (event: ServiceEvent) => void,
  inherited?: Inherited,
  options: {
    subreaper?: boolean;
    ownStderr?: boolean;
    forwardNotify?: (text: string) => void;
  } = {},
): ServiceRun {
  const policy: RestartPolicy = spec.restart ?? DEFAULT_POLICY;
  let machine = initialState();
  let sup: Supervision | null = null;
  let timer: NodeJS.Timeout | null = null;
  let schedule: StopSchedule = defaultSchedule();
  let stopsRunning = 0; // stop schedules at work on the current COMMAND (see runStop)
  let stoppedForRestart = false; // the stop request came from a `restart` (see announce-stopped)
  // What the log's event lines need to know (see log-events.ts).
  const events: EventContext = {
    policy,
    stopBy: 'a signal to daemonkit',
    ready: spec.ready ? describeReady(spec.ready) : null,
  };
  let lastExit: ExitRecord | null = null;
  let capture: LogCapture | null = null;
  let hub: NotifyHub | null = null;
  // --listen: held from the start to the end of the service, whatever its COMMANDs do.
  let listeners: readonly Listener[] = [];
  let extendReady: (ms: number) => void = () => undefined;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  // With --grace 0 an inherited COMMAND is already started: the launcher said so in the state.
  if (inherited && spec.graceMs === 0 && !spec.ready)
    machine = { ...machine, phase: 'running', announced: true };
  const self = readProcStat(process.pid);
  const state: ServiceState = {
    version: 1,
    kind: 'supervisor',
    state: machine.phase,
    pid: process.pid,
    ...(self ? { pidStartTime: self.startTime } : {}),
    command: spec.command,
    pidfile: paths.pidfile,
    startedAt: Date.now(),
    updatedAt: Date.now(),
    restarts: 0,
    exits: [],
    ...serviceFacts(spec),
  };
  // Only the process holding the lock may write the service's files: a refused second instance
  // must not touch the state (or a stop request) of the one that runs.
  let owner = false;
  let statusWrite: NodeJS.Timeout | null = null; // a STATUS= not yet written
  const save = (patch: Partial<ServiceState>): void => {
    if (!owner) return;
    if (statusWrite) clearTimeout(statusWrite); // this write takes it along
    statusWrite = null;
    Object.assign(state, patch, { state: machine.phase, restarts: machine.restarts });
    if (machine.failure) state.error = machine.failure;
    try {
      writeState(paths.statefile, state);
    } catch {
      // the state file is best effort once running: the service goes on
    }
  };
  const cleanup = (): void => removePidfile(paths.pidfile, process.pid); // the lock goes at exit
  const saveStatus = (text: string): void => {
    state.notifyStatus = text.length > STATUS_MAX ? `${text.slice(0, STATUS_MAX - 3)}...` : text;
    if (!owner || statusWrite) return;
    statusWrite = setTimeout(() => save({}), STATUS_WRITE_MS);
    statusWrite.unref(); // never what keeps us up
  };

  const dispatch = (event: MachineEvent): void => {
    const before = machine;
    const next = transition(machine, event, policy, Date.now());
    machine = next.state;
    noteRestartDue(state, machine.phase, next.effects);
    // Signals first: the COMMAND's shutdown then runs while we write the state. Then the state,
    // before the other effects: whoever hears of an announced start finds the state saying so.
    // Once is enough: the effects that change what the state says (spawn, announce-failed) save
    // it themselves, and a second write here would sit on the stop and exit paths for nothing.
    const signals = (e: Effect): boolean => e.type === 'stop-group' || e.type === 'kill-command';
    for (const effect of next.effects) if (signals(effect)) perform(effect);
    save({});
    const line = eventLine(before, event, machine, next.effects, events);
    if (line !== null) capture?.event(line);
    for (const effect of next.effects) if (!signals(effect)) perform(effect);
  };

  const perform = (effect: Effect): void => {
    switch (effect.type) {
      case 'spawn':
        launch();
        break;
      case 'announce-started':
        capture?.takeWaiting();
        notify({
          type: 'running',
          childPid: sup!.child.pid,
          ...(capture?.error ? { logError: capture.error } : {}),
        });
        break;
      case 'announce-failed': {
        const message = effect.whole
          ? `${spec.command[0]}: ${effect.reason}`
          : `${spec.command[0]} ${effect.reason} ${spec.ready ? 'before it was ready' : `within the ${spec.graceMs} ms grace period`}`;
        const error = new DaemonError('START_FAILED', message, {
          stderrTail: capture?.stderrTail() ?? [],
          exit: lastExit,
          logFile: spec.stderr,
        });
        save({});
        cleanup(); // before the launcher hears of it: a failed start leaves no pidfile
        notify({ type: 'start-failed', error });
        break;
      }
      case 'announce-stopped':
        cleanup(); // as a failed start: the launcher hears of it with no pidfile left
        notify({
          type: 'start-failed',
          error: new DaemonError(
            'START_FAILED',
            `${paths.display} was stopped (by a ${stoppedForRestart ? 'restart' : 'stop'}) before its start completed`,
            { stoppedBy: stoppedForRestart ? 'restart' : 'stop' },
          ),
        });
        break;
      case 'set-timer':
        timer = setTimeout(() => {
          timer = null;
          dispatch({ type: 'timer' });
        }, effect.ms);
        break;
      case 'cancel-timer':
        if (timer) clearTimeout(timer);
        timer = null;
        break;
      case 'stop-group':
        runStop(schedule);
        break;
      case 'kill-command':
        void sup?.stop(defaultSchedule(), { asStop: false });
        break;
      case 'finish':
        finish();
        break;
    }
  };

  /** Run a stop's schedule; if it runs out with the COMMAND still there, say so (a waiting `stop`
   *  reads it) and go on supervising. */
  const runStop = (steps: StopSchedule): void => {
    const target = sup;
    if (!target) return;
    stopsRunning++;
    void target.stop(steps).then((gone) => {
      stopsRunning--;
      if (gone || sup !== target) return;
      state.stopRanOut = { schedule: formatSchedule(steps), at: Date.now() };
      // Back from stopping only when no other request's schedule is still at work, and not when
      // the leader is gone with members left: that exit is being seen through (they are stopped,
      // then it is recorded), so the service is not running again.
      if (stopsRunning === 0 && machine.phase === 'stopping' && !target.leaderExited())
        dispatch({ type: 'stop-ran-out' });
      else save({});
    });
  };

  const launch = (adopted?: Adopted): void => {
    let current: Supervision;
    let readiness: Readiness | null = null;
    try {
      const output = capture!;
      readiness = prepareReadiness(spec, adopted ? inherited?.readyFd : undefined);
      // Every COMMAND of the service gets the same NOTIFY_SOCKET (the first got it from the
      // launcher).
      const commandSpec = hub ? { ...spec, env: { ...spec.env, NOTIFY_SOCKET: hub.path } } : spec;
      current = startCommand(
        commandSpec,
        {
          fds: [...output.commandFds(), ...listeners.map((l) => l.fd), ...readiness.fds],
          drain: () => output.drain(),
        },
        adopted,
        options,
      );
    } catch (error) {
      readiness?.cancel();
      const err = isDaemonError(error) ? error : new DaemonError('SPAWN_FAILED', String(error));
      if (!machine.announced) {
        machine = { ...machine, phase: 'failed', failure: err.message };
        save({});
        cleanup();
        notify({ type: 'start-failed', error: err });
        finish();
        return;
      }
      // A restart that cannot exec counts as a failed run, like a shell's 127.
      capture?.event(`${EVENT_PREFIX}${err.message}`); // "cannot execute …: no such file"
      setImmediate(() =>
        dispatch({ type: 'exited', exit: { code: 127, signal: null, uptimeMs: 0, byStop: false } }),
      );
      return;
    }
    sup = current;
    save({
      childPid: current.child.pid,
      childPgid: current.group.pgid,
      childStartTime: current.group.leaderStartTime,
      childStartedAt: current.startedAt,
    });
    // Before anything the COMMAND wrote is read (the pipe is read on a later turn): its lines
    // follow.
    capture?.event(startedLine(spec.command, current.child.pid, machine.restarts), false);
    readiness.spawned();
    const watch = readiness.watch ?? hub?.watch(current.child.pid) ?? null;
    if (watch) {
      // Started means ready (not merely alive after the grace period), within --ready-timeout.
      const timeoutMs = spec.readyTimeoutMs ?? 60_000;
      const isCurrent = (): boolean => sup === current;
      extendReady = followReadiness(watch, timeoutMs, current.child.exited, {
        ready: () => isCurrent() && dispatch({ type: 'started' }),
        notReady: (reason) => isCurrent() && dispatch({ type: 'not-ready', reason }),
        timedOut: () =>
          isCurrent() &&
          dispatch({
            type: 'not-ready',
            reason: `not ready within ${timeoutMs / 1000} s (--ready ${describeReady(spec.ready!)})`,
          }),
        // Ready, then exited, both before we looked: the start worked, the exit is a crash.
        readyAtExit: () =>
          isCurrent() && machine.phase === 'starting' && dispatch({ type: 'started' }),
      });
    } else {
      void current.started.then((ok) => {
        if (ok && sup === current) dispatch({ type: 'started' });
      });
    }
    void current.ended.then((exit) => {
      collectGarbageSoon();
      const record: ExitRecord = { ...exit, byStop: exit.byStop || machine.phase === 'stopping' };
      lastExit = record;
      state.lastExit = record;
      state.exits = [...(state.exits ?? []), record].slice(-EXIT_HISTORY);
      if (sup === current) dispatch({ type: 'exited', exit: record });
    });
  };

  const done = (async (): Promise<ExitRecord | null> => {
    if (inherited) {
      setCloexec(inherited.lockFd); // ours for life, never the COMMAND's
    } else if (!acquirePidLock(paths.lockfile)) {
      notify({ type: 'already-running' });
      return null;
    }
    owner = true;
    try {
      ensureDir(paths.statefile);
      if (!inherited) {
        writePidfile(paths.pidfile, process.pid);
        writeSpec(paths, spec); // else the launcher wrote both
        try {
          unlinkSync(paths.stopRequest); // a stop request from an earlier life does not apply
        } catch {
          // none
        }
      }
      // The launcher bound them (start.ts); foreground `run` binds them here, under the lock.
      if (inherited?.listen) for (const l of inherited.listen) setCloexec(l.fd);
      listeners = inherited?.listen ?? openListeners(spec.listen ?? [], ownershipOf(spec));
      capture = new LogCapture(
        spec,
        inherited?.pipes ?? createPipes(spec),
        (message) => save({ logError: message ?? undefined }),
        { ownStderr: options.ownStderr ?? false },
      );
      if (capture.error) save({ logError: capture.error });
      if (spec.ready?.kind === 'notify') {
        const listener = inherited?.notify
          ? NotifyListener.adopt(inherited.notify)
          : openNotifyListener(paths.dir, spec.runAs?.drop ? spec.runAs : undefined);
        if (inherited?.notify)
          for (const fd of [inherited.notify.fd, inherited.notify.wake]) setCloexec(fd);
        hub = new NotifyHub(
          listener,
          {
            status: saveStatus,
            extend: (ms) => extendReady(ms),
            ...(options.forwardNotify ? { forward: options.forwardNotify } : {}),
          },
          spec.runAs?.drop ? spec.runAs.uid : process.getuid!(),
        );
      }
      notify({ type: 'locked' });
      launch(inherited?.adopted);
      await finished;
      return lastExit;
    } catch (error) {
      const err = isDaemonError(error)
        ? error
        : new DaemonError('SPAWN_FAILED', (error as Error).message);
      cleanup();
      notify({ type: 'start-failed', error: err });
      return null;
    } finally {
      if (timer) clearTimeout(timer);
      // Every line the COMMAND wrote is in the file before we say we are done; what a file
      // still failing at the end (a full disk) could not take is counted in the state.
      const lost = capture?.close() ?? null;
      hub?.close();
      closeListeners(listeners); // and their unix: socket files
      if (lost || statusWrite) save(lost ? { logLost: lost } : {}); // while we still hold the lock
      cleanup();
    }
  })();

  return {
    done,
    requestStop(fallback = defaultSchedule(), by?: string) {
      if (!owner) return;
      const requested = takeStopRequest(paths.stopRequest);
      // A bare signal while a stop is under way adds nothing (the stopper also signals after
      // leaving its request, which we may already have acted on).
      if (!requested && machine.phase === 'stopping') return;
      schedule = requested?.schedule ?? fallback;
      if (requested?.forRestart) stoppedForRestart = true;
      if (machine.phase !== 'stopping') {
        events.stopBy = requested
          ? `daemonkit ${requested.forRestart ? 'restart' : 'stop'}`
          : (by ?? 'a signal to daemonkit');
      }
      if (!sup) return; // never launched: nothing to stop (runService has finished already)
      // A new request during a stop (say KILL after a TERM schedule ran out) runs its own schedule.
      if (machine.phase === 'stopping') runStop(schedule);
      else dispatch({ type: 'stop' });
    },
    handlingSignals() {
      if (!owner) return;
      save({ handlesSignals: true });
      // Requests left for us while node booted (their senders do not signal until we say so).
      if (takeReopenRequest(paths.reopenRequest)) this.reopenLogs();
      if (requestPending(paths.stopRequest)) this.requestStop();
    },
    reopenLogs() {
      this.takeReopenRequest();
      if (!owner || !capture) return;
      capture.reopen();
      save({ logsReopenedAt: Date.now(), logError: capture.error ?? undefined });
    },
    takeReopenRequest() {
      return takeReopenRequest(paths.reopenRequest) && owner;
    },
    supervision: () => sup,
    logLost: () => state.logLost ?? null,
  };
}

/** In a backoff wait, when the next restart is due (`status` shows it); gone once it is not
 *  waiting. */
function noteRestartDue(state: ServiceState, phase: string, effects: readonly Effect[]): void {
  const timer = effects.find(
    (e): e is Extract<Effect, { type: 'set-timer' }> => e.type === 'set-timer',
  );
  if (phase === 'backoff' && timer) state.nextRestartAt = Date.now() + timer.ms;
  else if (phase !== 'backoff') delete state.nextRestartAt;
}
