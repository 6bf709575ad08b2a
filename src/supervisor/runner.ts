/**
 * The runner of one service's state machine (machine.ts): it feeds the machine events, one at a
 * time, and performs its effects (spawn, timers, stop schedules, telling the launcher). It keeps
 * no state of the service's own: that is the machine's. It owns only its service's COMMAND and
 * timer, so one process may run several.
 */
import type { DaemonError } from '../errors/errors.js';
import type { ServicePaths } from '../config/paths.js';
import { defaultSchedule, type StopSchedule } from '../config/schedule.js';
import type { CommandSpec } from '../config/spec.js';
import type { ExitRecord } from '../service/state.js';
import { startFailed, stoppedBeforeStart } from './announce.js';
import type { ServiceEvent } from './events.js';
import { collectGarbageSoon } from './gc.js';
import { launchCommand, type LaunchHooks, type ServiceIO } from './launch.js';
import { eventLines, type EventContext } from './log-events.js';
import {
  initialState,
  transition,
  type Effect,
  type MachineEvent,
  type MachineState,
} from './machine.js';
import { DEFAULT_POLICY } from '../config/restart-policy.js';
import { describeReady } from '../config/ready-spec.js';
import { StateRecord } from './state-record.js';
import type { Adopted, Supervision } from './supervise.js';

/** What a runner reports to and through. */
export interface RunnerHooks {
  /** The launcher (or `run`) hears how the start went. */
  notify(event: ServiceEvent): void;
  /** Our files go (the pidfile): before the launcher hears of a failed start. */
  cleanup(): void;
  /** A COMMAND was launched (its pid), or has ended: a shared supervisor's pidfile names it. */
  command?(pid: number, running: boolean): void;
}

export class Runner {
  private machine: MachineState = initialState();
  private sup: Supervision | null = null;
  private timer: NodeJS.Timeout | null = null;
  private extend: (ms: number) => void = () => undefined;
  private spawnError: DaemonError | null = null; // why the last launch failed
  private readonly queue: MachineEvent[] = [];
  private busy = false;
  private io: ServiceIO | null = null;
  private finish!: () => void;
  /** Resolves once the machine has nothing left to supervise. */
  readonly finished = new Promise<void>((resolve) => (this.finish = resolve));
  /** What the log's event lines need to know (see log-events.ts). */
  private readonly context: EventContext;

  /** The service's state file, written as the machine changes. */
  readonly record: StateRecord;

  constructor(
    private readonly paths: ServicePaths,
    spec: CommandSpec,
    private readonly hooks: RunnerHooks,
  ) {
    this.record = new StateRecord(paths, spec, () => this.machine);
    this.context = {
      policy: spec.restart ?? DEFAULT_POLICY,
      stopBy: 'a signal to daemonkit',
      ready: spec.ready ? describeReady(spec.ready) : null,
    };
  }

  supervision(): Supervision | null {
    return this.sup;
  }

  /** EXTEND_TIMEOUT_USEC from the current COMMAND. */
  extendReady(ms: number): void {
    this.extend(ms);
  }

  /** Run the service's first COMMAND (or adopt the launcher's) with `io`. */
  start(io: ServiceIO, adopted?: Adopted, readyFd?: number): void {
    this.io = io;
    this.launch(adopted, readyFd);
  }

