/**
 * Requests left in the service's directory by `daemonkit stop` and `daemonkit reopen` before
 * they signal: a signal says "now", the file says what (a stop's schedule) and that it is meant.
 * Written here and read here: the writers' side first, then the supervisor's.
 */
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { DaemonError } from '../errors/errors.js';
import { readOwnedFile } from '../files/owner.js';
import { defaultSchedule, parseSchedule, type StopSchedule } from '../config/schedule.js';
import type { CommandSpec } from '../config/spec.js';

/** Requests older than this are leftovers (a requester that died before signalling). */
const FRESH_MS = 60_000;

/**
 * Leave a request: its fields, when (returned) and by whom. Written to a temp name and renamed,
 * so the supervisor never reads half of one. NO_PERMISSION naming the file when it cannot be.
 */
export function writeRequest(
  path: string,
  what: 'stop' | 'reopen' | 'rolling restart',
  fields: Record<string, unknown> = {},
): number {
  const at = Date.now();
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify({ ...fields, at, by: process.pid }), { mode: 0o600 });
    renameSync(tmp, path);
  } catch (error) {
    throw new DaemonError(
      'NO_PERMISSION',
      `cannot write the ${what} request ${path}: ${(error as Error).message}`,
      { path },
    );
  }
  return at;
}

/** Take back a request the supervisor has not taken (it would count later). */
export function withdrawRequest(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // taken already
  }
}

/** Is a request we may believe waiting (left while we booted)? Only a regular file (not followed
 *  if a symbolic link) of our own user or root's: another user's is not a request. */
export function requestPending(path: string): boolean {
  return readOwnedFile(path) !== null;
}

/** Read and consume a request file: its fields, and whether it is fresh. null when there is
 *  none, or it cannot be read or parsed (then it is left as it is). */
function takeRequest(path: string): { req: Record<string, unknown>; fresh: boolean } | null {
  try {
    const text = readOwnedFile(path); // another user's is left as it is
    if (text === null) return null;
    const req = JSON.parse(text) as Record<string, unknown> | null;
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
  if (!taken.fresh || typeof taken.req.schedule !== 'string')
    return { schedule: defaultSchedule(), forRestart };
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

export interface RollRequest {
  at: number;
  /** The new COMMAND's spec, made by `restart --rolling` as a restart makes it. */
  spec: CommandSpec;
  /** The old COMMANDs' stop schedule. */
  schedule: StopSchedule;
}

/** Read and consume a fresh `restart --rolling` request; null for none (or a stale or damaged
 *  one: taken, and not acted on — its requester has given up on it, or will say it failed). */
export function takeRollRequest(path: string): RollRequest | null {
  const taken = takeRequest(path);
  if (!taken?.fresh) return null;
  const { at, spec, schedule } = taken.req as {
    at: number;
    spec?: CommandSpec;
    schedule?: unknown;
  };
  if (
    typeof spec !== 'object' ||
    spec === null ||
    !Array.isArray(spec.command) ||
    spec.command.length === 0 ||
    typeof spec.env !== 'object'
  )
    return null;
  let steps = defaultSchedule();
  try {
    if (typeof schedule === 'string') steps = parseSchedule(schedule);
  } catch {
    // the default
  }
  return { at, spec, schedule: steps };
}
