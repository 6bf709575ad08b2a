/** What a supervisor needs to run a COMMAND: validated, resolved, serialisable. */
import type { ServicePaths } from './paths.js';
import type { LogPolicy } from './log-policy.js';
import type { RestartPolicy } from '../config/restart-policy.js';
import type { ReadySpec } from './ready-spec.js';
import type { ListenAddr } from './listen-addr.js';

/** --user/--group, resolved in the parent (src/user.ts). */
export interface RunAs {
  user: string; // as given: a name or a uid (recorded for `restart`)
  group?: string; // as given (--group, or USER:GROUP)
  name: string; // the user's name in the user database
  uid: number;
  gid: number;
  groups: number[]; // supplementary groups, as initgroups(name, gid) sets them
  home: string;
  shell: string;
  /** false when a non-root caller runs the COMMAND as themselves: the ids are left alone. */
  drop: boolean;
}

/** The project a service belongs to (`daemonkit up`): recorded in spec.json, and without its
 *  definition in state.json, so `up` finds its services and tells them from standalone ones. */
export interface ProjectTag {
  /** The project's name (the service is PROJECT.SERVICE). */
  project: string;
  /** Its name in the file. */
  service: string;
  /** The services file, absolute. */
  file: string;
  /** What the file defined it as, key by key (project/definition.ts); null: changed since by
   *  `daemonkit restart` with options or a COMMAND, so no longer the file's. */
  definition?: Record<string, string> | null;
  /** The services of the project it starts after: its shared supervisor stops it before them. */
  after?: string[];
}

export interface CommandSpec {
  command: string[]; // [file, ...args], file resolved to an absolute path
  chdir: string;
  umask: number;
  stdin: string;
  /** Paths, or null for the supervisor's own stdout/stderr (foreground `run`). */
  stdout: string | null;
  stderr: string | null;
  env: Record<string, string>; // the COMMAND's whole environment
  /** The environment it was built from (the caller's; with clearEnv its PATH only), before
   *  --user, --env-file and --env: recorded at start (env.json) for `restart`. */
  baseEnv?: Record<string, string>;
  envOverrides: string[]; // the --env KEY=VALUE given, kept for `restart`
  graceMs: number;
  /** What to do when the COMMAND ends (absent: never restart). */
  restart?: RestartPolicy;
  /** setrlimit before exec: [name, soft, hard], -1 = unlimited. */
  limits?: [string, number, number][];
  nice?: number;
  /** Readiness instead of the grace period (absent: started = alive after graceMs). */
  ready?: ReadySpec;
  readyTimeoutMs?: number;
  /** Timestamps and rotation (absent: plain lines, no rotation). */
  logs?: LogPolicy;
  /** Recorded so `restart` reads the file again and starts from an empty environment again. */
  envFile?: string;
  clearEnv?: boolean;
  /** Run the COMMAND as this user (the supervisor stays who it is). */
  runAs?: RunAs;
  /** --listen: sockets held by the supervisor, fds 3, 4, … of every COMMAND (unix: paths
   *  absolute); listenMode: the unix: sockets' mode. */
  listen?: ListenAddr[];
  listenMode?: number;
  /** Started by `daemonkit up` from a services file. */
  project?: ProjectTag;
  /** --instances: this many copies (2 or more) of the COMMAND, each with DAEMONKIT_INSTANCE
   *  (absent: one, without it). */
  instances?: number;
}

/** The environment instance `n` of a service's COMMANDs gets beside the spec's. */
export function instanceEnv(spec: CommandSpec, n: number): Record<string, string> {
  return spec.instances === undefined ? {} : { DAEMONKIT_INSTANCE: String(n) };
}

export interface SupervisorPayload {
  paths: ServicePaths;
  spec: CommandSpec;
  /** Set when the launcher took the lock and the daemon started the COMMAND before node booted. */
  inherited?: {
    lockFd: number;
    adopted: { pid: number };
    pipes: { stdout: [number, number] | null; stderr: [number, number] | null };
    /** The read end of the first COMMAND's readiness pipe (--ready fd:N). */
    readyFd?: number;
    /** The notify socket the launcher made (--ready notify). */
    notify?: { fd: number; wake: number; path: string; dir: string };
    /** The write end of the COMMAND's guard pipe: a byte on it once our handlers are in place. */
    guardFd?: number;
    /** The --listen sockets the launcher bound, in order (spawn/listen.ts). */
    listen?: { fd: number; path?: string; ino?: number }[];
  };
}
