/**
 * The supervisor as a state machine (pure): transition(state, event, policy, now) returns the
 * next state and the effects for the runner (runner.ts) to perform. No I/O, no clock reads.
 * Every change of a service's state goes through it (the states and events: docs/decisions.md).
 *
 *   starting --started--> running --exited--> backoff --timer--> starting …
 *       |                    |          \--(no restart)--> exited | failed
 *       |                    |          \--(too many)----> failed (crash loop)
 *       +--exited--> failed (start failed: the launcher is told)
 *       +--spawn-failed--> failed (first start) | as an exit with code 127 (a restart)
 *   any --stop--> stopping --exited--> stopped          backoff --stop--> stopped (at once)
 *   stopping --stop(request)--> stopping: one more schedule at work
 *   stopping --stop-ran-out--> running (or starting): the last schedule at work ended, the
 *     COMMAND still runs
 *   starting --not-ready--> stopping --exited--> failed (first start: the launcher is told)
 *   starting --stop--> stopping --exited--> stopped (first start: the launcher is told it was
 *     stopped, by a stop or by a restart)
 *   starting --not-ready--> (COMMAND killed) --exited--> backoff … (a restart: the policy decides)
 *   starting --announced--> running (the launcher already announced it: --grace 0, adopted)
 * A rolling restart (`restart --rolling`, machine-roll.ts) overlaps the old and the new COMMAND:
 *   running --roll--> rolling: a next COMMAND starts beside the current one
 *   rolling --next-started--> running: the old one retired (its stop schedule), the next current
 *   rolling --next-failed--> running: the next ended, the old one kept; the roll failed
 *   rolling --exited--> starting: the old one died; the next is the current one now
 *   rolling --stop--> stopping: both stopped
 */
import type { StopSchedule } from '../config/schedule.js';
import type { RunState } from '../service/state.js';
import { exited, NOT_EXECUTED } from './machine-exit.js';
import { failingRoll, oldExitedInRoll, rollTransition, startedInRoll } from './machine-roll.js';
import type { ExitFacts } from './policy.js';
import type { RestartPolicy } from '../config/restart-policy.js';
import { stepFrom } from './machine-step.js';

/** The recorded states (state.json's `state`), and `rolling`, which is recorded as `running`. */
export type Phase = RunState | 'rolling';

export interface MachineState {
  phase: Phase;
  /** Whether the launcher has been told the start worked (the first start only). */
  announced: boolean;
  restarts: number;
  restartTimes: number[];
  delayMs: number | null;
  failure: string | null;
  /** Stop schedules at work on the current COMMAND: each stop request runs its own. */
  stopsRunning: number;
  /** Who asked for the stop under way, for the log (`daemonkit stop`); null: a signal. */
  stopBy: string | null;
  /** A `restart` asked for a stop: a start it cuts short says so. */
  forRestart: boolean;
  /** A rolling restart's part in this COMMAND: asked while it was starting (`deferred`: the
   *  overlap begins once it is ready), a next COMMAND starting beside it (`next`), or the current
   *  COMMAND is the new one whose start completes the roll (`promoted`). null: no roll. */
  roll: RollStage | null;
}

export type RollStage = 'deferred' | 'next' | 'promoted';

export type MachineEvent =
  | { type: 'started' } // the COMMAND outlived the grace period, or said it is ready
  | { type: 'announced' } // the launcher already said it started (adopted, --grace 0)
  | { type: 'not-ready'; reason: string } // --ready-timeout passed, or it reported an error (ERRNO=)
  | { type: 'exited'; exit: ExitFacts } // the COMMAND ended and its group is gone
  | { type: 'spawn-failed'; reason: string } // the COMMAND could not be started
  | { type: 'timer' } // the backoff delay has passed
  | StopEvent // a stop was asked for
  // A stop's schedule ended with the COMMAND still running (its leader already gone: members
  // left, whose end is being seen through).
  | { type: 'stop-ran-out'; leaderExited?: boolean }
  | { type: 'roll' } // `restart --rolling`: replace the COMMAND, overlapping the two
  | { type: 'next-started' } // the next COMMAND is ready (or alive after --grace)
  | { type: 'next-failed'; reason: string }; // it was not: not ready, ended, or not executed

export interface StopEvent {
  type: 'stop';
  /** Who asks, for the log (`daemonkit restart`); none: a signal. */
  by?: string;
  /** A new request (a stop.json taken): during a stop it runs its own schedule, where a bare
   *  signal adds nothing (a stopper signals after leaving its request, which we may have taken). */
  request?: boolean;
  forRestart?: boolean;
  /** The schedule to run; none: the default. */
  schedule?: StopSchedule;
}

export type Effect =
  | { type: 'spawn' }
  | { type: 'announce-started' }
  | { type: 'announce-failed'; reason: string; whole?: boolean } // whole: the reason is the full message
  | { type: 'announce-spawn-failed' } // tell the launcher why the COMMAND could not be started
  | { type: 'kill-command' } // end a COMMAND that never became ready (not a stop)
  | { type: 'set-timer'; ms: number }
  | { type: 'cancel-timer' }
  | { type: 'stop-group'; schedule?: StopSchedule }
  | { type: 'announce-stopped'; by: 'stop' | 'restart' } // stopped before the start completed
  | { type: 'finish' } // nothing left to supervise: release and exit
  | { type: 'spawn-next' } // start the next COMMAND beside the current one
  | { type: 'retire' } // stop the current COMMAND by the roll's schedule; it is not current now
  | { type: 'promote' } // the next COMMAND becomes the current one
  | { type: 'end-next'; schedule?: StopSchedule } // stop the next COMMAND (not ready, or a stop)
  | { type: 'roll-done' }
  | { type: 'roll-failed'; reason: string };

