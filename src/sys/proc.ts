/** Readers of /proc: the kernel's own view of a process. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { procScan } from './native.js';
import {
  inScan,
  keepInScan,
  keptInScan,
  onceInScan,
  readNow,
  readSmall,
  startPrefetching,
  stopPrefetching,
} from './prefetch.js';

export interface ProcStat {
  pid: number;
  state: string; // R, S, D, Z (zombie), T, …
  ppid: number;
  pgrp: number;
  session: number;
  ttyNr: number; // 0: no controlling terminal
  startTime: number; // clock ticks after boot: with the pid, a process's identity
  rssPages: number;
  cpuTicks: number; // user + system time, clock ticks
  /** user + system time of its children that it has waited for (they ended), clock ticks */
  childCpuTicks: number;
  /** the kernel's PF_* flags: PF_FORKNOEXEC (forked, not exec'd yet), see forkedNotExeced */
  flags: number;
}

/** PF_FORKNOEXEC (include/linux/sched.h): set at fork, cleared by a successful exec. */
const PF_FORKNOEXEC = 0x40;

/** The process forked and has not exec'd yet (a COMMAND still about to exec). */
export function forkedNotExeced(st: ProcStat): boolean {
  return (st.flags & PF_FORKNOEXEC) !== 0;
}

/** /proc/PID/stat parsed, or null when the process does not exist. Within one scan
 *  (withOneProcScan) once per process: as the scan of /proc read it, once it has been made. */
export function readProcStat(pid: number): ProcStat | null {
  if (!inScan()) return statNow(pid);
  const kept = onceInScan('stats', () => new Map<number, ProcStat | null>());
  let st = kept.get(pid);
  if (st === undefined) {
    const scanned = statScanned(pid);
    st = scanned === undefined ? statNow(pid) : scanned;
    kept.set(pid, st);
  }
  return st;
}

function statNow(pid: number): ProcStat | null {
  const text = readSmall(`/proc/${pid}/stat`);
  if (text === null) return null;
  // comm may contain spaces and parentheses: it ends at the last ')'.
  const close = text.lastIndexOf(')');
  const f = text.slice(close + 2).split(' ', 22); // up to rss: the ~30 after are not read
  const num = (i: number): number => Number(f[i]);
  return {
    pid,
    state: f[0] ?? '?',
    ppid: num(1),
    pgrp: num(2),
    session: num(3),
    ttyNr: num(4),
    startTime: num(19),
    rssPages: num(21),
    cpuTicks: num(11) + num(12),
    childCpuTicks: num(13) + num(14),
    flags: num(6),
  };
}

/**
 * A report's scan of /proc (native/scan.c): each process's stat line taken apart in C, SCAN_ROW
 * numbers per process by increasing pid — ~500 lines of ~300 bytes were as many strings, and the
 * objects made of them, which the young generation copied at each scavenge.
 */
const SCAN_ROW = 11;
const UNREADABLE = 0; // gone, or not ours to read
const TOO_LONG = -1; // over 64 KiB: read on its own
const NOT_READ = -2; // in none of the groups the scan was for
const Z = 'Z'.charCodeAt(0);
const X = 'X'.charCodeAt(0);

/** The process groups a report will ask about (its COMMANDs', named by their states): its scan
 *  of /proc then reads only their members' stat lines — a process's group asked first, by
 *  getpgid(2), a syscall instead of a file. A question about another group scans everything. */
export function expectGroups(pgids: readonly number[]): void {
  if (inScan() && keptInScan('scan') === undefined) keepInScan('expected', new Set(pgids));
}

interface Scan {
  rows: Float64Array;
  groups: Map<number, number[]>;
  /** The groups it read the members of; null: every process. */
  only: Set<number> | null;
}

/** This report's scan that answers for group `pgid`: taken at the first question, and again,
 *  of everything, at a question about a group the first did not read. */
function scanFor(pgid: number): Scan {
  const kept = keptInScan('scan') as Scan | undefined;
  if (kept && (kept.only === null || kept.only.has(pgid))) return kept;
  const expected = keptInScan('expected') as Set<number> | undefined;
  const only = !kept && expected?.has(pgid) ? expected : null;
  const rows = procScan(only ? Float64Array.from(only) : undefined);
  const scan = { rows, groups: groupsOf(rows), only };
  keepInScan('scan', scan);
  return scan;
}

