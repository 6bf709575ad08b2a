/**
 * The launch of one COMMAND of a service (or the adoption of the one its launcher started):
 * its fds (log pipes, readiness), its NOTIFY_SOCKET, its start line in the log, and what then
 * happens to it (ready, not ready, ended) turned into the machine's events.
 */
import { DaemonError, isDaemonError } from '../errors/errors.js';
import type { CaptureChannel } from '../logs/write/capture.js';
import { instanceEnv, type CommandSpec } from '../config/spec.js';
import type { ExitRecord } from '../service/state.js';
import { startedLine } from './log-events.js';
import type { MachineEvent } from './machine.js';
import type { NotifyHub } from '../notify/hub.js';
import { followReadiness, prepareReadiness, type Readiness } from '../notify/readiness.js';
import { describeReady } from '../config/ready-spec.js';
import { startCommand, type Adopted, type ForkedFacts, type Supervision } from './supervise.js';
import type { Listener } from '../spawn/listen.js';

/** What every COMMAND of a service runs with. */
export interface ServiceIO {
  spec: CommandSpec;
  /** Where this instance's COMMANDs write (their own pipes when there are several). */
  capture: CaptureChannel;
  /** The service's sd_notify socket (--ready notify). */
  hub: NotifyHub | null;
  /** --listen: the sockets held for the service's life, fds 3, 4, … of every COMMAND. */
  listeners: readonly Listener[];
  /** `shared`: one of many services of one process (its COMMANDs watched through SIGCHLD). */
  options: { subreaper?: boolean; shared?: unknown };
  /** Every COMMAND of the service now: one group's stop leaves the others alone. */
  commandPids?: () => number[];
}

/** This launch: the launcher's COMMAND to adopt (with its readiness pipe), and its number. */
export interface LaunchOf {
  adopted?: Adopted;
  readyFd?: number;
  restarts: number;
  /** Which instance (DAEMONKIT_INSTANCE); a roll's next COMMAND (its start line says so). */
  instance: number;
  rolling?: boolean;
  /** The COMMAND forked, not yet exec'd: name it in the state (it execs once this returns). */
  forked?: (pid: number, facts: ForkedFacts) => void;
}

/** What happens to a launched COMMAND. Each names it: the runner drops what concerns a COMMAND
 *  that is no longer the service's current one. */
export interface LaunchHooks {
  event(current: Supervision, event: MachineEvent): void;
  /** It became ready, then exited, both before we looked: a start, if still starting. */
  readyAtExit(current: Supervision): void;
  ended(current: Supervision, exit: ExitRecord): void;
}

export type Launched =
  | { sup: Supervision; extendReady: (ms: number) => void }
  | { error: DaemonError };

export function launchCommand(io: ServiceIO, of: LaunchOf, hooks: LaunchHooks): Launched {
  const { spec, capture, hub } = io;
  let current: Supervision;
  let readiness: Readiness | null = null;
  try {
    readiness = prepareReadiness(spec, of.adopted ? of.readyFd : undefined);
    // Every COMMAND of the service gets the same NOTIFY_SOCKET (the first got it from the
    // launcher), and its instance's number.
    const env = {
      ...spec.env,
      ...(hub ? { NOTIFY_SOCKET: hub.path } : {}),
      ...instanceEnv(spec, of.instance),
    };
    const commandSpec = { ...spec, env };
    current = startCommand(
      commandSpec,
      {
        fds: [...capture.commandFds(), ...io.listeners.map((l) => l.fd), ...readiness.fds],
        drain: () => capture.drain(),
      },
      of.adopted,
      {
        ...(io.options.subreaper ? { subreaper: true } : {}),
        // one of many services of one process: its exit seen through SIGCHLD, not a pool thread
        ...(io.options.shared !== undefined ? { shared: io.options.shared } : {}),
        ...(io.commandPids ? { spare: io.commandPids } : {}),
        ...(of.forked ? { forked: of.forked } : {}),
      },
    );
  } catch (error) {
    readiness?.cancel();
    return { error: isDaemonError(error) ? error : new DaemonError('SPAWN_FAILED', String(error)) };
  }
  // Before anything the COMMAND wrote is read (the pipe is read on a later turn): its lines
  // follow.
  capture.event(startedLine(spec.command, current.child.pid, of.restarts, of.rolling), false);
  readiness.spawned();
  const extendReady = follow(io, current, readiness, hooks);
  void current.ended.then((exit) => hooks.ended(current, exit));
  return { sup: current, extendReady };
}

/** Started means ready (not merely alive after the grace period), within --ready-timeout. */
function follow(
  io: ServiceIO,
  current: Supervision,
  readiness: Readiness,
  hooks: LaunchHooks,
): (ms: number) => void {
  const { spec } = io;
  const watch = readiness.watch ?? io.hub?.watch(current.child.pid) ?? null;
  if (!watch) {
    void current.started.then((ok) => ok && hooks.event(current, { type: 'started' }));
    return () => undefined;
  }
  const timeoutMs = spec.readyTimeoutMs ?? 60_000;
  return followReadiness(watch, timeoutMs, current.child.exited, {
    ready: () => hooks.event(current, { type: 'started' }),
    notReady: (reason) => hooks.event(current, { type: 'not-ready', reason }),
    timedOut: () =>
      hooks.event(current, {
        type: 'not-ready',
        reason: `not ready within ${timeoutMs / 1000} s (--ready ${describeReady(spec.ready!)})`,
      }),
    readyAtExit: () => hooks.readyAtExit(current),
  });
}
