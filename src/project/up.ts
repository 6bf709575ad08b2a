/**
 * `up`: bring what runs to what the file says. Each service is an ordinary daemonkit service
 * (PROJECT.SERVICE), started as `daemonkit start` starts one (ops/start.ts), one supervisor each.
 * Levels start in order, a level's services in parallel, each level once the one before is
 * ready; a changed service is restarted, an unchanged one left alone, one the file no longer has
 * stopped. A failure is said and skips what comes after it; the rest stay up.
 */
import { DaemonError, isDaemonError } from '../errors/errors.js';
import { buildCommandSpec } from '../config/resolve.js';
import { defaultSchedule } from '../config/schedule.js';
import type { ServicePaths } from '../config/paths.js';
import type { CommandSpec } from '../config/spec.js';
import { inspectService } from '../service/inspect.js';
import { makeLockFile, waitForRestartLock } from '../service/pidfile.js';
import { tryLogFiles } from '../ops/start-fds.js';
import { startService } from '../ops/start.js';
import { supervisorFor } from '../ops/shared.js';
import { stopService } from '../ops/stop.js';
import { changedKeys } from './definition.js';
import type { Project } from './file.js';
import { lockProject, ownerOf, pathsOf, projectMembers } from './members.js';
import { only, withDependencies } from './order.js';
import { rememberAncestors } from '../files/ancestors.js';
import { closeSync } from 'node:fs';
import { dirname } from 'node:path';

/** `pid`: the service's COMMAND (the one its pidfile names; the supervisor is the project's). */
export type UpOutcome =
  | { kind: 'started'; pid: number | null }
  | { kind: 'restarted'; pid: number | null; changed: string[] }
  | { kind: 'unchanged' }
  | { kind: 'removed' } // stopped: the file no longer has it
  | { kind: 'failed'; error: DaemonError | Error }
  | { kind: 'skipped'; because: string[] }; // after a service that failed

export interface UpEvent {
  service: string;
  paths: ServicePaths;
  outcome: UpOutcome;
}

/**
 * Every selected service's spec, built as `start` builds it (the COMMAND found on PATH, files
 * checked), before anything is started or stopped: one problem line each, naming FILE:LINE.
 */
export function projectSpecs(
  project: Project,
  names: Iterable<string>,
  options: { foreground?: boolean } = {},
): Map<string, CommandSpec> {
  const specs = new Map<string, CommandSpec>();
  const problems: string[] = [];
  // Read once: each read of process.env goes through node's accessor, key by key.
  const baseEnv = { ...process.env };
  let first: DaemonError | null = null;
  for (const short of names) {
    const s = project.services.get(short)!;
    const paths = pathsOf(project.name, short);
    try {
      const spec = buildCommandSpec(s.command, s.start, paths, {
        cwd: project.dir,
        baseEnv,
        ...(options.foreground ? { foreground: true } : {}),
      });
      spec.project = {
        project: project.name,
        service: short,
        file: project.file,
        definition: s.definition,
        after: s.after,
      };
      specs.set(short, spec);
    } catch (error) {
      if (!isDaemonError(error)) throw error;
      first ??= error;
      const lines = Array.isArray(error.details.problems)
        ? (error.details.problems as string[])
        : [error.message];
      for (const line of lines)
        problems.push(`${project.shown}:${s.line}: services.${short}: ${line}`);
    }
  }
  if (first) throw new DaemonError(first.code, problems.join('; '), { problems });
  return specs;
}

/** `up [SERVICE...]`: `selected` null for the whole file (then services it lost are stopped). */
export async function projectUp(
  project: Project,
  selected: readonly string[] | null,
  onEvent: (event: UpEvent) => void,
): Promise<UpEvent[]> {
  // The directories above each service's files, checked for each of them (its logs, its
  // pidfile; at the specs and again as its files are made): what they were found to be is kept
  // for this command (files/ancestors.ts says why that is safe).
  const forgetAncestors = rememberAncestors();
  try {
    return await upAll(project, selected, onEvent);
  } finally {
    forgetAncestors();
  }
}

