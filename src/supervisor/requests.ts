/**
 * Requests left in the service's directory by `daemonkit stop` and `daemonkit reopen` before
 * they signal: a signal says "now", the file says what (a stop's schedule) and that it is meant.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { defaultSchedule, parseSchedule, type StopSchedule } from '../schedule.js';

/** Requests older than this are leftovers (a requester that died before signalling). */
const FRESH_MS = 60_000;

/** Read and consume the stop request left by `daemonkit stop` (its --retry schedule). */
export function takeStopRequest(path: string): StopSchedule | null {
  try {
    const req = JSON.parse(readFileSync(path, 'utf8')) as { schedule?: string; at?: number };
    unlinkSync(path);
    if (typeof req.schedule === 'string' && typeof req.at === 'number' && Date.now() - req.at < FRESH_MS) return parseSchedule(req.schedule);
    return defaultSchedule();
  } catch {
    return null; // no request (a plain SIGTERM), or an unreadable one
  }
}

/** Read and consume a reopen request; true if there was a fresh one. */
export function takeReopenRequest(path: string): boolean {
  try {
    const req = JSON.parse(readFileSync(path, 'utf8')) as { at?: number };
    unlinkSync(path);
    return typeof req.at === 'number' && Date.now() - req.at < FRESH_MS;
  } catch {
    return false;
  }
}
