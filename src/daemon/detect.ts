/**
 * New-style detection (daemon(7)): a program started by a service manager must not fork itself
 * into the background — the manager already runs it as a service, tracks its pid and collects
 * its output. `start` then runs the daemon in the foreground (same lock, pidfile and signal
 * handling, no double fork). The rule, for `detach: 'auto'` (the default):
 *
 * 1. NOTIFY_SOCKET is set: a manager waits for our sd_notify messages, from this very process.
 * 2. INVOCATION_ID is set *and* our parent is a service manager: PID 1, or a process named
 *    `systemd` (a user manager). INVOCATION_ID alone is not enough: systemd sets it for every
 *    unit, and login(1) or a terminal started as a unit pass it on to interactive shells.
 * 3. We run in a container — a PID namespace other than the kernel's initial one — as its
 *    PID 1 or as a child of its PID 1: detaching would leave the container's init with no child
 *    (tini, dumb-init, or we are PID 1 ourselves and the container would end).
 *
 * Otherwise `start` detaches. `detach: true` / `false` overrides the rule.
 */
import { readFileSync, readlinkSync } from 'node:fs';

export type DetachOption = 'auto' | boolean;

export type DetachReason = 'option' | 'notify-socket' | 'service-manager' | 'container' | 'default';

export interface DetachFacts {
  notifySocket: boolean; // NOTIFY_SOCKET set and not empty
  invocationId: boolean; // INVOCATION_ID set and not empty
  pid: number;
  ppid: number; // 0 when the parent is outside our PID namespace
  parentComm: string | null; // /proc/PPID/comm
  /** Our PID namespace is the kernel's initial one; null when /proc cannot tell. */
  initialPidNamespace: boolean | null;
}

/** The initial PID namespace's inode number is fixed by the kernel (PROC_PID_INIT_INO). */
const PROC_PID_INIT_INO = 0xeffffffc;

export function decideDetach(
  option: DetachOption,
  facts: DetachFacts,
): { detach: boolean; reason: DetachReason } {
  if (option !== 'auto') return { detach: option, reason: 'option' };
  if (facts.notifySocket) return { detach: false, reason: 'notify-socket' };
  if (facts.invocationId && (facts.ppid === 1 || facts.parentComm === 'systemd'))
    return { detach: false, reason: 'service-manager' };
  if (facts.initialPidNamespace === false && (facts.pid === 1 || facts.ppid === 1))
    return { detach: false, reason: 'container' };
  return { detach: true, reason: 'default' };
}

/** The facts, from the environment and the kernel's /proc. */
export function detachFacts(env: NodeJS.ProcessEnv = process.env): DetachFacts {
  const ppid = process.ppid;
  let parentComm: string | null = null;
  try {
    parentComm = ppid > 0 ? readFileSync(`/proc/${ppid}/comm`, 'utf8').trimEnd() : null;
  } catch {
    // the parent is gone already
  }
  let initialPidNamespace: boolean | null = null;
  try {
    initialPidNamespace = readlinkSync('/proc/self/ns/pid') === `pid:[${PROC_PID_INIT_INO}]`;
  } catch {
    // no /proc, or no namespace support
  }
  return {
    notifySocket: Boolean(env.NOTIFY_SOCKET),
    invocationId: Boolean(env.INVOCATION_ID),
    pid: process.pid,
    ppid,
    parentComm,
    initialPidNamespace,
  };
}

export function shouldDetach(option: DetachOption, env: NodeJS.ProcessEnv = process.env): boolean {
  return option === 'auto' ? decideDetach(option, detachFacts(env)).detach : option;
}
