/**
 * The machine's rules for a rolling restart (pure, part of machine.ts's transition): a next
 * COMMAND started beside the current one, which is retired once the next is ready; the next ended
 * instead when it is not. What the rest of the machine does to a roll under way (a stop, the old
 * COMMAND's exit, a start that fails) is said here too.
 */
import type { Effect, MachineEvent, MachineState, Step } from './machine.js';
import { stepFrom } from './machine-step.js';

type RollEvent = Extract<MachineEvent, { type: 'roll' | 'next-started' | 'next-failed' }>;

export function rollTransition(state: MachineState, event: RollEvent): Step {
  const to = stepFrom(state);
  switch (event.type) {
    case 'roll':
      if (state.roll !== null) return to({}); // one roll at a time (the runner's rule too)
      switch (state.phase) {
        case 'running':
          return to({ phase: 'rolling', roll: 'next' }, { type: 'spawn-next' });
        case 'starting': // nothing ready to overlap yet: the overlap begins once it is
          return to({ roll: 'deferred' });
        case 'backoff': // nothing serves: the new COMMAND starts now, its start is the roll's
          return to(
            { phase: 'starting', roll: 'promoted' },
            { type: 'cancel-timer' },
            { type: 'spawn' },
          );
        default:
          return to({}, { type: 'roll-failed', reason: `it is ${state.phase}` });
      }
    case 'next-started':
      if (state.phase !== 'rolling') return to({});
      return to(
        { phase: 'running', roll: null },
        { type: 'retire' },
        { type: 'promote' },
        { type: 'roll-done' },
      );
    case 'next-failed':
      if (state.phase !== 'rolling') return to({});
      return to(
        { phase: 'running', roll: null },
        { type: 'end-next' },
        { type: 'roll-failed', reason: event.reason },
      );
  }
}

/** The current COMMAND became ready while a roll waits on it. */
export function startedInRoll(state: MachineState): Step {
  const announce: Effect[] = state.announced ? [] : [{ type: 'announce-started' }];
  if (state.roll === 'deferred')
    return {
      state: { ...state, phase: 'rolling', announced: true, roll: 'next' },
      effects: [...announce, { type: 'spawn-next' }],
    };
  return {
    state: { ...state, phase: 'running', announced: true, roll: null },
    effects: [...announce, { type: 'roll-done' }],
  };
}

/** The old COMMAND ended during the overlap: the next one is the current one now, and its start
 *  completes the roll (nothing else restarts it: it is starting already). */
export function oldExitedInRoll(state: MachineState): Step {
  return {
    state: { ...state, phase: 'starting', roll: 'promoted', stopsRunning: 0 },
    effects: [{ type: 'promote' }],
  };
}

/** A step that ends a roll under way without completing it (a stop, a failed start of the new
 *  COMMAND): the roll is said to have failed, `why`. */
export function failingRoll(before: MachineState, step: Step, why: string): Step {
  if (before.roll === null) return step;
  return {
    state: { ...step.state, roll: null },
    effects: [...step.effects, { type: 'roll-failed', reason: why }],
  };
}
