/**
 * The machine's rules for a COMMAND that ended (pure, part of machine.ts's transition): stopped,
 * a failed start, restarted after a delay, or given up on.
 */
import type { MachineState, Step } from './machine.js';
import { countRestart, nextDelay, wantsRestart, type ExitFacts } from './policy.js';
import type { RestartPolicy } from '../config/restart-policy.js';
import { stepFrom } from './machine-step.js';

/** What a restart that cannot exec counts as: a failed run, like a shell's 127. */
export const NOT_EXECUTED: ExitFacts = { code: 127, signal: null, uptimeMs: 0, byStop: false };

function describe(exit: ExitFacts): string {
  return exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

export function exited(
  state: MachineState,
  exit: ExitFacts,
  policy: RestartPolicy,
  now: number,
): Step {
  const to = stepFrom(state);
  if (state.phase === 'stopping' && !state.announced && state.failure !== null) {
    return to(
      { phase: 'failed' },
      { type: 'announce-failed', reason: state.failure, whole: true },
      { type: 'finish' },
    );
  }
  if (state.phase === 'stopping' || exit.byStop) {
    // A stop that came before the first start was announced: its launcher is still waiting.
    const by = state.forRestart ? 'restart' : 'stop';
    return state.announced
      ? to({ phase: 'stopped' }, { type: 'finish' })
      : to({ phase: 'stopped' }, { type: 'announce-stopped', by }, { type: 'finish' });
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
