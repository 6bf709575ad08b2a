/**
 * The COMMAND as a child process of ours, created natively (not by libuv): its exit is awaited
 * on a pidfd (one thread-pool poll, which also keeps the event loop alive) and then reaped.
 */
import { closeSync } from 'node:fs';
import { openInputFile } from '../config/input-file.js';
import { execFailure } from '../errors/child-steps.js';
import type { CommandSpec } from '../config/spec.js';
import { listenEnv } from '../config/listen-addr.js';
import { pidfdOpen, pidfdWait, spawnProcess, waitChild, type ExecSpec } from '../sys/native.js';
import { exitOf, watchBySignal } from './child-watch.js';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  pid: number;
  exited: Promise<ChildExit>;
}

/** Watch a child of ours (spawned by us, or by the daemon's first act before node booted). */
export function watchChild(pid: number): Child {
  const exited = (async (): Promise<ChildExit> => {
    let fd = -1;
    try {
      fd = pidfdOpen(pid);
      await pidfdWait([fd], Infinity);
    } catch {
      // already reaped elsewhere, or pidfds unsupported: fall through to waitChild
    } finally {
      if (fd >= 0) closeSync(fd);
    }
    const status = waitChild(pid);
    return status ? exitOf(status) : { code: null, signal: null };
  })();
  return { pid, exited };
}

/** The COMMAND's stdin (its stdout and stderr are the log pipes, or ours in the foreground),
 *  opened again at each (re)start, as root: never through a name the service user may swap. */
export function openStdin(spec: CommandSpec): number {
  return openInputFile({
    flag: '--stdin',
    path: spec.stdin,
    devices: true,
    ...(spec.runAs ? { serviceUid: spec.runAs.uid } : {}),
  });
}

export function execSpecFor(spec: CommandSpec, fds: number[]): ExecSpec {
  const [file, ...args] = spec.command as [string, ...string[]];
  return {
    file,
    argv: [file, ...args],
    fds,
    cwd: spec.chdir,
    umask: spec.umask,
    setsid: true,
    // --listen: sd_listen_fds(3)'s variables (LISTEN_PID filled in by the child: native/listen.c).
    envp: Object.entries({ ...spec.env, ...listenEnv(spec.listen ?? []) }).map(
      ([k, v]) => `${k}=${v}`,
    ),
    ...(spec.limits?.length ? { limits: spec.limits } : {}),
    ...(spec.nice !== undefined ? { nice: spec.nice } : {}),
    ...(spec.runAs?.drop
      ? {
          uid: spec.runAs.uid,
          gid: spec.runAs.gid,
          groups: spec.runAs.groups,
          user: spec.runAs.name,
        }
      : {}),
  };
}

/** Spawn the COMMAND in its own session and process group, with a clean context. `bySignal`:
 *  its exit watched through SIGCHLD (a process with many children: child-watch.ts). `forked`:
 *  called with its pid before it execs (spawnProcess). */
export function spawnCommand(
  spec: CommandSpec,
  output: number[],
  bySignal = false,
  forked?: (pid: number) => void,
): Child {
  const stdin = openStdin(spec);
  try {
    const pid = spawnProcess(execSpecFor(spec, [stdin, ...output]), forked);
    return bySignal ? { pid, exited: watchBySignal(pid) } : watchChild(pid);
  } catch (error) {
    throw execFailure(error, spec.command[0]!, {
      cwd: spec.chdir,
      ...(spec.runAs?.drop ? { user: spec.runAs.name } : {}),
      ...(spec.nice !== undefined ? { nice: spec.nice } : {}),
      ...(spec.limits ? { limits: spec.limits } : {}),
    });
  } finally {
    closeSync(stdin);
  }
}