/** `pid`'s stat as this scan read it: null when it could not, undefined when the scan (not
 *  made yet, or made before `pid` existed) has no answer, or the line is to be read on its own. */
function statScanned(pid: number): ProcStat | null | undefined {
  const rows = (keptInScan('scan') as Scan | undefined)?.rows;
  if (!rows) return undefined;
  let lo = 0;
  let hi = rows.length / SCAN_ROW - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = mid * SCAN_ROW;
    const found = rows[at]!;
    if (found < pid) lo = mid + 1;
    else if (found > pid) hi = mid - 1;
    else return rowStat(rows, at);
  }
  return undefined;
}

function rowStat(rows: Float64Array, at: number): ProcStat | null | undefined {
  const state = rows[at + 1]!;
  if (state === UNREADABLE) return null;
  if (state === TOO_LONG || state === NOT_READ) return undefined;
  return {
    pid: rows[at]!,
    state: String.fromCharCode(state),
    ppid: rows[at + 2]!,
    pgrp: rows[at + 3]!,
    session: rows[at + 4]!,
    ttyNr: rows[at + 5]!,
    startTime: rows[at + 6]!,
    rssPages: rows[at + 7]!,
    cpuTicks: rows[at + 8]!,
    childCpuTicks: rows[at + 9]!,
    flags: rows[at + 10]!,
  };
}

/** The live processes of each process group in these rows of a scan. */
function groupsOf(rows: Float64Array): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (let at = 0; at < rows.length; at += SCAN_ROW) {
    const pid = rows[at]!;
    let state = rows[at + 1]!;
    let pgrp = rows[at + 3]!;
    if (state === UNREADABLE || state === NOT_READ) continue;
    if (state === TOO_LONG) {
      const st = readProcStat(pid);
      if (!st) continue;
      state = st.state.charCodeAt(0);
      pgrp = st.pgrp;
    }
    if (state === Z || state === X) continue;
    const list = groups.get(pgrp);
    if (list) list.push(pid);
    else groups.set(pgrp, [pid]);
  }
  return groups;
}

/** A stat line's state and process group, without taking the rest apart. */
function statHead(text: string): { state: string; pgrp: number } {
  const close = text.lastIndexOf(')');
  const ppid = text.indexOf(' ', close + 2) + 1;
  const pgrp = text.indexOf(' ', ppid) + 1;
  return { state: text[close + 2] ?? '?', pgrp: Number(text.slice(pgrp, text.indexOf(' ', pgrp))) };
}

/** A process counts as alive unless it is gone or a zombie (exited, waiting to be reaped). */
export function isAlive(pid: number): boolean {
  const st = readProcStat(pid);
  return st !== null && st.state !== 'Z' && st.state !== 'X';
}

