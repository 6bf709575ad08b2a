/**
 * A project's shared supervisor (project-main.ts) as its callers find and speak to it: its files
 * under $DAEMONKIT_HOME/.projects/, and the requests and replies of its control socket, one JSON
 * object per line. The socket carries what a signal cannot: which service a request is for (a
 * signal to the shared process would reach every service), and an answer.
 */
import { join } from 'node:path';
import { daemonkitHome, fnv1a64, type ServicePaths } from '../config/paths.js';
import type { CommandSpec } from '../config/spec.js';

export interface SharedPaths {
  /** $DAEMONKIT_HOME/.projects (the project locks live there too). */
  dir: string;
  /** Names the supervisor; written by it under its lock. */
  pidfile: string;
  /** Held by the supervisor for its life: "the project's supervisor runs". */
  lockfile: string;
  /** The control socket (0600). Named by a hash: a unix socket's path is at most 107 bytes. */
  socket: string;
  /** The supervisor's own complaints (each service logs to its own files). */
  log: string;
}

export function sharedPaths(project: string, home = daemonkitHome()): SharedPaths {
  const dir = join(home, '.projects');
  const base = join(dir, `${project}.supervisor`);
  return {
    dir,
    pidfile: `${base}.pid`,
    lockfile: `${base}.pid.lock`,
    socket: join(dir, `${fnv1a64(project).slice(0, 12)}.sock`),
    log: `${base}.log`,
  };
}

/** What the launcher hands the shared supervisor. */
export interface SharedPayload {
  project: string;
  home: string;
  /** The supervisor's lock, taken by the launcher (fd 5 of the daemon). */
  lockFd: number;
}

export type SharedRequest = { id: number } & (
  | { op: 'ping' }
  /** Run a service here (its lock taken here); the reply says how its start went. */
  | { op: 'add'; paths: ServicePaths; spec: CommandSpec }
  /** Act on the service's request files (stop.json, reopen.json): its own "signal". */
  | { op: 'requests'; name: string }
  /** Answer once the service has ended here and its lock is released. */
  | { op: 'wait'; name: string }
);

export type SharedReply = { id: number } & (
  | { type: 'pong'; pid: number; services: number }
  | { type: 'running'; pid: number; childPid: number; logError?: string }
  | { type: 'already-running' }
  | { type: 'start-failed'; code: string; message: string; details: Record<string, unknown> }
  | { type: 'taken'; known: boolean }
  | { type: 'gone' }
);
