/**
 * The one door to the native module (native/daemonkit.c): kernel calls Node lacks.
 * Nothing else imports the .node file. Which file: node-gyp-build picks build/Release (built from
 * source) if there is one, else the package's prebuild for this platform, arch and libc.
 */
import { offerExitNow } from './exit.js';
import { loadNative } from './native-load.js';
import { PACKAGE_ROOT } from './root.js';

/** What to exec, and with what: fds are placed at 0..n-1, every other fd is closed. */
export interface ExecSpec {
  file: string; // absolute path
  argv: string[];
  envp: string[]; // KEY=VALUE
  fds: number[];
  cwd: string;
  umask?: number; // unset: inherited
  setsid?: boolean; // own session and process group
  /** The daemon is our supervisor (spawnDaemon): a child subreaper (kept across exec) before its
   *  COMMAND is forked, so what the COMMAND orphans while node still boots comes to it. */
  supervisor?: boolean;
  limits?: [string, number, number][]; // setrlimit: [name, soft, hard], -1 = unlimited
  nice?: number; // setpriority(PRIO_PROCESS): absolute nice value
  /** Drop to these ids before chdir and exec (setgroups, setgid, setuid): all three or none. */
  uid?: number;
  gid?: number;
  groups?: number[];
  /** The user's name, for messages only (the native side ignores it). */
  user?: string;
}

/** One datagram received on a notify socket, with the sender's credentials from the kernel. */
export interface NotifyDatagram {
  pid: number; // 0 when the sender is outside our PID namespace
  uid: number;
  gid: number;
  data: Buffer;
  truncated: boolean; // longer than 4096 bytes (systemd's limit): cut short
}
/** A user database entry (getpwnam_r / getpwuid_r). */
export interface UserEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}
/** A group database entry (getgrnam_r / getgrgid_r). */
export interface GroupEntry {
  name: string;
  gid: number;
}

/** A log relay of native/relay.c (an opaque external). */
export type RelayHandle = { readonly __relay: unique symbol };

interface NativeBinding {
  ofdLock(fd: number, exclusive: boolean, wait?: boolean): boolean;
  ofdTest(fd: number): boolean;
  pipe(size?: number): [number, number];
  spawnDaemon(
    daemon: ExecSpec,
    command?: ExecSpec,
    guardFd?: number,
  ): { pid: number; commandPid?: number };
  spawnProcess(spec: ExecSpec, forked?: (pid: number) => void): number;
  waitChild(pid: number): { code: number | null; signal: number | null } | null;
  pidfdOpen(pid: number): number;
  pidfdSignal(pidfd: number, signal: number): boolean;
  pidfdWait(pidfds: number[], timeoutMs: number): Promise<number>;
  pidfdWaitSync(pidfds: number[], timeoutMs: number): number;
  exitNow(code: number): never;
  pipeBytes(fd: number): number;
  readerGone(fd: number): boolean;
  replaceFile(tmp: string, path: string, keepOld?: boolean): boolean;
  killStatus(pid: number, signal: number): number;
  readBatch(paths: string[], lstatFrom: number): [(string | null)[], Float64Array];
  pageSize(): number;
  procScan(groups?: Float64Array): Float64Array;
  setCloexec(fd: number): void;
  replaceFd(from: number, to: number): void;
  stampLines(src: Buffer, prefix: Buffer, dst: Buffer): [number, number];
  setChildSubreaper(): void;
  reap(pid: number): boolean;
  collectGarbage(): void;
  notifyListen(path: string): { fd: number; wake: number };
  notifyReceive(fd: number, wake: number): Promise<NotifyDatagram[] | null>;
  notifyWake(wake: number): void;
  notifyReceiveNow(fd: number): NotifyDatagram[];
  notifySend(address: string, text: string): void;
  listenSocket(addr: { kind: 'tcp' | 'unix'; host?: string; port?: number; path?: string }): number;
  getUser(key: string | number): UserEntry | null;
  getGroup(key: string | number): GroupEntry | null;
  getGroupList(user: string, gid: number): number[];
  openAt(dirfd: number, name: string, flags: number, mode: number): number;
  renameAt(dirfd: number, from: string, to: string): void;
  unlinkAt(dirfd: number, name: string): void;
  inodeAt(dirfd: number, name: string): number | null;
  rotatedAt(dirfd: number, base: string, maxNames: number, maxFiles: number): number[] | -1 | -2;
  accessAcl(fdOrPath: number | string): Buffer | null;
  seekData(fd: number, pos: number, hole: boolean): number;
  relayOpen(
    pipes: [number, number],
    keepTail: [boolean, boolean],
    timestamps: boolean,
    onWait: () => void,
  ): RelayHandle;
  relayResume(relay: RelayHandle, fd: number, size: number, limit: number, retryAt: number): number;
  relaySuspend(relay: RelayHandle): void;
  relayDrain(relay: RelayHandle, stream: number, mode: number): number;
  relayInject(relay: RelayHandle, stream: number, line: Buffer): number;
  relayEndStream(relay: RelayHandle, stream: number): void;
  relayStatus(relay: RelayHandle): [number, number];
  relayTail(relay: RelayHandle, stream: number): [Buffer, boolean];
  relayStop(relay: RelayHandle): void;
  relayLost(relay: RelayHandle): number;
  relayFree(relay: RelayHandle): void;
  signalsDefault(signals: number[]): void;
  signalsRestore(): void;
}