/** Selected fields of /proc/PID/status (VmRSS, RssAnon, SigIgn, Umask, …) as strings. */
export function readProcStatus(pid: number): Record<string, string> | null {
  const text = statusText(pid);
  if (text === null) return null;
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** One field of /proc/PID/status ("VmRSS", "Uid"), or null: without taking the other 50 apart. */
export function procStatusField(pid: number, field: string): string | null {
  const text = statusText(pid);
  if (text === null) return null;
  const head = `${field}:`;
  let at = 0;
  if (!text.startsWith(head)) {
    at = text.indexOf(`\n${head}`) + 1;
    if (at === 0) return null;
  }
  const end = text.indexOf('\n', at);
  return text.slice(at + head.length, end < 0 ? undefined : end).trim();
}

/** /proc/PID/status, or null when the process is gone. Within one scan (withOneProcScan) read
 *  once per process: `list` asks for the uids of a project's shared supervisor once per service. */
function statusText(pid: number): string | null {
  return onceInScan(`status ${pid}`, () => statusNow(pid));
}

const statusNow = (pid: number): string | null => readNow(`/proc/${pid}/status`);

/**
 * Which lock process `pid` holds on the file with this device and inode: 'WRITE' (a daemon's),
 * 'READ' (never a daemon's: anyone who may read the file can take one), or null. Having the file
 * open is not enough: the kernel lists a lock in /proc/PID/fdinfo/FD only for the open file
 * description that holds it. 'unknown' when /proc/PID/fd is not ours to read (another user).
 */
export function lockHeld(
  pid: number,
  dev: bigint,
  ino: bigint,
  hintFd?: number,
): 'WRITE' | 'READ' | null | 'unknown' {
  const key = `${dev}:${ino}`;
  // A hint (`hintFd`, where the holder says it holds it; keepFdHints' walks) is only where to
  // look first: each fd is checked afresh, as a walk's would be. A negative answer always comes
  // from a fresh walk.
  const hinted = (inScan() ? undefined : fdHints()?.get(pid)?.get(key)) ?? [];
  for (const fd of hintFd === undefined ? hinted : [String(hintFd), ...hinted]) {
    const kind = lockNamed(pid, fd, dev, ino);
    if (kind) return kind;
  }
  const files = openFiles(pid);
  if (files === 'unknown' || files === null) return files;
  for (const fd of files.get(key) ?? []) {
    const kind = lockOn(pid, fd, ino);
    if (kind) return kind;
  }
  return null;
}

/** Is `pid`'s fd open on the file "dev:ino" now? */
function fdIsFile(pid: number, fd: string, key: string): boolean {
  try {
    const st = statSync(`/proc/${pid}/fd/${fd}`, { bigint: true });
    return `${st.dev}:${st.ino}` === key;
  } catch {
    return false; // closed meanwhile, or not ours to read
  }
}

/** The lock held through `pid`'s fd, if that fd is still on inode `ino` (fdinfo gives both in
 *  one read, since Linux 5.14: an fd closed and reopened since it was looked at is not taken). */
function lockOn(pid: number, fd: string, ino: bigint): 'WRITE' | 'READ' | null {
  const info = readNow(`/proc/${pid}/fdinfo/${fd}`);
  if (info === null) return null; // closed meanwhile
  const infoIno = /^ino:\s*(\d+)$/m.exec(info)?.[1];
  if (infoIno !== undefined && BigInt(infoIno) !== ino) return null;
  return (/^lock:.*\b(WRITE|READ)\b/m.exec(info)?.[1] as 'WRITE' | 'READ' | undefined) ?? null;
}

/**
 * The lock held through `pid`'s fd on the file dev:ino, from the fd's fdinfo alone: the kernel
 * lists there the locks of that open file description, each with the device and inode it is on
 * ("lock:\t1: OFDLCK ADVISORY  WRITE -1 fe:00:2230598 0 EOF"). Where stat's device is not the
 * inode's own (btrfs subvolumes), the fd is stat'ed as a walk would.
 */
function lockNamed(
  pid: number,
  fd: string,
  dev: bigint,
  ino: bigint,
  ahead = false,
): 'WRITE' | 'READ' | null {
  // `ahead`: as a report's batch read it (the quick look's proof, all of it from that batch);
  // else now.
  const path = `/proc/${pid}/fdinfo/${fd}`;
  const info = ahead ? readSmall(path) : readNow(path);
  if (info === null) return null; // closed, or not ours to read
  // Numbers, not BigInts, where they are exact: `list` made ~10 BigInts per service here.
  const [major, minor] = devNumbers(dev);
  const inoText = String(ino);
  LOCK_LINE.lastIndex = 0;
  for (let m = LOCK_LINE.exec(info); m; m = LOCK_LINE.exec(info)) {
    if (m[4] !== inoText && BigInt(m[4]!) !== ino) continue;
    const kind = m[1] as 'WRITE' | 'READ';
    // parseInt is exact to 13 hex digits; a longer number cannot round to a 32-bit one
    if (Number.parseInt(m[2]!, 16) === major && Number.parseInt(m[3]!, 16) === minor) return kind;
    return fdIsFile(pid, fd, `${dev}:${ino}`) && lockOn(pid, fd, ino) === kind ? kind : null;
  }
  return null;
}

/** A lock line of fdinfo: its kind, and the device (hex major, minor) and inode it is on. */
const LOCK_LINE = /^lock:.*\b(WRITE|READ)\s+\S+\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/gm;

/** devParts, as numbers where dev is under 2^53 (every device number in practice). */
function devNumbers(dev: bigint): [number, number] {
  if (dev < 0n || dev > MAX_EXACT) return devParts(dev).map(Number) as [number, number];
  const n = Number(dev);
  const lo = n % 0x100000000;
  const hi = (n - lo) / 0x100000000; // under 2^21
  const above12 = Math.floor(n / 0x1000); // dev >> 12, under 2^41
  return [((lo >>> 8) & 0xfff) + (hi - (hi % 0x1000)), (lo & 0xff) + (above12 - (above12 % 0x100))];
}

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** Does `pid` hold a write lock on that file through its fd `fd`? (The state's lockFd, proven.) */
export const holdsLockThrough = (pid: number, fd: number, dev: bigint, ino: bigint): boolean =>
  lockNamed(pid, String(fd), dev, ino, true) === 'WRITE';

/** Where each process's files were open at its last walk, while some caller keeps them. On
 *  globalThis: the CLI's lazy bundles each have a copy of this module (scripts/bundle.mjs), and
 *  `down`'s stops run in the bundle of ops/shared.ts. */
interface FdHints {
  files: Map<number, Map<string, string[]>>;
  keepers: number;
}
const HINTS = Symbol.for('daemonkit.fdHints');
const hintStore = globalThis as { [HINTS]?: FdHints };
const fdHints = (): Map<number, Map<string, string[]>> | undefined => hintStore[HINTS]?.files;

/**
 * Keep, until the returned function is called, where each process walked had each file open: a
 * project's `down` asks whether its shared supervisor (~1,000 fds, ~5 per service) holds each
 * service's lock, several times per service — a walk each time made `down` of 200 services over
 * 1,000 walks of 1,000 fds. A hint is checked afresh before it is believed (lockHeld), so it
 * needs no invalidation: a wrong one costs the walk it would have saved.
 */
export function keepFdHints(): () => void {
  const store = (hintStore[HINTS] ??= { files: new Map(), keepers: 0 });
  store.keepers++;
  let done = false;
  return () => {
    if (done) return;
    done = true;
    if (--store.keepers === 0) delete hintStore[HINTS];
  };
}

/**
 * The files `pid` has open ("dev:ino" → its fds), or null when it is gone, 'unknown' when its fds
 * are not ours to read. Within one scan (withOneProcScan) read once per process: a project's
 * shared supervisor holds every service's lock among ~5 fds per service, and `list` asks about
 * each service — 200 services made 200 walks of 1,000 fds.
 */
function openFiles(pid: number): Map<string, string[]> | null | 'unknown' {
  return onceInScan(`files ${pid}`, () => openFilesNow(pid));
}

function openFilesNow(pid: number): Map<string, string[]> | null | 'unknown' {
  let fds: string[];
  let files: Map<string, string[]> | null | 'unknown';
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
    files = new Map();
    for (const fd of fds) {
      try {
        const st = statSync(`/proc/${pid}/fd/${fd}`, { bigint: true });
        const key = `${st.dev}:${st.ino}`;
        const list = files.get(key);
        if (list) list.push(fd);
        else files.set(key, [fd]);
      } catch {
        // closed meanwhile
      }
    }
  } catch (error) {
    files = (error as NodeJS.ErrnoException).code === 'EACCES' ? 'unknown' : null;
  }
  if (typeof files === 'object' && files !== null) fdHints()?.set(pid, files);
  return files;
}

/** Does process `pid` hold a write lock on that file? See lockHeld. */
export function holdsLock(
  pid: number,
  dev: bigint,
  ino: bigint,
  hintFd?: number,
): boolean | 'unknown' {
  const kind = lockHeld(pid, dev, ino, hintFd);
  return kind === 'unknown' ? 'unknown' : kind === 'WRITE';
}

/** Every process but us with a lock on that file, and which (a /proc scan: see lockHeld). */
export function lockHolders(dev: bigint, ino: bigint): { pid: number; kind: 'WRITE' | 'READ' }[] {
  const found: { pid: number; kind: 'WRITE' | 'READ' }[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    const kind = lockHeld(pid, dev, ino);
    if (kind === 'WRITE' || kind === 'READ') found.push({ pid, kind });
  }
  return found;
}

/** The major and minor numbers in a dev_t as glibc encodes it (what stat gives). */
function devParts(dev: bigint): [bigint, bigint] {
  return [
    ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn),
    (dev & 0xffn) | ((dev >> 12n) & ~0xffn),
  ];
}

