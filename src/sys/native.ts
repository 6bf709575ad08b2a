/**
 * The one door to the native module (native/daemonkit.c): kernel calls Node lacks.
 * Nothing else imports the .node file.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './root.js';

interface NativeBinding {
  ofdLock(fd: number, exclusive: boolean): boolean;
  ofdTest(fd: number): boolean;
  pipe(): [number, number];
  spawnDaemon(file: string, argv: string[], envp: string[], fds: number[], cwd: string): number;
  pidfdOpen(pid: number): number;
  pidfdSignal(pidfd: number, signal: number): boolean;
  pidfdWait(pidfds: number[], timeoutMs: number): Promise<number>;
  setCloexec(fd: number): void;
  resetSignals(): void;
  setChildSubreaper(): void;
  reap(pid: number): boolean;
}

const load = createRequire(import.meta.url);
const native = load(join(PACKAGE_ROOT, 'build', 'Release', 'daemonkit.node')) as NativeBinding;

/** Take an exclusive open-file-description lock without blocking; false if already held elsewhere. */
export const lockExclusive = (fd: number): boolean => native.ofdLock(fd, true);
/** True when another open file description holds the lock. Takes no lock itself. */
export const isLockedElsewhere = (fd: number): boolean => native.ofdTest(fd);
/** A real pipe (not a socketpair), both ends close-on-exec: [read, write]. */
export const makePipe = (): [number, number] => native.pipe();
/** fork, setsid, fork, clean signals and fds, exec: returns the daemon's pid once it has exec'd. */
export const spawnDaemon = (file: string, argv: string[], envp: string[], fds: number[], cwd: string): number =>
  native.spawnDaemon(file, argv, envp, fds, cwd);
export const pidfdOpen = (pid: number): number => native.pidfdOpen(pid);
export const pidfdSignal = (pidfd: number, signal: number): boolean => native.pidfdSignal(pidfd, signal);
/** Resolves with the index of a process that has exited, or -1 when timeoutMs passed first (Infinity: no limit). */
export const pidfdWait = (pidfds: number[], timeoutMs: number): Promise<number> =>
  native.pidfdWait(pidfds, Number.isFinite(timeoutMs) ? Math.max(0, Math.min(Math.round(timeoutMs), 2 ** 31 - 1)) : -1);
/** Reset ignored signal dispositions (including real-time ones Node leaves alone) and the mask. */
export const resetSignals = (): void => native.resetSignals();
/** Mark an fd close-on-exec (fds we inherit are not, and would leak into every child). */
export const setCloexec = (fd: number): void => native.setCloexec(fd);
/** Become a child subreaper: orphaned descendants are re-parented to this process. */
export const setChildSubreaper = (): void => native.setChildSubreaper();
/** Reap one exited child by pid (not one libuv spawned); true if it was reaped now. */
export const reap = (pid: number): boolean => native.reap(pid);
