/**
 * The runner of one service's state machine (machine.ts): it feeds the machine events, one at a
 * time, and performs its effects (spawn, timers, stop schedules, telling the launcher). It keeps
 * no state of the service's own: that is the machine's. It owns only its instance's COMMANDs and
 * timer, so one process may run several (instances, services). During a rolling restart it holds
 * two COMMANDs: the current one and the next one starting beside it; old ones being stopped after
 * a roll are kept until they are gone.
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
import { EVENT_PREFIX, eventLines, type EventContext } from './log-events.js';
import {
  initialState,
  transition,
  type Effect,
  type MachineEvent,
  type MachineState,
} from './machine.js';
import { DEFAULT_POLICY } from '../config/restart-policy.js';
import { describeReady } from '../config/ready-spec.js';
import type { SlotView, StateRecord } from './state-record.js';
import type { Adopted, ForkedFacts, Supervision } from './supervise.js';
import { exitInShort } from '../service/format.js';

/** What a runner reports to and through. */
export interface RunnerHooks {
  /** The launcher (or `run`) hears how the start went. */
  notify(event: ServiceEvent): void;
  /** Our files go (the pidfile): before the launcher hears of a failed start. */
  cleanup(): void;
  /** The service's state file, shared by its instances. */
  record: StateRecord;
  /** A COMMAND was launched (its pid), or has ended: a shared supervisor's pidfile names it. */
  command?(pid: number, running: boolean): void;
}

/** How a rolling restart of one instance ended. */
export type RollOutcome =
  | { ok: true; pid: number | null }
  | { ok: false; reason: string; stderrTail: string[] };

