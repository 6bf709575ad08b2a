/**
 * --user USER[:GROUP] and --group GROUP: resolved here, in the parent, through the C library's
 * NSS (native/user.c), so a COMMAND runs as the same user a login or systemd's User= would give:
 * that user's uid, the group given (else the user's primary group), and initgroups' supplementary
 * groups. The forked child only applies the numbers (setgroups, setgid, setuid: native/user.c).
 */
import { DaemonError } from '../errors/errors.js';
import { printable } from './paths.js';
import type { RunAs } from './spec.js';
import { getGroup, getGroupList, getUser, type GroupEntry, type UserEntry } from '../sys/native.js';

const NUMERIC = /^[0-9]+$/;

function lookup<T>(
  what: 'user' | 'group',
  text: string,
  find: (key: string | number) => T | null,
): T | null {
  try {
    return find(NUMERIC.test(text) ? Number(text) : text);
  } catch (error) {
    // Not "no such entry": the database itself failed (an unreachable directory server, say).
    throw new DaemonError(
      'SPAWN_FAILED',
      `cannot look up ${what} '${printable(text)}': ${(error as Error).message}`,
      { [what]: text },
      { cause: error },
    );
  }
}

/**
 * The ids and environment of `--user USER` (and `--group GROUP`, or USER:GROUP). Unknown names
 * (and uids without an entry) are BAD_OPTION (exit 2); a numeric gid needs no entry. Only root
 * may switch: anyone else gets NO_PERMISSION (exit 4), unless USER (and GROUP) are who they
 * already are, in which case nothing is switched (their supplementary groups stay as they are).
 */
export function resolveRunAs(user: string, group: string | undefined, ids = currentIds()): RunAs {
  const pw: UserEntry | null = lookup('user', user, getUser);
  if (!pw) {
    throw new DaemonError(
      'BAD_OPTION',
      NUMERIC.test(user)
        ? `unknown --user ${user}: no user has this uid in the user database`
        : `unknown --user '${printable(user)}': no such user`,
      { user },
    );
  }
  let gid = pw.gid;
  if (group !== undefined) {
    const gr: GroupEntry | null = lookup('group', group, getGroup);
    if (!gr && !NUMERIC.test(group))
      throw new DaemonError('BAD_OPTION', `unknown --group '${printable(group)}': no such group`, {
        group,
      });
    gid = gr ? gr.gid : Number(group);
  }
  const self = ids.uid === pw.uid && ids.euid === pw.uid && ids.gid === gid && ids.egid === gid;
  if (ids.euid !== 0 && !self) {
    throw new DaemonError(
      'NO_PERMISSION',
      `cannot run the COMMAND as --user ${printable(user)}${group !== undefined ? ` (group ${printable(group)})` : ''}: only root can switch users (this is uid ${ids.euid})`,
      { user, ...(group !== undefined ? { group } : {}) },
    );
  }
  let groups: number[];
  try {
    groups = getGroupList(pw.name, gid);
  } catch (error) {
    throw new DaemonError(
      'SPAWN_FAILED',
      `cannot list the groups of user '${printable(pw.name)}': ${(error as Error).message}`,
      { user },
      { cause: error },
    );
  }
  return {
    user,
    ...(group !== undefined ? { group } : {}),
    name: pw.name,
    uid: pw.uid,
    gid,
    groups,
    home: pw.home || '/',
    shell: pw.shell || '/bin/sh',
    // Root always switches (to the user's groups too); anyone else only gets this far as
    // themselves.
    drop: ids.euid === 0,
  };
}

function currentIds(): { uid: number; euid: number; gid: number; egid: number } {
  return {
    uid: process.getuid!(),
    euid: process.geteuid!(),
    gid: process.getgid!(),
    egid: process.getegid!(),
  };
}

/** USER, LOGNAME, HOME and SHELL, as systemd sets them for User=. */
export function userEnv(runAs: RunAs): Record<string, string> {
  return { USER: runAs.name, LOGNAME: runAs.name, HOME: runAs.home, SHELL: runAs.shell };
}