/**
 * Is some lock held on the file with this device and inode? /proc/locks answers everyone (it
 * lists OFD locks as "OFDLCK ADVISORY WRITE -1 MAJ:MIN:INODE 0 EOF", the numbers in hex, the
 * inode in decimal), so a user who may not open a lock file (0600) can still ask. Waiters
 * ("->" lines) hold nothing. Only locks of processes in our pid namespace are listed.
 */
export function lockListed(dev: bigint, ino: bigint): boolean {
  const [major, minor] = devParts(dev);
  for (const line of readFileSync('/proc/locks', 'latin1').split('\n')) {
    const m = /^\d+:\s+(\S+)\s+\S+\s+\S+\s+\S+\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (
      m &&
      m[1] !== '->' &&
      BigInt(`0x${m[2]}`) === major &&
      BigInt(`0x${m[3]}`) === minor &&
      BigInt(m[4]!) === ino
    )
      return true;
  }
  return false;
}

/** A process's real and effective uid (/proc/PID/status), or null when it is gone. */
export function processUids(pid: number): { real: number; effective: number } | null {
  // Within a scan once per process: `list` asks about a project's supervisor once per service.
  if (!inScan()) return uidsNow(pid);
  const kept = onceInScan('uids', () => new Map<number, ReturnType<typeof uidsNow>>());
  let ids = kept.get(pid);
  if (ids === undefined) kept.set(pid, (ids = uidsNow(pid)));
  return ids;
}

