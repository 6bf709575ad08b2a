/**
 * The supervisor as a state machine (pure): transition(state, event, policy, now) returns the
 * next state and the effects for the runner (service.ts) to perform. No I/O, no clock reads.
 *
 *   starting --started--> running --exited--> backoff --timer--> starting …
 *       |                    |          \--(no restart)--> exited | failed
 *       |                    |          \--(too many)----> failed (crash loop)
 *       +--exited--> failed (start failed: the launcher is told)
 *   any --stop--> stopping --exited--> stopped          backoff --stop--> stopped (at once)
 *   stopping --stop-ran-out--> running (or starting): the schedule ended, the COMMAND still runs
 *   starting --not-ready--> stopping --exited--> failed (first start: the launcher is told)
 *   starting --stop--> stopping --exited--> stopped (first start: the launcher is told it was
 * stopped)
 *   starting --not-ready--> (COMMAND killed) --exited--> backoff … (a restart: the policy decides)
 */
import { countRestart, nextDelay, wantsRestart, type ExitFacts } from './policy.js';
import type { RestartPolicy } from '../config/restart-policy.js';

export type Phase =
  | 'starting'
  | 'running'
  | 'backoff'
  | 'stopping'
  | 'stopped'
  | 'exited'
  | 'failed';

export interface MachineState {
  phase: Phase;
  /** Whether the launcher has been told the start worked (the first start only). */
  announced: boolean;
  restarts: number;
  restartTimes: number[];
  delayMs: number | null;
  failure: string | null;
}

export type MachineEvent =
  | { type: 'started' } // the COMMAND outlived the grace period, or said it is ready
  | { type: 'not-ready'; reason: string } // --ready-timeout passed, or it reported an error (ERRNO=)
  | { type: 'exited'; exit: ExitFacts } // the COMMAND ended and its group is gone
  | { type: 'timer' } // the backoff delay has passed
  | { type: 'stop' } // a stop was asked for
  | { type: 'stop-ran-out' }; // a stop's schedule ended with the COMMAND still running

export type Effect =
  | { type: 'spawn' }
  | { type: 'announce-started' }
  | { type: 'announce-failed'; reason: string; whole?: boolean } // whole: the reason is the full message
  | { type: 'kill-command' } // end a COMMAND that never became ready (not a stop)
  | { type: 'set-timer'; ms: number }
  | { type: 'cancel-timer' }
  | { type: 'stop-group' }
  | { type: 'announce-stopped' } // tell the launcher: stopped before the start completed
  | { type: 'finish' }; // nothing left to supervise: release and exit

export const initialState = (): MachineState => ({
  phase: 'starting',
  announced: false,
  restarts: 0,
  restartTimes: [],
  delayMs: null,
  failure: null,
});

const TERMINAL: ReadonlySet<Phase> = new Set(['stopped', 'exited', 'failed']);
export const isTerminal = (phase: Phase): boolean => TERMINAL.has(phase);

function describe(exit: ExitFacts): string {
  return exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

export function transition(
  state: MachineState,
  event: MachineEvent,
  policy: RestartPolicy,
  now: number,
): { state: MachineState; effects: Effect[] } {
  const to = (patch: Partial<MachineState>, ...effects: Effect[]) => ({
    state: { ...state, ...patch },
    effects,
  });
  if (isTerminal(state.phase)) return to({});
  switch (event.type) {
    case 'started':
      if (state.phase !== 'starting') return to({});
      return state.announced
        ? to({ phase: 'running' })
        : to({ phase: 'running', announced: true }, { type: 'announce-started' });

    case 'not-ready':
      if (state.phase !== 'starting') return to({});
      // The first start fails once the COMMAND is gone (nothing may be left running); a restarted
      // one is ended, and its exit goes through the restart policy like any failure.
      return state.announced
        ? to({}, { type: 'kill-command' })
        : to({ phase: 'stopping', failure: event.reason }, { type: 'stop-group' });

    case 'stop':
      if (state.phase === 'backoff')
        return to({ phase: 'stopped' }, { type: 'cancel-timer' }, { type: 'finish' });
      if (state.phase === 'stopping') return to({});
      return to({ phase: 'stopping' }, { type: 'stop-group' });

    case 'stop-ran-out':
      // Back to what it was before the stop: it still runs, and is still supervised (its exit
      // still counts as stopped). Not for a COMMAND being ended for not becoming ready.
      if (state.phase !== 'stopping' || state.failure !== null) return to({});
      return to({ phase: state.announced ? 'running' : 'starting' });

    case 'timer':
      if (state.phase !== 'backoff') return to({});
      return to({ phase: 'starting' }, { type: 'spawn' });

    case 'exited': {
      const exit = event.exit;
      if (state.phase === 'stopping' && !state.announced && state.failure !== null) {
        return to(
          { phase: 'failed' },
          { type: 'announce-failed', reason: state.failure, whole: true },
          { type: 'finish' },
        );
      }
      if (state.phase === 'stopping' || exit.byStop) {
        // A stop that came before the first start was announced: its launcher is still waiting.
        return state.announced
          ? to({ phase: 'stopped' }, { type: 'finish' })
          : to({ phase: 'stopped' }, { type: 'announce-stopped' }, { type: 'finish' });
      }
      if (!state.announced) {
        // The start fails either way (the launcher is told); the state says how it ended: a
        // clean exit 0 (a one-shot under `run`) is exited, not failed.
        const reason = describe(exit);
        const clean = exit.signal === null && exit.code === 0;
        return to(
          {
            phase: clean ? 'exited' : 'failed',
            failure: clean ? null : `${reason} within the grace period`,
          },
          { type: 'announce-failed', reason },
          { type: 'finish' },
        );
      }
      const failed = exit.signal !== null || exit.code !== 0;
      if (!wantsRestart(policy.restart, exit))
        return to(
          { phase: failed ? 'failed' : 'exited', failure: failed ? describe(exit) : null },
          { type: 'finish' },
        );
      const { times, giveUp } = countRestart(state.restartTimes, now, policy);
      if (giveUp) {
        return to(
          {
            phase: 'failed',
            restartTimes: times,
            failure: `crash loop: more than ${policy.maxRestarts} restarts within ${policy.windowMs / 1000}s; last ${describe(exit)}`,
          },
          { type: 'finish' },
        );
      }
      const delayMs = nextDelay(state.delayMs, exit, policy);
      return to(
        { phase: 'backoff', restarts: state.restarts + 1, restartTimes: times, delayMs },
        { type: 'set-timer', ms: delayMs },
      );
    }
  }
}
