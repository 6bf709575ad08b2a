/**
 * Restart policy (pure): when to restart a COMMAND that ended, after how long, and when to
 * give up. Durations in the CLI's syntax. Everything here is table-tested.
 */

import type { RestartMode, RestartPolicy } from '../config/restart-policy.js';

export interface ExitFacts {
  code: number | null;
  signal: string | null;
  uptimeMs: number;
  byStop: boolean;
}

/** Does this exit call for a restart under the policy? */
export function wantsRestart(mode: RestartMode, exit: ExitFacts): boolean {
  if (exit.byStop || mode === 'no') return false;
  if (mode === 'always') return true;
  return exit.signal !== null || exit.code !== 0;
}

/** The delay before the next restart, given the one before (null: none yet). */
export function nextDelay(
  previousMs: number | null,
  exit: ExitFacts,
  policy: RestartPolicy,
): number {
  if (previousMs === null || exit.uptimeMs >= policy.minUptimeMs)
    return Math.min(policy.delayMs, policy.maxDelayMs);
  return Math.min(previousMs * 2, policy.maxDelayMs);
}

/** Restart times still inside the window, with `now` added; `giveUp` when there are too many. */
export function countRestart(
  times: readonly number[],
  now: number,
  policy: RestartPolicy,
): { times: number[]; giveUp: boolean } {
  const max = policy.maxRestarts;
  if (max === null) return { times: [], giveUp: false }; // never gives up: nothing to count
  // Only the last max+1 matter: the list stays bounded however long the service lives.
  const recent = [...times.filter((t) => now - t < policy.windowMs), now].slice(-(max + 1));
  return { times: recent, giveUp: recent.length > max };
}
