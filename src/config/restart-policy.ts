/** The restart policy's options (--restart and its limits) and their defaults. */

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

/** The most --max-restarts takes: the restart times in the window are kept (at most this many
 *  + 1, 8 MB at the most); never giving up is `infinity`, which keeps none. */
export const MAX_RESTARTS_LIMIT = 1_000_000;
