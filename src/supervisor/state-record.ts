/**
 * A service's state file (state.json) as its runner keeps it: what the machine says, its
 * COMMAND, its last exits, its STATUS=. Written whole (temp + rename, see state.ts), and only by
 * the process holding the service's lock.
 */
import type { ServicePaths } from '../config/paths.js';
import { formatSchedule, type StopSchedule } from '../config/schedule.js';
import { serviceFacts } from '../service/service-facts.js';
import type { CommandSpec } from '../config/spec.js';
import { writeState, type ExitRecord, type ServiceState } from '../service/state.js';
import { readProcStat } from '../sys/proc.js';
import type { Effect, MachineState } from './machine.js';
import type { Supervision } from './supervise.js';

/** How many exits the state file keeps. */
const EXIT_HISTORY = 10;
/** STATUS= is kept up to this many characters (a status line, not a document). */
const STATUS_MAX = 512;
/** A STATUS= alone is written this long after it came, with any that follow (a COMMAND can send
 *  thousands a second); changes of state are written at once, and take it with them. */
const STATUS_WRITE_MS = 250;

export class StateRecord {
  private readonly state: ServiceState;
  // Only the process holding the lock may write the service's files: a refused second instance
  // must not touch the state of the one that runs.
  private owner = false;
  private statusWrite: NodeJS.Timeout | null = null; // a STATUS= not yet written

  /** `machine`: the machine's state now (each write says it). */
  constructor(
    private readonly paths: ServicePaths,
    spec: CommandSpec,
    private readonly machine: () => MachineState,
  ) {
    const self = readProcStat(process.pid);
    this.state = {
      version: 1,
      kind: 'supervisor',
      state: machine().phase,
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
  }

  /** We hold the lock: from now on the file is ours to write. */
  own(): void {
    this.owner = true;
  }

  get owns(): boolean {
    return this.owner;
  }

  save(patch: Partial<ServiceState> = {}): void {
    if (!this.owner) return;
    if (this.statusWrite) clearTimeout(this.statusWrite); // this write takes it along
    this.statusWrite = null;
    const machine = this.machine();
    Object.assign(this.state, patch, { state: machine.phase, restarts: machine.restarts });
    if (machine.failure) this.state.error = machine.failure;
    try {
      writeState(this.paths.statefile, this.state);
    } catch {
      // the state file is best effort once running: the service goes on
    }
  }

  /** A STATUS= from the COMMAND: written soon, with whatever comes next. */
  status(text: string): void {
    this.state.notifyStatus =
      text.length > STATUS_MAX ? `${text.slice(0, STATUS_MAX - 3)}...` : text;
    if (!this.owner || this.statusWrite) return;
    this.statusWrite = setTimeout(() => this.save(), STATUS_WRITE_MS);
    this.statusWrite.unref(); // never what keeps us up
  }

  /** After a transition: in a backoff wait, when the next restart is due (`status` shows it);
   *  gone once it is not waiting. Written with the transition. */
  transitioned(effects: readonly Effect[]): void {
    const phase = this.machine().phase;
    const timer = effects.find(
      (e): e is Extract<Effect, { type: 'set-timer' }> => e.type === 'set-timer',
    );
    if (phase === 'backoff' && timer) this.state.nextRestartAt = Date.now() + timer.ms;
    else if (phase !== 'backoff') delete this.state.nextRestartAt;
  }

  launched(sup: Supervision): void {
    this.save({
      childPid: sup.child.pid,
      childPgid: sup.group.pgid,
      childStartTime: sup.group.leaderStartTime,
      childStartedAt: sup.startedAt,
    });
  }

  /** A COMMAND ended: kept in the history, written with the transition it causes. */
  exited(record: ExitRecord): void {
    this.state.lastExit = record;
    this.state.exits = [...(this.state.exits ?? []), record].slice(-EXIT_HISTORY);
  }

  /** A stop's schedule ran out with the COMMAND still there (a waiting `stop` reads it). */
  stopRanOut(schedule: StopSchedule): void {
    this.state.stopRanOut = { schedule: formatSchedule(schedule), at: Date.now() };
  }

  lastExit(): ExitRecord | null {
    return this.state.lastExit ?? null;
  }

  logLost(): string | null {
    return this.state.logLost ?? null;
  }

  /** The end: what the log files could not take, and a STATUS= not yet written. The last
   *  write: the lock goes next (service.ts), and the file with it to whoever takes it. */
  close(lost: string | null): void {
    if (lost || this.statusWrite) this.save(lost ? { logLost: lost } : {}); // takes the STATUS=
    this.owner = false;
  }
}