// Loaded once, as this module is: a missing or unloadable module fails every command at once, in
// one line, rather than the first call deep inside one (where a best-effort caller could swallow
// it).
const native = loadNative(PACKAGE_ROOT) as NativeBinding;
offerExitNow((code) => native.exitNow(code));

/** Take an exclusive open-file-description lock without blocking; false if already held
 *  elsewhere. */
export const lockExclusive = (fd: number): boolean => native.ofdLock(fd, true);
/** Take an exclusive open-file-description lock, waiting (blocking the thread) until it is free. */
export const lockExclusiveWaiting = (fd: number): void => void native.ofdLock(fd, true, true);
/** True when another open file description holds the lock. Takes no lock itself. */
export const isLockedElsewhere = (fd: number): boolean => native.ofdTest(fd);
/** A real pipe (not a socketpair), both ends close-on-exec: [read, write]. */
/** A pipe (close-on-exec); `size`: ask the kernel for that much buffer (best effort). */
export const makePipe = (size?: number): [number, number] => native.pipe(size);
/**
 * fork, setsid, fork, clean signals and fds, exec the daemon. With a command, the daemon first
 * forks and execs it as its own child; with `guardFd` (a pipe's read end), it then forks the
 * COMMAND's guard, which stops the COMMAND's group if every write end of the pipe closes before a
 * byte comes (the supervisor died while node booted). Returns once everything has exec'd (or
 * throws the errno).
 */
export const spawnDaemon = (
  daemon: ExecSpec,
  command?: ExecSpec,
  guardFd?: number,
): { pid: number; commandPid?: number } =>
  command
    ? guardFd !== undefined
      ? native.spawnDaemon(daemon, command, guardFd)
      : native.spawnDaemon(daemon, command)
    : native.spawnDaemon(daemon);
/** fork, (setsid), clean signals and fds, exec: the new child's pid once it has exec'd. With
 *  `forked`, the child execs only once forked(pid) has returned (it names the child in a file
 *  first); if we die before, it never execs. */
export const spawnProcess = (spec: ExecSpec, forked?: (pid: number) => void): number =>
  forked ? native.spawnProcess(spec, forked) : native.spawnProcess(spec);
/** Reap a child of ours by pid: null while it still runs. */
export const waitChild = (pid: number): { code: number | null; signal: number | null } | null =>
  native.waitChild(pid);
export const pidfdOpen = (pid: number): number => native.pidfdOpen(pid);
export const pidfdSignal = (pidfd: number, signal: number): boolean =>
  native.pidfdSignal(pidfd, signal);
/** poll()'s timeout: ms as an int32, -1 (none) for Infinity; NaN is passed on, for the native side to refuse. */
const pollTimeout = (ms: number): number =>
  ms === Infinity
    ? -1
    : Number.isFinite(ms)
      ? Math.max(0, Math.min(Math.round(ms), 2 ** 31 - 1))
      : ms;
/** Resolves with the index of a process that has exited, or -1 when timeoutMs passed first (Infinity: no limit). */
export const pidfdWait = (pidfds: number[], timeoutMs: number): Promise<number> =>
  native.pidfdWait(pidfds, pollTimeout(timeoutMs));