function uidsNow(pid: number): { real: number; effective: number } | null {
  const ids = procStatusField(pid, 'Uid')?.split(/\s+/).map(Number);
  return ids && ids.length >= 2 && ids.every(Number.isInteger)
    ? { real: ids[0]!, effective: ids[1]! }
    : null;
}

/** Live (non-zombie) members of a process group, found by scanning /proc. */
export function groupMembers(pgid: number): number[] {
  if (inScan()) return [...(scanFor(pgid).groups.get(pgid) ?? [])];
  return groupsNow(pgid).get(pgid) ?? [];
}

/** The live processes of group `only`, from a scan of /proc of its own (the supervisor's look
 *  at one group, at every exit: each line read as it goes, no list made). */
function groupsNow(only: number): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  const pids = readdirSync('/proc')
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid > 0);
  for (const pid of pids) {
    // Only the state and group here.
    const text = readNow(`/proc/${pid}/stat`);
    const st = text === null ? null : statHead(text);
    if (!st || st.state === 'Z' || st.state === 'X' || st.pgrp !== only) continue;
    const list = groups.get(st.pgrp);
    if (list) list.push(pid);
    else groups.set(st.pgrp, [pid]);
  }
  return groups;
}

/** Inside withOneProcScan: a report in progress, answered from one snapshot of /proc. */
export const inOneScan = inScan;

/**
 * Run `fn` with one scan of /proc for every process group it asks about (taken at its first
 * question): `list` and `top` ask about each service's group, and a scan per service made 200
 * services cost 200 scans. So too each process's stat and status files, its open files and the
 * boot time: read once, at the first question, as a snapshot for a read-only report. Nothing
 * that signals runs inside one. A lock is still proven afresh (lockHeld reads fdinfo each time).
 */
export function withOneProcScan<T>(fn: () => T): T {
  if (inScan()) return fn();
  startPrefetching();
  try {
    return fn();
  } finally {
    stopPrefetching();
  }
}

/** Clock ticks per second in /proc: USER_HZ is 100 on every Linux architecture Node supports. */
export const USER_HZ = 100;

/** Boot-relative start time of a process, in ms since the epoch. */
export function startTimeMs(stat: ProcStat): number {
  return bootTicksToMs(stat.startTime);
}

/** A start time in clock ticks after boot (/proc/PID/stat's), in ms since the epoch. */
export function bootTicksToMs(ticks: number): number {
  const bootMs = onceInScan('boot', bootNowMs);
  return Math.round(bootMs + (ticks / USER_HZ) * 1000);
}

function bootNowMs(): number {
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return Date.now() - uptime * 1000;
}
