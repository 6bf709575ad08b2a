/**
 * The fds a start hands over: the first COMMAND's stdin, log pipes, --ready pipe or notify
 * socket and --listen sockets, and where the supervisor finds its copies of them. Each is
 * closed by the start once launched (the supervisor and the COMMAND hold their own).
 */
import { closeSync } from 'node:fs';
import type { CommandSpec, SupervisorPayload } from '../config/spec.js';
import type { ServicePaths } from '../config/paths.js';
import { createPipes } from '../logs/write/capture.js';
import { openNotifyListener } from '../notify/hub.js';
import type { NotifyHandle } from '../notify/listener.js';
import { afterListen, readyFdLayout } from '../notify/readiness.js';
import { openStdin } from '../spawn/child.js';
import { openAppend } from '../spawn/launch.js';
import { type Listener, openListeners, ownershipOf } from '../spawn/listen.js';
import { makePipe } from '../sys/native.js';

/** Where the supervisor finds the lock fd it inherits (after stdio, report and payload pipes);
 *  the log pipes (stdout read, write, stderr read, write) follow it. */
export const LOCK_FD = 5;

/** What a start holds open: filled step by step, so that a failure half-way closes what was
 *  opened. */
export interface Handover {
  owned: number[];
  notify: NotifyHandle | null;
  listeners: Listener[];
  /** The supervisor holds the sockets now: their files are its to remove. */
  launched: boolean;
}

/** The fds once all are open. */
export interface OpenFds {
  stdin: number;
  out: [number, number];
  err: [number, number];
  readyPipe: [number, number] | null;
  /** The first COMMAND's layout from fd 3 for --ready fd:N. */
  readyFds: number[];
  /** The supervisor's ready or notify fds, after the log pipes. */
  readyExtra: number[];
}

export const emptyHandover = (): Handover => ({
  owned: [],
  notify: null,
  listeners: [],
  launched: false,
});

/** The supervisor owns the log files; the COMMAND writes into pipes that it reads. Open the
 *  files here once anyway, so an unwritable one is this start's error, said on its stderr. */
export function tryLogFiles(spec: CommandSpec): void {
  const serviceUid = spec.runAs?.uid;
  for (const file of new Set([spec.stdout!, spec.stderr!]))
    closeSync(
      openAppend(file, { createDir: true, ...(serviceUid !== undefined ? { serviceUid } : {}) }),
    );
}

export function openFds(h: Handover, spec: CommandSpec, paths: ServicePaths): OpenFds {
  const stdin = openStdin(spec);
  h.owned.push(stdin);
  const pipes = createPipes(spec);
  h.owned.push(...[pipes.stdout, pipes.stderr].flatMap((pair) => pair ?? []));
  // --ready fd:N: the first COMMAND gets a pipe's write end at N; the supervisor reads it.
  const readyPipe = spec.ready?.kind === 'fd' ? makePipe() : null;
  if (readyPipe) h.owned.push(...readyPipe);
  const readyFds =
    readyPipe && spec.ready?.kind === 'fd'
      ? readyFdLayout(spec.ready.fd, readyPipe[1], afterListen(spec))
      : [];
  // --ready notify: the socket exists before the first COMMAND runs; the supervisor adopts it.
  h.notify =
    spec.ready?.kind === 'notify'
      ? openNotifyListener(paths.dir, spec.runAs?.drop ? spec.runAs : undefined).handOver()
      : null;
  if (h.notify) h.owned.push(h.notify.fd, h.notify.wake);
  const readyExtra = readyPipe ? [readyPipe[0]] : h.notify ? [h.notify.fd, h.notify.wake] : [];
  // --listen: bound here, as the caller (root, before the COMMAND drops to --user), for the
  // supervisor to hold for the service's life; the first COMMAND gets them at 3, 4, …
  h.listeners = openListeners(spec.listen ?? [], ownershipOf(spec));
  return { stdin, out: pipes.stdout!, err: pipes.stderr!, readyPipe, readyFds, readyExtra };
}

/** The fds the supervisor inherits, in the order `inherited` names them. */
export const supervisorFds = (lockFd: number, h: Handover, fds: OpenFds): number[] => [
  lockFd,
  ...fds.out,
  ...fds.err,
  ...fds.readyExtra,
  ...h.listeners.map((l) => l.fd),
];

/** The first COMMAND's fds from 0: stdin, the log pipes' write ends, the sockets, --ready. */
export const commandFds = (h: Handover, fds: OpenFds): number[] => [
  fds.stdin,
  fds.out[1],
  fds.err[1],
  ...h.listeners.map((l) => l.fd),
  ...fds.readyFds,
];

/** Where the supervisor finds what it inherits (supervisorFds from LOCK_FD on). */
export function inherited(
  h: Handover,
  fds: OpenFds,
  commandPid: number,
  guardFd: number | undefined,
): NonNullable<SupervisorPayload['inherited']> {
  const listenAt = LOCK_FD + 5 + fds.readyExtra.length;
  return {
    lockFd: LOCK_FD,
    adopted: { pid: commandPid },
    ...(guardFd !== undefined ? { guardFd } : {}),
    pipes: { stdout: [LOCK_FD + 1, LOCK_FD + 2], stderr: [LOCK_FD + 3, LOCK_FD + 4] },
    ...(fds.readyPipe ? { readyFd: LOCK_FD + 5 } : {}),
    ...(h.notify ? { notify: { ...h.notify, fd: LOCK_FD + 5, wake: LOCK_FD + 6 } } : {}),
    ...(h.listeners.length > 0
      ? { listen: h.listeners.map((l, i) => ({ ...l, fd: listenAt + i })) }
      : {}),
  };
}
