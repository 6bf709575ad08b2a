/** `top --interval`: how often it refreshes (pure). */
import type { Problems } from '../../config/options.js';
import { printable } from '../../config/paths.js';
import { parseDuration } from '../../config/durations.js';

export const DEFAULT_INTERVAL_MS = 1000;
/** Faster would cost a core on 200 services (see docs/decisions.md); slower is not "live". */
export const MIN_INTERVAL_MS = 100;
export const MAX_INTERVAL_MS = 3_600_000;

export function validateInterval(text: string | undefined, problems: Problems): number {
  if (text === undefined) return DEFAULT_INTERVAL_MS;
  const ms = parseDuration(text);
  if (ms === null || ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) {
    problems.add(
      `invalid --interval '${printable(text)}': a duration from 100ms to 1h, such as 500ms or 2s (a bare number is seconds)`,
    );
    return DEFAULT_INTERVAL_MS;
  }
  return ms;
}
