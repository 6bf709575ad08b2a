/**
 * A service's instances (`--instances N`): N runners (runner.ts), each with its own COMMAND, its
 * own restart policy's count and its own pipes, sharing the sockets, the notify socket and the
 * state file. They are started together and stopped together; the first start is announced
 * once every instance has started (and fails, all of them stopped, if one does not); a rolling
 * restart replaces them one at a time. With one instance, it is that runner, as it is.
 */
import type { DaemonError } from '../errors/errors.js';
import type { ServicePaths } from '../config/paths.js';
import type { StopSchedule } from '../config/schedule.js';
import type { CommandSpec } from '../config/spec.js';
import { instancePrefix, type LogCapture } from '../logs/write/capture.js';
import type { ServiceEvent } from './events.js';
import type { ServiceIO } from './launch.js';
import { isTerminal, type MachineEvent } from './machine.js';
import { Runner, type RollOutcome } from './runner.js';
import { StateRecord } from './state-record.js';
import type { Adopted, Supervision } from './supervise.js';

/** A roll's outcome; a failed one names the instance whose new COMMAND failed (of several). */
export type ServiceRollOutcome = RollOutcome & { instance?: number };

export class Instances {
  readonly runners: Runner[];
  readonly record: StateRecord;
  /** Resolves once no instance has anything left to supervise. */
  readonly finished: Promise<void>;
  /** Rolls take turns (the CLI's restart lock makes them rare). */
  private rolls: Promise<unknown> = Promise.resolve();

  constructor(
    paths: ServicePaths,
    spec: CommandSpec,
    hooks: {
      notify(event: ServiceEvent): void;
      cleanup(): void;
      command?(pid: number, running: boolean): void;
    },
  ) {
    const n = spec.instances ?? 1;
    this.record = new StateRecord(paths, spec, () => this.runners.map((r) => r.view()));
    const shared = n === 1 ? { ...hooks, record: this.record } : this.together(n, hooks);
    this.runners = Array.from({ length: n }, (_, i) => new Runner(paths, spec, shared, i));
    this.finished = Promise.all(this.runners.map((r) => r.finished)).then(() => undefined);
  }

  /** Start every instance: the first adopts the launcher's COMMAND; the others get pipes of
   *  their own, their lines marked with their number. */
  start(service: ServiceIO & { capture: LogCapture }, adopted?: Adopted, readyFd?: number): void {
    const io = { ...service, commandPids: () => this.commandPids() };
    this.runners[0]!.start(io, adopted, readyFd);
    for (const r of this.runners.slice(1))
      r.start({ ...io, capture: io.capture.channel(instancePrefix(r.instance)) });
  }

  dispatch(event: MachineEvent): void {
    for (const r of this.runners) r.dispatch(event);
  }

  /** The first instance's COMMAND (reload's and the reaper's). */
  supervision(): Supervision | null {
    return this.runners.find((r) => r.supervision())?.supervision() ?? null;
  }

  /** Every COMMAND of the service now (the reaper leaves them to their runners). */
  commandPids(): number[] {
    return this.runners.flatMap((r) => r.pids());
  }

  extendReady(ms: number): void {
    for (const r of this.runners) r.extendReady(ms);
  }

  close(): void {
    for (const r of this.runners) r.close();
  }

  /** `restart --rolling`: each instance that runs replaced in turn, so the others serve. */
  roll(spec: CommandSpec, schedule: StopSchedule): Promise<ServiceRollOutcome> {
    const run = this.rolls.then(async (): Promise<ServiceRollOutcome> => {
      let pid: number | null = null;
      for (const r of this.runners) {
        if (isTerminal(r.phase)) continue;
        const outcome = await r.rollTo(spec, schedule);
        if (!outcome.ok)
          return this.runners.length > 1 ? { ...outcome, instance: r.instance } : outcome;
        pid ??= outcome.pid;
      }
      return { ok: true, pid };
    });
    this.rolls = run;
    return run;
  }

  /** Several instances' first start as one: announced once all have started; the first that
   *  fails stops the others, and is told once all have ended. */
  private together(
    n: number,
    hooks: {
      notify(event: ServiceEvent): void;
      cleanup(): void;
      command?(pid: number, running: boolean): void;
    },
  ): ConstructorParameters<typeof Runner>[2] {
    let started = 0;
    let failure: DaemonError | null = null;
    return {
      record: this.record,
      ...(hooks.command ? { command: hooks.command } : {}),
      cleanup: () => undefined, // once all have ended (below)
      notify: (event) => {
        if (event.type === 'running') {
          if (++started === n && failure === null)
            hooks.notify({ ...event, childPid: this.supervision()?.child.pid ?? event.childPid });
        } else if (event.type === 'start-failed') {
          if (failure !== null) return;
          failure = event.error;
          this.dispatch({ type: 'stop', by: 'a failed start of another instance' });
          void this.finished.then(() => {
            hooks.cleanup();
            hooks.notify({ type: 'start-failed', error: failure! });
          });
        } else hooks.notify(event);
      },
    };
  }
}