export const initialState = (): MachineState => ({
  phase: 'starting',
  announced: false,
  restarts: 0,
  restartTimes: [],
  delayMs: null,
  failure: null,
  stopsRunning: 0,
  stopBy: null,
  forRestart: false,
  roll: null,
});

const TERMINAL: ReadonlySet<Phase> = new Set(['stopped', 'exited', 'failed']);
export const isTerminal = (phase: Phase): boolean => TERMINAL.has(phase);

export type Step = { state: MachineState; effects: Effect[] };

export function transition(
  state: MachineState,
  event: MachineEvent,
  policy: RestartPolicy,
  now: number,
): Step {
  const to = stepFrom(state);
  if (isTerminal(state.phase))
    return event.type === 'roll'
      ? to({}, { type: 'roll-failed', reason: `it has ${state.phase}` })
      : to({});
  switch (event.type) {
    case 'started':
      if (state.phase !== 'starting') return to({});
      if (state.roll !== null) return startedInRoll(state);
      return state.announced
        ? to({ phase: 'running' })
        : to({ phase: 'running', announced: true }, { type: 'announce-started' });

    case 'announced':
      if (state.phase !== 'starting' || state.announced) return to({});
      return to({ phase: 'running', announced: true });

    case 'not-ready':
      if (state.phase !== 'starting') return to({});
      // The first start fails once the COMMAND is gone (nothing may be left running); a restarted
      // one is ended, and its exit goes through the restart policy like any failure.
      return failingRoll(
        state,
        state.announced
          ? to({}, { type: 'kill-command' })
          : to(
              { phase: 'stopping', failure: event.reason, stopsRunning: state.stopsRunning + 1 },
              { type: 'stop-group' },
            ),
        event.reason,
      );

    case 'stop':
      return failingRoll(state, stop(state, event), 'stopped during the rolling restart');

    case 'stop-ran-out': {
      // Back to what it was before the stop once no other request's schedule is at work: it still
      // runs, and is still supervised (its exit still counts as stopped). Not for a COMMAND being
      // ended for not becoming ready, nor for a leader gone with members left (being stopped).
      const stopsRunning = Math.max(0, state.stopsRunning - 1);
      if (state.phase !== 'stopping' || state.failure !== null) return to({ stopsRunning });
      if (stopsRunning > 0 || event.leaderExited) return to({ stopsRunning });
      return to({ phase: state.announced ? 'running' : 'starting', stopsRunning });
    }

    case 'timer':
      if (state.phase !== 'backoff') return to({});
      return to({ phase: 'starting' }, { type: 'spawn' });

    case 'spawn-failed':
      if (state.phase !== 'starting') return to({});
      if (!state.announced)
        return to(
          { phase: 'failed', failure: event.reason },
          { type: 'announce-spawn-failed' },
          { type: 'finish' },
        );
      return failingRoll(
        state,
        exited({ ...state, stopsRunning: 0 }, NOT_EXECUTED, policy, now),
        event.reason,
      );

    case 'exited':
      if (state.phase === 'rolling') return oldExitedInRoll(state);
      // Whatever schedules were at work, they were the ended COMMAND's.
      return failingRoll(
        state,
        exited({ ...state, stopsRunning: 0 }, event.exit, policy, now),
        `${event.exit.signal ? `killed by ${event.exit.signal}` : `exited with code ${event.exit.code}`} before it was ready`,
      );

    case 'roll':
    case 'next-started':
    case 'next-failed':
      return rollTransition(state, event);
  }
}

function stop(state: MachineState, event: StopEvent): Step {
  const forRestart = state.forRestart || event.forRestart === true;
  const group: Effect = event.schedule
    ? { type: 'stop-group', schedule: event.schedule }
    : { type: 'stop-group' };
  if (state.phase === 'stopping') {
    if (!event.request) return { state, effects: [] };
    // A new request during a stop (say KILL after a TERM schedule ran out) runs its own schedule.
    return {
      state: { ...state, forRestart, stopsRunning: state.stopsRunning + 1 },
      effects: [group],
    };
  }
  const asked = { ...state, forRestart, stopBy: event.by ?? null };
  // During a roll's overlap both COMMANDs are stopped, by the same schedule.
  const next: Effect[] =
    state.phase === 'rolling'
      ? [event.schedule ? { type: 'end-next', schedule: event.schedule } : { type: 'end-next' }]
      : [];
  if (state.phase === 'backoff')
    return {
      state: { ...asked, phase: 'stopped' },
      effects: [{ type: 'cancel-timer' }, { type: 'finish' }],
    };
  return {
    state: { ...asked, phase: 'stopping', stopsRunning: state.stopsRunning + 1 },
    effects: [group, ...next],
  };
}