async function upAll(
  project: Project,
  selected: readonly string[] | null,
  onEvent: (event: UpEvent) => void,
): Promise<UpEvent[]> {
  const graph = new Map([...project.services].map(([k, s]) => [k, s.after]));
  const names = withDependencies(graph, selected ?? [...project.services.keys()]);
  const specs = projectSpecs(project, names);
  const events: UpEvent[] = [];
  const say = (service: string, paths: ServicePaths, outcome: UpOutcome): void => {
    const event = { service, paths, outcome };
    events.push(event);
    onEvent(event);
  };
  const unlock = lockProject(project.name);
  try {
    if (selected === null) {
      const gone = [...projectMembers(project.name)].filter(([s]) => !project.services.has(s));
      await Promise.all(
        gone.map(async ([service, paths]) => {
          try {
            const result = await stopService(paths, defaultSchedule());
            if (result.wasRunning) say(service, paths, { kind: 'removed' });
          } catch (error) {
            say(service, paths, { kind: 'failed', error: error as Error });
          }
        }),
      );
    }
    const failed = new Set<string>();
    const turns = takeTurns();
    for (const level of only(project.levels, names)) {
      await Promise.all(
        level.map(async (service) => {
          const paths = pathsOf(project.name, service);
          const blocked = project.services.get(service)!.after.filter((d) => failed.has(d));
          const outcome =
            blocked.length > 0
              ? ({ kind: 'skipped', because: blocked } as const)
              : await bringUp(paths, specs.get(service)!, project.name, turns);
          if (outcome.kind === 'failed' || outcome.kind === 'skipped') failed.add(service);
          say(service, paths, outcome);
        }),
      );
    }
  } finally {
    unlock();
  }
  return events;
}

/** One service after the other, each on a turn of the event loop of its own: the files made for
 *  one, its request goes out (once the supervisor is reached), and its supervisor's replies are
 *  heard, before the next one's files are made. */
function takeTurns(): () => Promise<void> {
  let last = Promise.resolve();
  return () => {
    const mine = last.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
    last = mine;
    return mine;
  };
}

/** One service: started, restarted if its definition changed, else left alone. */
async function bringUp(
  paths: ServicePaths,
  spec: CommandSpec,
  project: string,
  turn: () => Promise<void>,
): Promise<UpOutcome> {
  try {
    const owner = ownerOf(paths, project);
    if (owner.owner === 'other')
      return {
        kind: 'failed',
        error: new DaemonError('START_FAILED', `${paths.display}: not started: ${owner.why}`),
      };
    if (!inspectService(paths).running) {
      // The project's supervisor launched now if none runs (the first service to start does it;
      // the others share that), and while it boots and works on the services before this one,
      // this one's directory, lock and log files made here, as `start` makes them: each file
      // made costs ~1 ms on a busy ext4, and the supervisor, one thread for all, then only finds
      // them. (startService asks the same look-up, and the supervisor makes the files again if
      // they could not be made here: their failures are said there, as before, and a supervisor
      // launched for nothing still hears of each service, and exits.)
      supervisorFor(project, dirname(paths.dir), true).catch(() => undefined);
      await turn();
      try {
        makeLockFile(paths.lockfile);
        tryLogFiles(spec);
      } catch {
        // said by the supervisor's own try
      }
      const result = await startService(paths, spec);
      // Another start won the service's lock meanwhile (a `daemonkit start` of it): not ours.
      return result.started
        ? { kind: 'started', pid: 'childPid' in result ? (result.childPid ?? result.pid) : null }
        : { kind: 'unchanged' };
    }
    const before = owner.recorded?.project?.definition;
    const changed =
      before === undefined || before === null
        ? ['(changed by daemonkit restart)']
        : changedKeys(before, spec.project!.definition!);
    if (changed.length === 0) return { kind: 'unchanged' };
    // Restarts take turns with `daemonkit restart` of the same service (pidfile.ts).
    const fd = waitForRestartLock(paths.restartLock);
    try {
      await stopService(paths, defaultSchedule(), { forRestart: true });
      const result = await startService(paths, spec);
      const pid = 'childPid' in result ? (result.childPid ?? result.pid) : result.pid;
      return { kind: 'restarted', pid, changed };
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    return { kind: 'failed', error: error as Error };
  }
}
