/**
 * Restart policy (pure): when to restart a COMMAND that ended, after how long, and when to
 * give up. Durations in the CLI's syntax. Everything here is table-tested.
 */

export type RestartMode = 'no' | 'on-failure' | 'always';

export interface RestartPolicy {
  restart: RestartMode;
  delayMs: number; // first restart after this (--restart-delay, 100ms)
  maxDelayMs: number; // doubling stops here (--restart-max-delay, 30s)
  minUptimeMs: number; // up this long: the next delay starts over (--min-uptime, 10s)
  /** More restarts than this within the window: give up (--max-restarts, 10). null: never give
   *  up (`--max-restarts infinity`; null, not Infinity, because the policy travels as JSON). */
  maxRestarts: number | null;
  windowMs: number; // (--restart-window, 60s)
}

export const DEFAULT_POLICY: RestartPolicy = {
  restart: 'no',
  delayMs: 100,
  maxDelayMs: 30_000,
  minUptimeMs: 10_000,
  maxRestarts: 10,
  windowMs: 60_000,
};

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `100ms`, `2s`, `1.5m`, `1h`; a bare number is seconds (as in systemd). null when invalid. */
export function parseDuration(text: string): number | null {
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return null;
  const ms = Number(m[1]) * UNITS[m[2] ?? 's']!;
  return Number.isFinite(ms) && ms <= 2 ** 31 - 1 ? Math.round(ms) : null;
}

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

/** The most --max-restarts takes: the restart times in the window are kept (at most this many
 *  + 1, 8 MB at the most); never giving up is `infinity`, which keeps none. */
export const MAX_RESTARTS_LIMIT = 1_000_000;

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
