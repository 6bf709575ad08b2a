/**
 * The one door to the native module (native/daemonkit.c): kernel calls Node lacks.
 * Nothing else imports the .node file.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './root.js';

/** What to exec, and with what: fds are placed at 0..n-1, every other fd is closed. */
export interface ExecSpec {
  file: string;        // absolute path
  argv: string[];
  envp: string[];      // KEY=VALUE
  fds: number[];
  cwd: string;
  umask?: number;      // unset: inherited
  setsid?: boolean;    // own session and process group
  limits?: [string, number, number][];  // setrlimit: [name, soft, hard], -1 = unlimited
  nice?: number;       // setpriority(PRIO_PROCESS): absolute nice value
  /** Drop to these ids before chdir and exec (setgroups, setgid, setuid): all three or none. */
  uid?: number;
  gid?: number;
  groups?: number[];
  /** The user's name, for messages only (the native side ignores it). */
  user?: string;
}

/** A user database entry (getpwnam_r / getpwuid_r). */
export interface UserEntry { name: string; uid: number; gid: number; home: string; shell: string }
/** A group database entry (getgrnam_r / getgrgid_r). */
export interface GroupEntry { name: string; gid: number }

interface NativeBinding {
  ofdLock(fd: number, exclusive: boolean): boolean;
  ofdTest(fd: number): boolean;
  pipe(): [number, number];
  spawnDaemon(daemon: ExecSpec, command?: ExecSpec): { pid: number; commandPid?: number };
  spawnProcess(spec: ExecSpec): number;
  waitChild(pid: number): { code: number | null; signal: number | null } | null;
  pidfdOpen(pid: number): number;
  pidfdSignal(pidfd: number, signal: number): boolean;
  pidfdWait(pidfds: number[], timeoutMs: number): Promise<number>;
  setCloexec(fd: number): void;
  setChildSubreaper(): void;
  reap(pid: number): boolean;
  getUser(key: string | number): UserEntry | null;
  getGroup(key: string | number): GroupEntry | null;
  getGroupList(user: string, gid: number): number[];
}

const load = createRequire(import.meta.url);
const native = load(join(PACKAGE_ROOT, 'build', 'Release', 'daemonkit.node')) as NativeBinding;

/** Take an exclusive open-file-description lock without blocking; false if already held elsewhere. */
export const lockExclusive = (fd: number): boolean => native.ofdLock(fd, true);
/** True when another open file description holds the lock. Takes no lock itself. */
export const isLockedElsewhere = (fd: number): boolean => native.ofdTest(fd);
/** A real pipe (not a socketpair), both ends close-on-exec: [read, write]. */
export const makePipe = (): [number, number] => native.pipe();
/**
 * fork, setsid, fork, clean signals and fds, exec the daemon. With a command, the daemon first
 * forks and execs it as its own child. Returns once everything has exec'd (or throws the errno).
 */
export const spawnDaemon = (daemon: ExecSpec, command?: ExecSpec): { pid: number; commandPid?: number } =>
  command ? native.spawnDaemon(daemon, command) : native.spawnDaemon(daemon);
/** fork, (setsid), clean signals and fds, exec: the new child's pid once it has exec'd. */
export const spawnProcess = (spec: ExecSpec): number => native.spawnProcess(spec);
/** Reap a child of ours by pid: null while it still runs. */
export const waitChild = (pid: number): { code: number | null; signal: number | null } | null => native.waitChild(pid);
export const pidfdOpen = (pid: number): number => native.pidfdOpen(pid);
export const pidfdSignal = (pidfd: number, signal: number): boolean => native.pidfdSignal(pidfd, signal);
/** Resolves with the index of a process that has exited, or -1 when timeoutMs passed first (Infinity: no limit). */
export const pidfdWait = (pidfds: number[], timeoutMs: number): Promise<number> =>
  native.pidfdWait(pidfds, Number.isFinite(timeoutMs) ? Math.max(0, Math.min(Math.round(timeoutMs), 2 ** 31 - 1)) : -1);
/** Mark an fd close-on-exec (fds we inherit are not, and would leak into every child). */
export const setCloexec = (fd: number): void => native.setCloexec(fd);
/** Become a child subreaper: orphaned descendants are re-parented to this process. */
export const setChildSubreaper = (): void => native.setChildSubreaper();
/** Reap one exited child by pid (not one libuv spawned); true if it was reaped now. */
export const reap = (pid: number): boolean => native.reap(pid);
/** The user with this name (a string) or uid (a number), through NSS; null when there is none. */
export const getUser = (key: string | number): UserEntry | null => native.getUser(key);
/** The group with this name (a string) or gid (a number), through NSS; null when there is none. */
export const getGroup = (key: string | number): GroupEntry | null => native.getGroup(key);
/** The groups initgroups(user, gid) would set: gid and every group listing the user as a member. */
export const getGroupList = (user: string, gid: number): number[] => native.getGroupList(user, gid);
