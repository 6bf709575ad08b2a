/**
 * Requests left in the service's directory by `daemonkit stop` and `daemonkit reopen` before
 * they signal: a signal says "now", the file says what (a stop's schedule) and that it is meant.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { defaultSchedule, parseSchedule, type StopSchedule } from '../schedule.js';

/** Requests older than this are leftovers (a requester that died before signalling). */
const FRESH_MS = 60_000;

/** Read and consume a request file: its fields, and whether it is fresh. null when there is
 *  none, or it cannot be read or parsed (then it is left as it is). */
function takeRequest(path: string): { req: { schedule?: unknown; restart?: unknown }; fresh: boolean } | null {
  try {
    const req = JSON.parse(readFileSync(path, 'utf8')) as { at?: unknown; schedule?: unknown; restart?: unknown } | null;
    if (typeof req !== 'object' || req === null) return null;
    unlinkSync(path);
    return { req, fresh: typeof req.at === 'number' && Date.now() - req.at < FRESH_MS };
  } catch {
    return null;
  }
}

export interface StopRequest {
  schedule: StopSchedule;
  /** Left by a `restart`: a start it cuts short says it was stopped by a restart. */
  forRestart: boolean;
}

/** Read and consume the stop request left by `daemonkit stop` (its --retry schedule); null for
 *  none (a plain SIGTERM). A stale or odd request still means "stop", by the default schedule. */
export function takeStopRequest(path: string): StopRequest | null {
  const taken = takeRequest(path);
  if (!taken) return null;
  const forRestart = taken.fresh && taken.req.restart === true;
  if (!taken.fresh || typeof taken.req.schedule !== 'string') return { schedule: defaultSchedule(), forRestart };
  try {
    return { schedule: parseSchedule(taken.req.schedule), forRestart };
  } catch {
    return { schedule: defaultSchedule(), forRestart };
  }
}

/** Read and consume a reopen request; true if there was a fresh one. */
export function takeReopenRequest(path: string): boolean {
  return takeRequest(path)?.fresh ?? false;
}