export class Runner {
  private machine: MachineState = initialState();
  private sup: Supervision | null = null;
  /** A roll's: the next COMMAND starting beside the current one, and its readiness extender. */
  private next: Supervision | null = null;
  private nextExtend: (ms: number) => void = () => undefined;
  /** Old COMMANDs being stopped (retired by a roll, or a next one ended): waited for at the end. */
  private readonly retiring = new Set<Supervision>();
  /** The roll under way: the spec it brings, the old COMMAND's stop schedule, who waits. */
  private roll: {
    spec: CommandSpec;
    schedule: StopSchedule;
    done: (outcome: RollOutcome) => void;
    tailMark: number;
  } | null = null;
  private nextRestartAt: number | null = null;
  /** The spec this instance's COMMANDs run: the last start's, or the last roll's that worked. */
  private spec: CommandSpec;
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
    readonly instance = 0,
  ) {
    this.spec = spec;
    this.record = hooks.record;
    this.context = {
      policy: spec.restart ?? DEFAULT_POLICY,
      stopBy: 'a signal to daemonkit',
      ready: spec.ready ? describeReady(spec.ready) : null,
    };
  }

  supervision(): Supervision | null {
    return this.sup;
  }

  /** This instance's COMMANDs now: current, next, retiring. */
  pids(): number[] {
    return [this.sup, this.next, ...this.retiring].flatMap((s) => (s ? [s.child.pid] : []));
  }

  /** What the state file says of this instance. */
  view(): SlotView {
    return {
      instance: this.instance,
      machine: this.machine,
      current: this.sup,
      next: this.next,
      retiring: [...this.retiring],
      nextRestartAt: this.machine.phase === 'backoff' ? this.nextRestartAt : null,
    };
  }

  get phase(): MachineState['phase'] {
    return this.machine.phase;
  }

  /** `restart --rolling` of this instance: `spec`'s COMMAND started beside the current one, the
   *  old one stopped by `schedule` once the new one is ready. One at a time (the caller's turn). */
  rollTo(spec: CommandSpec, schedule: StopSchedule): Promise<RollOutcome> {
    return new Promise((done) => {
      this.roll = { spec, schedule, done, tailMark: this.io?.capture.stderrMark() ?? 0 };
      this.dispatch({ type: 'roll' });
    });
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
    // In a backoff wait, when the next restart is due (`status` shows it): written with this step.
    const timer = next.effects.find((e) => e.type === 'set-timer');
    if (timer) this.nextRestartAt = Date.now() + timer.ms;
    else if (this.machine.phase !== 'backoff') this.nextRestartAt = null;
    // Signals first: the COMMAND's shutdown then runs while we write the state. Then the log's
    // lines, then the state: whoever reads a state (`status`, a test, `failed`) finds the line
    // that says why already in the log (as a spawn's started line and a retired COMMAND's end
    // are). Then the other effects: whoever hears of an announced start finds the state saying
    // so. Once is enough: the effects that change what the state says (spawn, announce-failed)
    // save it themselves, and a second write here would sit on the stop and exit paths for
    // nothing. (A roll's swap of COMMANDs, too: the state then names the right ones.)
    const signals = (e: Effect): boolean => EARLY.has(e.type);
    for (const effect of next.effects) if (signals(effect)) this.perform(effect);
    const ctx = { ...this.context, stopBy: this.machine.stopBy ?? this.context.stopBy };
    for (const line of eventLines(before, event, this.machine, next.effects, ctx))
      this.io?.capture.event(line);
    this.record.save(patch);
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
        // Old COMMANDs still being stopped (a roll's) are seen to the end first.
        void Promise.all([...this.retiring].map((s) => s.ended)).then(() => this.finish());
        break;
      case 'spawn-next':
        this.launchNext();
        break;
      case 'retire':
        if (this.sup) this.retire(this.sup, this.roll?.schedule ?? defaultSchedule());
        this.sup = null;
        break;
      case 'promote':
        this.sup = this.next;
        this.extend = this.nextExtend;
        this.next = null;
        break;
      case 'end-next':
        if (this.next) this.retire(this.next, effect.schedule ?? defaultSchedule());
        this.next = null;
        break;
      case 'roll-done':
        this.endRoll({ ok: true, pid: this.sup?.child.pid ?? null });
        break;
      case 'roll-failed':
        this.endRoll({
          ok: false,
          reason: effect.reason,
          stderrTail: this.io?.capture.stderrTail(this.roll?.tailMark) ?? [],
        });
        break;
    }
  }

  /** Stop a COMMAND that is no longer the current one; kept in `retiring` until it is gone. */
  private retire(sup: Supervision, schedule: StopSchedule): void {
    this.retiring.add(sup);
    void sup.stop(schedule);
    void sup.ended.then((exit) => {
      this.retiring.delete(sup);
      this.io?.capture.event(
        `${EVENT_PREFIX}rolling restart: the old COMMAND, pid ${sup.child.pid}, ${exitInShort(exit)}`,
      );
      this.record.save();
    });
  }

  /** A roll ended: its spec is this instance's from now on if it worked. */
  private endRoll(outcome: RollOutcome): void {
    const roll = this.roll;
    if (!roll) return;
    this.roll = null;
    if (outcome.ok) {
      this.spec = roll.spec;
      this.context.policy = roll.spec.restart ?? DEFAULT_POLICY;
      this.context.ready = roll.spec.ready ? describeReady(roll.spec.ready) : null;
    }
    roll.done(outcome);
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

  /** A roll under way starts its spec's COMMAND (a restart during it, too). */
  private spawnSpec(): CommandSpec {
    return this.roll && this.machine.roll !== null ? this.roll.spec : this.spec;
  }

  /** A COMMAND forked and waiting to exec: in the state first, so a supervisor killed now leaves
   *  nothing no file names (it never execs; see orphan.ts for one that did). */
  private readonly forked = (pid: number, facts: ForkedFacts): void =>
    this.record.spawning(pid, facts, this.onceStarted(pid, facts));

  /** A roll's next COMMAND, written as forked (the roll's write follows). */
  private readonly forkedNext = (pid: number, facts: ForkedFacts): void =>
    this.record.spawning(pid, facts);

  /** This instance as it will be once the COMMAND just forked has exec'd, where nothing comes
   *  between (no grace period, no readiness): started on the turn of its exec (launch.ts'
   *  follow). Written with the fork's write, it spares the write after the exec. */
  private onceStarted(pid: number, facts: ForkedFacts): SlotView | undefined {
    const spec = this.spawnSpec();
    if (spec.graceMs !== 0 || spec.ready || this.io?.hub) return undefined;
    const { state } = transition(
      this.machine,
      { type: 'started' },
      this.context.policy,
      Date.now(),
    );
    const current = {
      child: { pid },
      group: { pgid: pid, leaderStartTime: facts.startTime },
      startedAt: facts.startedAt,
    };
    return { ...this.view(), machine: state, current, nextRestartAt: null };
  }

  private launch(adopted?: Adopted, readyFd?: number): void {
    const launched = launchCommand(
      { ...this.io!, spec: this.spawnSpec() },
      {
        adopted,
        readyFd,
        restarts: this.machine.restarts,
        instance: this.instance,
        forked: this.forked,
      },
      this.launchHooks,
    );
    if ('error' in launched) {
      this.spawnError = launched.error;
      this.dispatch({ type: 'spawn-failed', reason: launched.error.message });
      return;
    }
    this.sup = launched.sup;
    this.extend = launched.extendReady;
    this.record.saveSoon(); // the start (or exit) that follows is most often written with it
    this.hooks.command?.(launched.sup.child.pid, true);
  }

  private launchNext(): void {
    const launched = launchCommand(
      { ...this.io!, spec: this.roll!.spec },
      {
        restarts: this.machine.restarts,
        instance: this.instance,
        rolling: true,
        forked: this.forkedNext,
      },
      this.launchHooks,
    );
    if ('error' in launched) {
      this.dispatch({ type: 'next-failed', reason: launched.error.message });
      return;
    }
    this.next = launched.sup;
    this.nextExtend = launched.extendReady;
    this.record.save();
  }

  private readonly launchHooks: LaunchHooks = {
    event: (current, event) => {
      if (this.sup === current) this.dispatch(event);
      else if (this.next === current && event.type === 'started')
        this.dispatch({ type: 'next-started' });
      else if (this.next === current && event.type === 'not-ready')
        this.dispatch({ type: 'next-failed', reason: event.reason });
    },
    readyAtExit: (current) => {
      if (this.sup === current && this.machine.phase === 'starting')
        this.dispatch({ type: 'started' });
    },
    ended: (current, exit) => {
      collectGarbageSoon();
      const byStop = exit.byStop || (this.sup === current && this.machine.phase === 'stopping');
      const record: ExitRecord = { ...exit, byStop };
      this.record.exited(record);
      if (this.sup === current) this.hooks.command?.(current.child.pid, false);
      if (this.sup === current) this.dispatch({ type: 'exited', exit: record });
      else if (this.next === current)
        this.dispatch({
          type: 'next-failed',
          reason: `the new COMMAND ${exitInShort(exit)}, ${this.roll?.spec.ready ? 'before it was ready' : 'within the --grace period'}`,
        });
    },
  };
}

/** Effects performed before the state is written: signals, and a roll's swap of COMMANDs. */
const EARLY: ReadonlySet<Effect['type']> = new Set([
  'stop-group',
  'kill-command',
  'retire',
  'promote',
  'end-next',
]);

function sameState<T extends object>(a: T, b: T): boolean {
  return (Object.keys(a) as (keyof T)[]).every((key) => a[key] === b[key]);
}
