/**
 * Launcher side of detaching: open the daemon's stdio, fork twice (native), hand it a payload
 * on a pipe and wait for its report. Resolves only once the daemon says it is ready, or with
 * the reason it is not (daemon(7) steps 14-15).
 */
import { closeSync, read, writeSync } from 'node:fs';
import { openInputFile } from '../config/input-file.js';
import { dirname, resolve } from 'node:path';
import { DaemonError, errnoCode, execFailure } from '../errors/errors.js';
import { makePipe, spawnDaemon, type ExecSpec } from '../sys/native.js';
import { catchSignals } from '../sys/signals.js';
import { MARKER, type ReportMessage } from './channel.js';
import { openLog } from '../logs/write/open.js';
import { InsecureLogDir } from '../files/ancestors.js';
import { makeLogDir } from '../files/log-dir.js';

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

export function openAppend(
  path: string,
  options: { createDir?: boolean; serviceUid?: number } = {},
): number {
  if (options.createDir) {
    try {
      makeLogDir(dirname(resolve(path)));
    } catch (error) {
      // A directory above it that another user could redirect: refused, as logrotate does.
      if (error instanceof InsecureLogDir)
        throw new DaemonError('NO_PERMISSION', `cannot use ${path}: ${error.message}`, { path });
      // The log directory cannot be made here: "not writable", as LSB's exit 4 has it.
      throw new DaemonError(
        'NO_PERMISSION',
        `cannot create the directory for ${path}: ${inWords(error)}`,
        { path },
      );
    }
  }
  try {
    return openLog(path, options.serviceUid !== undefined ? { serviceUid: options.serviceUid } : {})
      .fd;
  } catch (error) {
    const code = errnoCode(error);
    // EINSECURE, EUNSAFE: a path or a file another user could have planted (log-dir.ts).
    const privilege =
      code === 'EACCES' ||
      code === 'EPERM' ||
      code === 'EROFS' ||
      code === 'EINSECURE' ||
      code === 'EUNSAFE';
    throw new DaemonError(
      privilege ? 'NO_PERMISSION' : 'BAD_OPTION',
      `cannot open ${path} for writing: ${inWords(error)}`,
      { path },
    );
  }
}

/** Why a log file cannot be opened, in words (exit 4 for the first three, else 2). */
const OPEN_FAILURES: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOENT: 'no such directory',
  ENOSPC: 'no space left on the device',
  ENXIO: 'a FIFO with no reader, or a device that is not there',
};

function inWords(error: unknown): string {
  const code = errnoCode(error);
  return code !== undefined && Object.hasOwn(OPEN_FAILURES, code)
    ? OPEN_FAILURES[code]!
    : (error as Error).message;
}

/** The daemon's own stdin: the safe open of input-file.ts (a daemon's --stdin is read as the
 *  caller). */
function openStdin(path: string): number {
  return openInputFile({ flag: '--stdin', path: resolve(path), devices: true });
}

export async function launchDaemon(spec: LaunchSpec): Promise<LaunchOutcome> {
  const owned: number[] = [];
  const own = (fd: number): number => {
    owned.push(fd);
    return fd;
  };
  let reportRead = -1;
  try {
    const stdin = own(openStdin(spec.stdin));
    const logOptions = spec.serviceUid !== undefined ? { serviceUid: spec.serviceUid } : {};
    const stdout = own(openAppend(spec.stdout, logOptions));
    const stderr = spec.stderr === spec.stdout ? stdout : own(openAppend(spec.stderr, logOptions));
    const [rRead, rWrite] = makePipe();
    reportRead = rRead;
    own(rWrite);
    const [pRead, pWrite] = makePipe();
    own(pRead);
    own(pWrite);
    // Only its presence counts (attach.ts); node:crypto for a random value cost every start ~3 ms.
    const env = { ...spec.env, [MARKER]: String(process.pid) };
    const envp = Object.entries(env)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}`);
    // The guard's pipe: its write end goes to the daemon last, its read end to the guard.
    const guard = spec.command && spec.guardCommand ? makePipe() : null;
    if (guard) owned.push(...guard);
    const extraFds = [...(spec.extraFds ?? []), ...(guard ? [guard[1]] : [])];
    const guardFd = guard ? 5 + extraFds.length - 1 : undefined;
    // From the fork until the daemon has its payload, a SIGTERM/SIGINT/SIGHUP to us must not
    // leave it half-launched: caught from here on (sys/signals.ts), such a signal is acted on
    // from the event loop, once this synchronous handover is done — unrouted, it then ends us.
    catchSignals(['SIGTERM', 'SIGINT', 'SIGHUP']);
    let spawned: Spawned;
    try {
      const daemon: ExecSpec = {
        file: process.execPath,
        argv: [process.execPath, ...spec.nodeArgs],
        envp,
        fds: [stdin, stdout, stderr, rWrite, pRead, ...extraFds],
        cwd: '/',
        ...(spec.supervisor ? { supervisor: true } : {}),
      };
      spawned = {
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
    try {
      spec.onSpawned?.(spawned);
    } catch (error) {
      // Our bookkeeping failed: the daemon never gets its payload, and nothing may outlive us.
      killQuietly(spawned.pid);
      if (spawned.commandPid) killQuietly(-spawned.commandPid);
      throw error;
    }
    // The daemon reads the payload first thing; a payload over the pipe buffer waits for that.
    const payload = Buffer.from(JSON.stringify(spec.payload(spawned)));
    for (const fd of owned.splice(0)) if (fd !== pWrite) closeSync(fd);
    try {
      writeSync(pWrite, payload);
    } catch (error) {
      // EPIPE: it died before it read its payload (killed by a signal while node booted).
      throw new DaemonError(
        'START_FAILED',
        `the daemon exited before it was ready (before it read its payload: ${(error as Error).message})`,
        {},
        { cause: error },
      );
    } finally {
      closeSync(pWrite);
    }
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

/**
 * Read report lines until a terminal message, or EOF (the daemon died first). fs.read in the
 * thread pool on the (blocking) pipe, not a net.Socket: node:net and its stream modules cost
 * every start a few ms to load.
 */
function readReport(fd: number): Promise<LaunchOutcome> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(4096);
    let buffer = Buffer.alloc(0); // bytes: a character may be cut between two reads
    const finish = (fn: () => void): void => {
      closeSync(fd);
      fn();
    };
    const next = (): void =>
      read(fd, chunk, 0, chunk.length, null, (error, n) => {
        if (error || n === 0)
          return finish(() =>
            reject(new DaemonError('START_FAILED', 'the daemon exited before it was ready')),
          );
        buffer = Buffer.concat([buffer, chunk.subarray(0, n)]);
        let nl: number;
        while ((nl = buffer.indexOf(0x0a)) >= 0) {
          const line = buffer.toString('utf8', 0, nl);
          buffer = buffer.subarray(nl + 1);
          let msg: ReportMessage;
          try {
            msg = JSON.parse(line) as ReportMessage;
          } catch {
            continue;
          }
          if (msg.type === 'ready')
            return finish(() =>
              resolve({
                kind: 'ready',
                pid: msg.pid,
                ...(msg.childPid ? { childPid: msg.childPid } : {}),
                ...(msg.logError ? { logError: msg.logError } : {}),
              }),
            );
          if (msg.type === 'running') return finish(() => resolve({ kind: 'running' }));
          if (msg.type === 'error')
            return finish(() =>
              reject(
                new DaemonError(msg.code as DaemonError['code'], msg.message, msg.details ?? {}),
              ),
            );
        }
        next();
      });
    next();
  });
}