/** pidfdWait on the calling thread: blocks the event loop, so only for a caller with nothing else
 *  to do meanwhile (the CLI), which is spared the thread pool's start and round trip. */
export const pidfdWaitSync = (pidfds: number[], timeoutMs: number): number =>
  native.pidfdWaitSync(pidfds, pollTimeout(timeoutMs));
/** rename(tmp, path) for a file rewritten often: on ext4 without the flush a replacing rename
 *  costs (see native). With keepOld the file replaced may be left at `tmp` (true: it was), for
 *  the caller to remove later. */
export const replaceFile = (tmp: string, path: string, keepOld = false): boolean =>
  native.replaceFile(tmp, path, keepOld);
/** kill(pid, signal) without an exception: 0, or the errno. */
export const killStatus = (pid: number, signal: number): number => native.killStatus(pid, signal);
/** A report's small files in one call, on two threads (native/batch.c): those before `lstatFrom`
 *  read (no link followed, no FIFO waited on), the rest lstat'ed. */
export const readBatch = (paths: string[], lstatFrom: number): [(string | null)[], Float64Array] =>
  native.readBatch(paths, lstatFrom);
/** Every process's /proc/PID/stat (or, with `groups`, those of their members), taken apart in
 *  C, on two threads (native/scan.c): rows of SCAN_ROW numbers by increasing pid. */
export const procScan = (groups?: Float64Array): Float64Array => native.procScan(groups);
/** The kernel's page size (sysconf). */
export const pageSize = (): number => native.pageSize();
/** What a pipe holds right now (FIONREAD), without reading it. */
export const pipeBytes = (fd: number): number => native.pipeBytes(fd);
/** The reader of our output pipe (or socket) has closed its end: known without writing. */
export const readerGone = (fd: number): boolean => native.readerGone(fd);
/** A bound, listening stream socket, close-on-exec (native/listen.c): --listen. */
export const listenSocket = (addr: {
  kind: 'tcp' | 'unix';
  host?: string;
  port?: number;
  path?: string;
}): number => native.listenSocket(addr);
/** Mark an fd close-on-exec (fds we inherit are not, and would leak into every child). */
export const setCloexec = (fd: number): void => native.setCloexec(fd);
/** dup2(from, to): make `to` refer to what `from` does. */
export const replaceFd = (from: number, to: number): void => native.replaceFd(from, to);
/** Copy whole lines of `src` into `dst`, each after `prefix`, as many as fit: [consumed,
 *  written]. */
export const stampLines = (src: Buffer, prefix: Buffer, dst: Buffer): [number, number] =>
  native.stampLines(src, prefix, dst);
/** Become a child subreaper: orphaned descendants are re-parented to this process. */
export const setChildSubreaper = (): void => native.setChildSubreaper();
/** Reap one exited child by pid (not one libuv spawned); true if it was reaped now. */
export const reap = (pid: number): boolean => native.reap(pid);
/** A full garbage collection, now, that gives back what the heap no longer needs (the young
 *  generation's spare half too, which a plain gc() keeps): for a resident supervisor, idle. */
export const collectGarbage = (): void => native.collectGarbage();
/**
 * An AF_UNIX datagram socket bound to `path` ("/…", or "@name" in the abstract namespace), with
 * SO_PASSCRED so every datagram carries its sender's pid; and `wake`, an eventfd that ends waits.
 */
export const notifyListen = (path: string): { fd: number; wake: number } =>
  native.notifyListen(path);
/**
 * Wait (poll() in the thread pool, no timer) for datagrams, then resolve with every one queued.
 * Resolves null once `wake` was signalled: the caller may then close both fds.
 */
export const notifyReceive = (fd: number, wake: number): Promise<NotifyDatagram[] | null> =>
  native.notifyReceive(fd, wake);
/** The datagrams queued right now, without waiting (a pending notifyReceive then finds none: it,
 *  too, takes the queue on the main thread). */
export const notifyReceiveNow = (fd: number): NotifyDatagram[] => native.notifyReceiveNow(fd);
/** Signal `wake`: a pending notifyReceive, and every later one, resolves null. */
export const notifyWake = (wake: number): void => native.notifyWake(wake);
/** Send one datagram to "/path" or "@abstract", as sd_notify(3) does (blocks only on a full
 *  queue). */
