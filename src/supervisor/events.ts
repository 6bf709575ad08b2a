/**
 * What a supervised service says to whoever started it (a launcher waiting on its report pipe,
 * or `run`), and what a launcher hands a detached supervisor.
 */
import type { DaemonChannel } from '../spawn/attach.js';
import type { DaemonError } from '../errors/errors.js';
import type { Listener } from '../spawn/listen.js';
import type { NotifyHandle } from '../notify/listener.js';
import type { CapturePipes } from '../logs/write/capture.js';
import type { Adopted } from './supervise.js';

export type ServiceEvent =
  | { type: 'locked' }
  | { type: 'running'; childPid: number; logError?: string }
  | { type: 'start-failed'; error: DaemonError }
  | { type: 'already-running' };

/** Tell a launcher waiting on its report pipe how the start went (supervisor and library alike). */
export function reportTo(channel: DaemonChannel): (event: ServiceEvent) => void {
  return (event) => {
    if (event.type === 'already-running') channel.report({ type: 'running' });
    else if (event.type === 'start-failed')
      channel.report({
        type: 'error',
        code: event.error.code,
        message: event.error.message,
        details: event.error.details,
      });
    else if (event.type === 'running')
      channel.report({
        type: 'ready',
        pid: process.pid,
        childPid: event.childPid,
        ...(event.logError ? { logError: event.logError } : {}),
      });
    if (event.type !== 'locked') channel.close();
  };
}

/**
 * What the launcher already did for a detached supervisor: it took the lock (the fd is ours
 * now), wrote the pidfile with our pid, and our first act was to start the COMMAND.
 */
export interface Inherited {
  lockFd: number;
  adopted: Adopted;
  /** The log pipes, made by the launcher: the COMMAND already writes into them. */
  pipes: CapturePipes;
  /** The read end of the first COMMAND's readiness pipe (--ready fd:N). */
  readyFd?: number;
  /** The service's notify socket (--ready notify), made before the first COMMAND. */
  notify?: NotifyHandle;
  /** The write end of the COMMAND's guard pipe (see LaunchSpec.guardCommand). */
  guardFd?: number;
  /** The --listen sockets the launcher bound (spawn/listen.ts). */
  listen?: Listener[];
}
