/**
 * How a service runs, in the words `status -v` shows: its working directory, user, restart
 * policy and log files. Recorded in state.json (mode 0644, readable by anyone who may run
 * `status`), not read from spec.json (0600: it holds the --env values).
 */
import type { CommandSpec, ProjectTag } from '../config/spec.js';
import { DEFAULT_POLICY, type RestartPolicy } from '../config/restart-policy.js';
import { getUser } from '../sys/native.js';

export interface ServiceFacts {
  cwd: string;
  /** The COMMAND's user (and group, as given to --user/--group). */
  user: string;
  restartPolicy: RestartPolicy;
  /** Where its stdout and stderr go (null: the supervisor's own, under `run`). */
  logFiles: { stdout: string | null; stderr: string | null };
  /** The project it belongs to (`daemonkit up`), without its definition (spec.json has that). */
  project?: Omit<ProjectTag, 'definition'>;
}

export function serviceFacts(spec: CommandSpec): ServiceFacts {
  return {
    cwd: spec.chdir,
    user: userOf(spec),
    restartPolicy: spec.restart ?? DEFAULT_POLICY,
    logFiles: { stdout: spec.stdout, stderr: spec.stderr },
    ...(spec.project
      ? {
          project: {
            project: spec.project.project,
            service: spec.project.service,
            file: spec.project.file,
          },
        }
      : {}),
  };
}

/** --user as resolved, else whoever we are (the COMMAND runs as the caller). */
function userOf(spec: CommandSpec): string {
  if (spec.runAs)
    return spec.runAs.group !== undefined
      ? `${spec.runAs.name}:${spec.runAs.group}`
      : spec.runAs.name;
  const uid = process.getuid?.() ?? 0;
  try {
    return getUser(uid)?.name ?? `uid ${uid}`;
  } catch {
    return `uid ${uid}`; // the user database failed: the number says it
  }
}
