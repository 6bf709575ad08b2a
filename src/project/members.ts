/**
 * A project's services as they are on this machine: which daemonkit services belong to it (their
 * state records the project: service-facts.ts), whose a name is, and the project's lock.
 */
import { closeSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkName, daemonkitHome, servicePaths, type ServicePaths } from '../config/paths.js';
import { isDaemonError } from '../errors/errors.js';
import { inspectService } from '../service/inspect.js';
import { waitForRestartLock } from '../service/pidfile.js';
import { readSpec, type RecordedSpec } from '../service/spec-file.js';
import { readState } from '../service/state.js';

export const pathsOf = (project: string, service: string, home = daemonkitHome()): ServicePaths =>
  servicePaths({ name: `${project}.${service}` }, home);

/** The services under $DAEMONKIT_HOME whose state says they are `project`'s: short name → paths. */
export function projectMembers(project: string, home = daemonkitHome()): Map<string, ServicePaths> {
  const out = new Map<string, ServicePaths>();
  let entries: string[];
  try {
    entries = readdirSync(home);
  } catch {
    return out; // no home yet
  }
  for (const name of entries.sort()) {
    if (!name.startsWith(`${project}.`) || checkName(name) !== null) continue;
    const paths = servicePaths({ name }, home);
    let tag: { project: string; service: string } | undefined;
    try {
      tag = readState(paths.statefile)?.project;
    } catch (error) {
      if (!isDaemonError(error)) throw error; // another user's state: not believed, not ours
    }
    if (tag?.project === project && `${project}.${tag.service}` === name)
      out.set(tag.service, paths);
  }
  return out;
}

/**
 * Whose the service at `paths` is: 'free' (nothing there, or files without a start's record),
 * 'ours' (recorded as this project's), or why it is someone else's — a standalone service, or
 * another project's — which `up` must never take over.
 */
export function ownerOf(
  paths: ServicePaths,
  project: string,
): { owner: 'free' | 'ours'; recorded: RecordedSpec | null } | { owner: 'other'; why: string } {
  let recorded: RecordedSpec | null;
  try {
    recorded = readSpec(paths);
  } catch (error) {
    if (!isDaemonError(error)) throw error;
    return { owner: 'other', why: `its files are not usable here (${error.message})` };
  }
  const tag = recorded?.project;
  if (tag?.project === project) return { owner: 'ours', recorded };
  if (tag) return { owner: 'other', why: `it belongs to project ${tag.project} (${tag.file})` };
  if (recorded || inspectService(paths).running)
    return {
      owner: 'other',
      why: `a standalone service of that name exists (stop it and \`daemonkit rm --name ${paths.display}\` to let the project have the name)`,
    };
  return { owner: 'free', recorded: null };
}

/**
 * Take the project's lock, waiting for another `up` or `down` of it to finish: two at once would
 * each start (or stop) what the other is starting. A kernel lock (an OFD lock, gone with its
 * holder); the returned function lets it go.
 */
export function lockProject(project: string, home = daemonkitHome()): () => void {
  const fd = waitForRestartLock(join(home, '.projects', `${project}.lock`));
  return () => closeSync(fd);
}