export const notifySend = (address: string, text: string): void => native.notifySend(address, text);
/** The user with this name (a string) or uid (a number), through NSS; null when there is none. */
export const getUser = (key: string | number): UserEntry | null => native.getUser(key);
/** The group with this name (a string) or gid (a number), through NSS; null when there is none. */
export const getGroup = (key: string | number): GroupEntry | null => native.getGroup(key);
/** The groups initgroups(user, gid) would set: gid and every group listing the user as a member. */
export const getGroupList = (user: string, gid: number): number[] => native.getGroupList(user, gid);

// Calls relative to a directory fd (native/at.c). `name` is always one component (no '/'): the
// directory is the fd's, whatever its path names now. Errors are Node-like (code, errno, syscall).
/** openat(2), close-on-exec. */
export const openAt = (dirfd: number, name: string, flags: number, mode = 0o644): number =>
  native.openAt(dirfd, name, flags, mode);
/** renameat(2), both names in the one directory. */
export const renameAt = (dirfd: number, from: string, to: string): void =>
  native.renameAt(dirfd, from, to);
/** unlinkat(2): removes the entry (a symbolic link itself, never its target). */
export const unlinkAt = (dirfd: number, name: string): void => native.unlinkAt(dirfd, name);
/** The entry's own inode number (a symbolic link is not followed), or null when there is none. */
export const inodeAt = (dirfd: number, name: string): number | null => native.inodeAt(dirfd, name);
/**
 * The rotated files of `base` in the directory: [K, gz] for each `base.K` and `base.K.gz` (K 1 to
 * 999999999, no leading zero), filtered in C so memory stays flat whatever else is there. 'names':
 * the directory holds more than `maxNames` entries (0: no bound); 'files': more than `maxFiles`
 * match.
 */
export function rotatedAt(
  dirfd: number,
  base: string,
  maxNames: number,
  maxFiles: number,
): [number, boolean][] | 'names' | 'files' {
  const found = native.rotatedAt(dirfd, base, maxNames, maxFiles);
  if (found === -1) return 'names';
  if (found === -2) return 'files';
  return found.map((k) => [Math.floor(k / 2), k % 2 === 1]);
}
/** The raw system.posix_acl_access xattr of an open file, or of a path (a symbolic link not
 *  followed); null when there is none. Parsed by logs/trust.ts. */
export const accessAcl = (fdOrPath: number | string): Buffer | null => native.accessAcl(fdOrPath);
/** lseek SEEK_DATA (`hole` false) or SEEK_HOLE from `pos`: the offset, or -1 when there is none. */
export const seekData = (fd: number, pos: number, hole = false): number =>
  native.seekData(fd, pos, hole);
/** Set these signals to SIG_DFL, keeping their actions, until signalsRestore() (see
 *  native/signals.c). */
export const signalsDefault = (signals: number[]): void => native.signalsDefault(signals);
export const signalsRestore = (): void => native.signalsRestore();

/** The native log relay (native/relay.c; used by src/logs/relay.ts only): the calls as they are. */
export const relay = {
  open: (
    pipes: [number, number],
    keepTail: [boolean, boolean],
    timestamps: boolean,
    onWait: () => void,
  ): RelayHandle => native.relayOpen(pipes, keepTail, timestamps, onWait),
  resume: (h: RelayHandle, fd: number, size: number, limit: number, retryAt: number): number =>
    native.relayResume(h, fd, size, limit, retryAt),
  suspend: (h: RelayHandle): void => native.relaySuspend(h),
  drain: (h: RelayHandle, stream: number, mode: number): number =>
    native.relayDrain(h, stream, mode),
  inject: (h: RelayHandle, stream: number, line: Buffer): number =>
    native.relayInject(h, stream, line),
  endStream: (h: RelayHandle, stream: number): void => native.relayEndStream(h, stream),
  status: (h: RelayHandle): [number, number] => native.relayStatus(h),
  tail: (h: RelayHandle, stream: number): [Buffer, boolean] => native.relayTail(h, stream),
  stop: (h: RelayHandle): void => native.relayStop(h),
  lost: (h: RelayHandle): number => native.relayLost(h),
  free: (h: RelayHandle): void => native.relayFree(h),
};
