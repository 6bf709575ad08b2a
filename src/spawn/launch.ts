/**
 * Launcher side of detaching: open the daemon's stdio, fork twice (native), hand it a payload
 * on a pipe and wait for its report. Resolves only once the daemon says it is ready, or with
 * the reason it is not (daemon(7) steps 14-15).
 */
import { closeSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { openInputFile } from '../config/input-file.js';
import { DaemonError } from '../errors/errors.js';
import { execFailure } from '../errors/child-steps.js';
import { type ExecSpec, makePipe, spawnDaemon } from '../sys/native.js';
import { catchSignals } from '../sys/signals.js';
import { MARKER } from './channel.js';
import { openAppend } from './open-append.js';
import { readReport } from './report.js';

export { openAppend } from './open-append.js';

export interface Spawned {
  pid: number;
  commandPid?: number;
  /** The daemon's fd for the write end of the COMMAND's guard pipe (see guardCommand). */
  guardFd?: number;
}

export interface LaunchSpec {
  /** argv[1..] for node: [...execArgv, script, ...args] */
  nodeArgs: string[];
  env: NodeJS.ProcessEnv;
  stdin: string;
  stdout: string;
  stderr: string;
  /** What the daemon reads on its payload pipe, once we know its pid. */
  payload(spawned: Spawned): unknown;
  /** More fds for the daemon, placed at 5, 6, … (e.g. a lock it inherits). */
  extraFds?: number[];
  /** The daemon is daemonkit's supervisor (see ExecSpec.supervisor). */
  supervisor?: boolean;
  /** The COMMAND's user (--user): its files may be the logs in its own log directory. */
  serviceUid?: number;
  /** A COMMAND the daemon forks and execs as its first act, before node boots. */
  command?: ExecSpec;
  /**
   * Guard that COMMAND through the daemon's boot: the daemon gets a pipe's write end (its fd in
   * Spawned.guardFd) and writes a byte on it once its signal handlers are in place; should it die
   * first (a signal while node boots takes its default action), the guard stops the COMMAND.
   */
  guardCommand?: boolean;
  /** Bookkeeping right after the fork (pidfile, state), before the daemon hears from us. */
  onSpawned?(spawned: Spawned): void;
  /** false: return as soon as everything has exec'd, without waiting for the daemon's report. */
  awaitReport?: boolean;
}

export type LaunchOutcome =
  | { kind: 'ready'; pid: number; childPid?: number; logError?: string }
  | { kind: 'spawned'; pid: number; childPid?: number }
  | { kind: 'running' };

/** The daemon's own stdin: the safe open of input-file.ts (a daemon's --stdin is read as the
 *  caller). */
function openStdin(path: string): number {
  return openInputFile({ flag: '--stdin', path: resolve(path), devices: true });
}

/** The daemon's fds 0-2: its stdin, and its log files (one, when both name the same). */
function openStdio(spec: LaunchSpec, own: (fd: number) => number): number[] {
  const stdin = own(openStdin(spec.stdin));
  const logOptions = spec.serviceUid !== undefined ? { serviceUid: spec.serviceUid } : {};
  const stdout = own(openAppend(spec.stdout, logOptions));
  const stderr = spec.stderr === spec.stdout ? stdout : own(openAppend(spec.stderr, logOptions));
  return [stdin, stdout, stderr];
}

/** The daemon's environment, marked as ours. */
function envpOf(spec: LaunchSpec): string[] {
  // Only its presence counts (attach.ts); node:crypto for a random value cost every start ~3 ms.
  const env = { ...spec.env, [MARKER]: String(process.pid) };
  return Object.entries(env)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`);
}

/** Fork the daemon (and its COMMAND, with its guard); a failure said as the step that failed. */
function fork(spec: LaunchSpec, fds: number[], guard: [number, number] | null): Spawned {
  const extraFds = [...(spec.extraFds ?? []), ...(guard ? [guard[1]] : [])];
  const guardFd = guard ? 5 + extraFds.length - 1 : undefined;
  try {
    const daemon: ExecSpec = {
      file: process.execPath,
      argv: [process.execPath, ...spec.nodeArgs],
      envp: envpOf(spec),
      fds: [...fds, ...extraFds],
      cwd: '/',
      ...(spec.supervisor ? { supervisor: true } : {}),
    };
    return {
      ...spawnDaemon(daemon, spec.command, guard?.[0]),
      ...(guardFd !== undefined ? { guardFd } : {}),
    };
  } catch (error) {
    if ((error as { syscall?: string }).syscall === 'execve(command)' && spec.command)
      throw execFailure(error, spec.command.file, spec.command);
    throw new DaemonError(
      'SPAWN_FAILED',
      `cannot start the daemon: ${(error as Error).message}`,
      {},
      { cause: error },
    );
  }
}

/** The caller's bookkeeping; should it fail, the daemon never gets its payload, and nothing may
 *  outlive us. */
function bookkeep(spec: LaunchSpec, spawned: Spawned): void {
  try {
    spec.onSpawned?.(spawned);
  } catch (error) {
    killQuietly(spawned.pid);
    if (spawned.commandPid) killQuietly(-spawned.commandPid);
    throw error;
  }
}

/** Write the payload and close the pipe (a payload over the pipe buffer waits for the daemon,
 *  which reads it first thing). */
function sendPayload(fd: number, payload: Buffer): void {
  try {
    writeSync(fd, payload);
  } catch (error) {
    // EPIPE: it died before it read its payload (killed by a signal while node booted).
    throw new DaemonError(
      'START_FAILED',
      `the daemon exited before it was ready (before it read its payload: ${(error as Error).message})`,
      {},
      { cause: error },
    );
  } finally {
    closeSync(fd);
  }
}

export async function launchDaemon(spec: LaunchSpec): Promise<LaunchOutcome> {
  const owned: number[] = [];
  const own = (fd: number): number => {
    owned.push(fd);
    return fd;
  };
  let reportRead = -1;
  try {
    const stdio = openStdio(spec, own);
    const [rRead, rWrite] = makePipe();
    reportRead = rRead;
    own(rWrite);
    const [pRead, pWrite] = makePipe();
    own(pRead);
    own(pWrite);
    // The guard's pipe: its write end goes to the daemon last, its read end to the guard.
    const guard = spec.command && spec.guardCommand ? makePipe() : null;
    if (guard) owned.push(...guard);
    // From the fork until the daemon has its payload, a SIGTERM/SIGINT/SIGHUP to us must not
    // leave it half-launched: caught from here on (sys/signals.ts), such a signal is acted on
    // from the event loop, once this synchronous handover is done — unrouted, it then ends us.
    catchSignals(['SIGTERM', 'SIGINT', 'SIGHUP']);
    const spawned = fork(spec, [...stdio, rWrite, pRead], guard);
    bookkeep(spec, spawned);
    const payload = Buffer.from(JSON.stringify(spec.payload(spawned)));
    for (const fd of owned.splice(0)) if (fd !== pWrite) closeSync(fd);
    sendPayload(pWrite, payload);
    if (spec.awaitReport === false) {
      return {
        kind: 'spawned',
        pid: spawned.pid,
        ...(spawned.commandPid ? { childPid: spawned.commandPid } : {}),
      };
    }
    const reading = readReport(reportRead);
    reportRead = -1; // owned by the reader now, which closes it
    return await reading;
  } finally {
    for (const fd of owned) closeSync(fd);
    if (reportRead >= 0) closeSync(reportRead);
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
