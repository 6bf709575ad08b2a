/**
 * A service's state file (state.json) as its runner keeps it: what the machine says, its
 * COMMAND, its last exits, its STATUS=. Written whole (temp + rename, see state.ts), and only by
 * the process holding the service's lock.
 */
import type { ServicePaths } from '../config/paths.js';
import { formatSchedule, type StopSchedule } from '../config/schedule.js';
import { serviceFacts } from '../service/service-facts.js';
import type { CommandSpec } from '../config/spec.js';
import {
  removeKeptState,
  writeState,
  type ExitRecord,
  type ServiceState,
} from '../service/state.js';
import { readProcStat } from '../sys/proc.js';
import type { Group } from '../sys/group.js';
import { isTerminal, type MachineState, type Phase } from './machine.js';
import type { ForkedFacts } from './supervise.js';
import type { CommandRecord, RunState } from '../service/state.js';

/** What the record says of a COMMAND (a Supervision, or one forked and about to exec). */
export interface CommandView {
  child: { pid: number };
  group: Group;
  startedAt: number;
}

/** What the record reads of each instance's runner when it writes. */
export interface SlotView {
  instance: number;
  machine: MachineState;
  /** The current COMMAND, a next one starting beside it (a roll), old ones being stopped. */
  current: CommandView | null;
  next: CommandView | null;
  retiring: readonly CommandView[];
  /** In a backoff wait: when the next restart is due. */
  nextRestartAt: number | null;
}

/** The service's state from its instances': one instance's as it is (`rolling` is running: the
 *  old COMMAND serves); several: stopping if any is, running if any is, else starting, backoff,
 *  and once all have ended, failed if any failed. */