  /** Feed the machine an event. One at a time: an event that an effect causes waits its turn. */
  dispatch(event: MachineEvent, patch?: Parameters<StateRecord['save']>[0]): void {
    this.queue.push(event);
    if (this.busy) return;
    this.busy = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift())
        this.step(next, next === event ? patch : undefined);
    } finally {
      this.busy = false;
    }
  }

  /** Stop timers: the runner is done. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private step(event: MachineEvent, patch?: Parameters<StateRecord['save']>[0]): void {
    const before = this.machine;
    const next = transition(before, event, this.context.policy, Date.now());
    this.machine = next.state;
    // Nothing changed, nothing to do, nothing to record: no write (a bare signal during a stop,
    // an event for a service already ended).
    if (!patch && next.effects.length === 0 && sameState(before, next.state)) return;
    this.record.transitioned(next.effects);
    // Signals first: the COMMAND's shutdown then runs while we write the state. Then the state,
    // before the other effects: whoever hears of an announced start finds the state saying so.
    // Once is enough: the effects that change what the state says (spawn, announce-failed) save
    // it themselves, and a second write here would sit on the stop and exit paths for nothing.
    const signals = (e: Effect): boolean => e.type === 'stop-group' || e.type === 'kill-command';
    for (const effect of next.effects) if (signals(effect)) this.perform(effect);
    this.record.save(patch);
    const ctx = { ...this.context, stopBy: this.machine.stopBy ?? this.context.stopBy };
    for (const line of eventLines(before, event, this.machine, next.effects, ctx))
      this.io?.capture.event(line);
    for (const effect of next.effects) if (!signals(effect)) this.perform(effect);
  }

  private perform(effect: Effect): void {
    switch (effect.type) {
      case 'spawn':
        this.launch();
        break;
      case 'announce-started':
        this.announceStarted();
        break;
      case 'announce-failed': {
        const { spec, capture } = this.io!;
        const lastExit = this.record.lastExit();
        this.record.save();
        this.tellFailed(startFailed(spec, effect.reason, !!effect.whole, capture, lastExit));
        break;
      }
      case 'announce-spawn-failed':
        this.tellFailed(this.spawnError!);
        break;
      case 'announce-stopped':
        this.tellFailed(stoppedBeforeStart(this.paths.display, effect.by));
        break;
      case 'set-timer':
        this.timer = setTimeout(() => {
          this.timer = null;
          this.dispatch({ type: 'timer' });
        }, effect.ms);
        break;
      case 'cancel-timer':
        this.close();
        break;
      case 'stop-group':
        this.runStop(effect.schedule ?? defaultSchedule());
        break;
      case 'kill-command':
        void this.sup?.stop(defaultSchedule(), { asStop: false });
        break;
      case 'finish':
        this.finish();
        break;
    }
  }

  private announceStarted(): void {
    const capture = this.io?.capture;
    capture?.takeWaiting();
    this.hooks.notify({
      type: 'running',
      childPid: this.sup!.child.pid,
      ...(capture?.error ? { logError: capture.error } : {}),
    });
  }

  /** A failed start leaves no pidfile: it goes before the launcher hears of it. */
  private tellFailed(error: DaemonError): void {
    this.hooks.cleanup();
    this.hooks.notify({ type: 'start-failed', error });
  }

  /** Run a stop's schedule; if it runs out with the COMMAND still there, record it (a waiting
   *  `stop` reads it) and tell the machine, which goes on supervising once none is at work. */
  private runStop(steps: StopSchedule): void {
    const target = this.sup;
    if (!target) return;
    void target.stop(steps).then((gone) => {
      if (gone || this.sup !== target) return;
      this.record.stopRanOut(steps);
      this.dispatch({ type: 'stop-ran-out', leaderExited: target.leaderExited() }, {});
    });
  }

  private launch(adopted?: Adopted, readyFd?: number): void {
    const launched = launchCommand(
      this.io!,
      { adopted, readyFd, restarts: this.machine.restarts },
      this.launchHooks,
    );
    if ('error' in launched) {
      this.spawnError = launched.error;
      this.dispatch({ type: 'spawn-failed', reason: launched.error.message });
      return;
    }
    this.sup = launched.sup;
    this.extend = launched.extendReady;
    this.record.launched(launched.sup);
    this.hooks.command?.(launched.sup.child.pid, true);
  }

  private readonly launchHooks: LaunchHooks = {
    event: (current, event) => {
      if (this.sup === current) this.dispatch(event);
    },
    readyAtExit: (current) => {
      if (this.sup === current && this.machine.phase === 'starting')
        this.dispatch({ type: 'started' });
    },
    ended: (current, exit) => {
      collectGarbageSoon();
      const byStop = exit.byStop || this.machine.phase === 'stopping';
      const record: ExitRecord = { ...exit, byStop };
      this.record.exited(record);
      this.hooks.command?.(current.child.pid, false);
      if (this.sup === current) this.dispatch({ type: 'exited', exit: record });
    },
  };
}

function sameState<T extends object>(a: T, b: T): boolean {
  return (Object.keys(a) as (keyof T)[]).every((key) => a[key] === b[key]);
}
