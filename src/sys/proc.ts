/**
 * Readers of /proc: the kernel's own view of a process — here its stat line (state, group,
 * start time, CPU), whether it is alive, its start time as a date, and withOneProcScan, one
 * snapshot of /proc for a read-only report. The rest is by what it reads, in this folder:
 * proc-groups.ts (a group's members) over proc-rows.ts (the native scan's rows), proc-status.ts
 * (/proc/PID/status, uids), proc-fdinfo.ts (lock proof) over proc-fds.ts (open files, hints)
 * and proc-locks.ts (/proc/locks).
 */
import { readFileSync } from 'node:fs';
import { inScan, onceInScan, readSmall, startPrefetching, stopPrefetching } from './prefetch.js';
import { statScanned } from './proc-rows.js';

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

/** A process counts as alive unless it is gone or a zombie (exited, waiting to be reaped). */
export function isAlive(pid: number): boolean {
  const st = readProcStat(pid);
  return st !== null && st.state !== 'Z' && st.state !== 'X';
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