export function servicePhase(phases: readonly Phase[]): RunState {
  const shown = (p: Phase): RunState => (p === 'rolling' ? 'running' : p);
  if (phases.length === 1) return shown(phases[0]!);
  const order: Phase[] = ['stopping', 'running', 'rolling', 'starting', 'backoff'];
  for (const p of order) if (phases.includes(p)) return shown(p);
  for (const p of ['failed', 'exited'] as const) if (phases.includes(p)) return p;
  return 'stopped';
}

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
  private soonWrite: NodeJS.Immediate | null = null; // a saveSoon() not yet written
  private kept = false; // the file the last write replaced is at our temp name (state.ts)
  /** The file says this (updatedAt and `spawning` aside): written at a fork as the start would
   *  be once exec'd (spawning()); the save that says the same is not made. */
  private foretold: string | null = null;

  /** `slots`: each instance's runner now (each write says what they say). */
  constructor(
    private readonly paths: ServicePaths,
    spec: CommandSpec,
    private readonly slots: () => readonly SlotView[],
  ) {
    const self = readProcStat(process.pid);
    this.state = {
      version: 1,
      kind: 'supervisor',
      state: 'starting',
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

  /** The state says that our handlers (or a shared host's requests) are in place. */
  get handlesSignals(): boolean {
    return this.state.handlesSignals === true;
  }

  /** Taken into the next write, not written now. */
  remember(patch: Partial<ServiceState>): void {
    Object.assign(this.state, patch);
  }

  save(patch: Partial<ServiceState> = {}): void {
    if (!this.owner) return;
    if (this.statusWrite) clearTimeout(this.statusWrite); // this write takes it along
    if (this.soonWrite) clearImmediate(this.soonWrite);
    this.statusWrite = this.soonWrite = null;
    // `spawning` lasts until the next write made: it names the COMMAND as it runs (or its failure).
    Object.assign(this.state, { spawning: undefined }, patch, this.fromSlots(this.slots()));
    const foretold = this.foretold;
    this.foretold = null;
    // The file already says it, `spawning` aside, which readers take for what it says once that
    // COMMAND has exec'd (it has: we are past spawnProcess).
    if (foretold !== null && foretold === sameAs(this.state)) return;
    this.write(this.state);
  }

  private write(state: ServiceState): boolean {
    try {
      // A shared service's (a project's start of many; a standalone service's directory shows
      // no kept file while it runs).
      const keepOld = state.shared === true;
      this.kept = writeState(this.paths.statefile, state, { keepOld, kept: this.kept });
      return true;
    } catch {
      this.kept = false; // writeState removed our temp file
      return false; // the state file is best effort once running: the service goes on
    }
  }

  /** Written on the loop's next turn, with whatever else changes before it: a COMMAND's exec is
   *  followed at once by its start (no --grace, no --ready) or its exit, each a write of its own;
   *  one write instead of two is one file fewer made and removed (each ~1 ms on a busy ext4,
   *  docs/decisions.md). Until then the state names the COMMAND as `spawning`. */
  saveSoon(): void {
    if (!this.owner || this.soonWrite) return;
    this.soonWrite = setImmediate(() => {
      this.soonWrite = null;
      this.save();
    });
  }

  /** A COMMAND forked, waiting to exec until this returns: its group and start time written,
   *  so that whoever finds us gone finds it (orphan.ts), or finds it never ran. `once`: this
   *  instance as it will be once the COMMAND has exec'd and started (no grace, no readiness):
   *  written now, with `spawning` (which readers show as starting while the COMMAND has not
   *  exec'd, status-figures.ts), so that the write after the exec is not needed. */
  spawning(pid: number, facts: ForkedFacts, once?: SlotView): void {
    const spawning = { pgid: pid, startTime: facts.startTime };
    if (!once) {
      this.save({ spawning });
      return;
    }
    if (!this.owner) return;
    const slots = this.slots().map((s) => (s.instance === once.instance ? once : s));
    const state = { ...this.state, ...this.fromSlots(slots) };
    if (this.write({ ...state, spawning })) this.foretold = sameAs(state);
  }

  /** A STATUS= from the COMMAND: written soon, with whatever comes next. */
  status(text: string): void {
    this.state.notifyStatus =
      text.length > STATUS_MAX ? `${text.slice(0, STATUS_MAX - 3)}...` : text;
    if (!this.owner || this.statusWrite) return;
    this.statusWrite = setTimeout(() => this.save(), STATUS_WRITE_MS);
    this.statusWrite.unref(); // never what keeps us up
  }

  /** What the instances say: the service's state, restarts and failure; the first instance's
   *  COMMAND as the service's (childPid…); with several COMMANDs (instances, a roll's overlap)
   *  each in `commands` (`status` shows them, and a `stop` after our death finds their groups). */
  private fromSlots(slots: readonly SlotView[]): Partial<ServiceState> {
    const out: Partial<ServiceState> = {
      state: servicePhase(slots.map((s) => s.machine.phase)),
      restarts: slots.reduce((n, s) => n + s.machine.restarts, 0),
    };
    const failure = slots.find((s) => s.machine.failure)?.machine.failure;
    if (failure) out.error = failure;
    const due = slots.map((s) => s.nextRestartAt).filter((t): t is number => t !== null);
    out.nextRestartAt = due.length > 0 ? Math.min(...due) : undefined;
    const first = slots.find((s) => s.current && !isTerminal(s.machine.phase))?.current;
    if (first) Object.assign(out, commandFacts(first));
    const commands = slots.flatMap((s) => commandsOf(s));
    out.commands = slots.length > 1 || commands.length > 1 ? commands : undefined;
    return out;
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
    if (lost || this.statusWrite || this.soonWrite) this.save(lost ? { logLost: lost } : {}); // takes the STATUS=
    if (this.kept) removeKeptState(this.paths.statefile);
    this.kept = false;
    this.owner = false;
  }
}

/** A state as compared for a write not made: all but updatedAt and `spawning`. */
function sameAs(state: ServiceState): string {
  const { updatedAt: _at, spawning: _sp, ...rest } = state;
  const defined = Object.entries(rest).filter(([, v]) => v !== undefined);
  return JSON.stringify(defined.sort(([a], [b]) => (a < b ? -1 : 1)));
}

function commandFacts(sup: CommandView): Partial<ServiceState> {
  return {
    childPid: sup.child.pid,
    childPgid: sup.group.pgid,
    childStartTime: sup.group.leaderStartTime,
    childStartedAt: sup.startedAt,
  };
}

/** An instance's live COMMANDs: the current one (its instance's state), the next one of a roll
 *  (`new`, starting), old ones being stopped (`old`, stopping). */
function commandsOf(slot: SlotView): CommandRecord[] {
  const one = (sup: CommandView, role: CommandRecord['role'], state: RunState): CommandRecord => ({
    instance: slot.instance,
    role,
    state,
    pid: sup.child.pid,
    pgid: sup.group.pgid,
    startTime: sup.group.leaderStartTime,
    startedAt: sup.startedAt,
    restarts: slot.machine.restarts,
  });
  const out: CommandRecord[] = [];
  const phase = slot.machine.phase;
  if (phase === 'backoff' || isTerminal(phase) || !slot.current)
    out.push({
      instance: slot.instance,
      role: 'current',
      state: servicePhase([phase]),
      pid: null,
      restarts: slot.machine.restarts,
    });
  else out.push(one(slot.current, 'current', servicePhase([phase])));
  if (slot.next) out.push(one(slot.next, 'new', 'starting'));
  for (const old of slot.retiring) out.push(one(old, 'old', 'stopping'));
  return out;
}
