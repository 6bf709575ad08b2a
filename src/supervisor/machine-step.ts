/** The one way a transition (machine.ts, machine-exit.ts, machine-roll.ts) says its step. */
import type { Effect, MachineState, Step } from './machine.js';

/** A step from `state`: `to(patch, ...effects)` is the state patched and the effects to run. */
export const stepFrom =
  (state: MachineState) =>
  (patch: Partial<MachineState>, ...effects: Effect[]): Step => ({
    state: { ...state, ...patch },
    effects,
  });
