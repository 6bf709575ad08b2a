/**
 * `down`: stop a project's services in reverse dependency order (a level once the one after it
 * has stopped; a level's services in parallel). Only the project's own: a standalone service of
 * the same name is left alone. The whole project's `down` also stops services of the project
 * the file no longer has.
 */
import { closeSync } from 'node:fs';
import { defaultSchedule } from '../config/schedule.js';
import type { ServicePaths } from '../config/paths.js';
import { stopService } from '../ops/stop.js';
import { sharedGone, sharedPidfd } from '../ops/shared.js';
import { daemonkitHome } from '../config/paths.js';
import type { Project } from './file.js';
import { lockProject, ownerOf, pathsOf, projectMembers } from './members.js';
import { only } from './order.js';
import { keepFdHints } from '../sys/proc-fds.js';

export type DownOutcome =
  | { kind: 'stopped' }
  | { kind: 'not-running' }
  | { kind: 'not-ours'; why: string }
  | { kind: 'failed'; error: Error };

export interface DownEvent {
  service: string;
  paths: ServicePaths;
  outcome: DownOutcome;
}

export async function projectDown(
  project: Project,
  selected: readonly string[] | null,
  onEvent: (event: DownEvent) => void,
): Promise<DownEvent[]> {
  const names = new Set(selected ?? project.services.keys());
  const events: DownEvent[] = [];
  const stop = async (service: string, paths: ServicePaths, check: boolean): Promise<void> => {
    let outcome: DownOutcome;
    try {
      const owner = check ? ownerOf(paths, project.name) : null;
      if (owner?.owner === 'other') outcome = { kind: 'not-ours', why: owner.why };
      else {
        const result = await stopService(paths, defaultSchedule());
        outcome = { kind: result.wasRunning ? 'stopped' : 'not-running' };
      }
    } catch (error) {
      outcome = { kind: 'failed', error: error as Error };
    }
    const event = { service, paths, outcome };
    events.push(event);
    onEvent(event);
  };
  const unlock = lockProject(project.name);
  // Every stop asks whether the shared supervisor holds its service's lock: one walk of its fds.
  const dropHints = keepFdHints();
  // Taken while the supervisor holds its lock: its exit is what a whole down waits for.
  let supervisor = selected === null ? sharedPidfd(project.name, daemonkitHome()) : null;
  try {
    if (selected === null) {
      // Those the file lost first: nothing in the file comes after them any more.
      const gone = [...projectMembers(project.name)].filter(([s]) => !project.services.has(s));
      await Promise.all(gone.map(([service, paths]) => stop(service, paths, false)));
    }
    for (const level of only(project.levels, names).reverse())
      await Promise.all(level.map((s) => stop(s, pathsOf(project.name, s), true)));
    // The whole project down leaves nothing running: its supervisor exits once its last service
    // has ended (a moment after the last stop's answer); wait for that.
    if (selected === null) {
      const fd = supervisor;
      supervisor = null; // closed by sharedGone
      await sharedGone(project.name, daemonkitHome(), 5000, fd);
    }
  } finally {
    if (supervisor !== null) closeSync(supervisor);
    dropHints();
    unlock();
  }
  return events;
}
