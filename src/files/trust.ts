/**
 * Who may change what root reaches through a log path: pure rules, table-tested
 * (test/unit/log-trust.test.mjs). Root (and whoever runs daemonkit) is trusted; the service user
 * and everyone else are not. The anchors: logrotate refuses a log whose parent directory is
 * writable by a user other than root ("insecure permissions"); systemd's LogsDirectory= is a
 * directory of the service user's under a root-owned /var/log.
 */

export interface Trust {
  uids: ReadonlySet<number>;
  gids: ReadonlySet<number>;
}

/** Root, and us. A group counts only if it is root's, or ours when we are not root (a user's
 *  own group: root's is never widened to a group of others). */
export function trustOf(euid: number, egid: number): Trust {
  return { uids: new Set([0, euid]), gids: new Set(euid === 0 ? [0] : [0, egid]) };
}

export function ourTrust(): Trust {
  return trustOf(process.geteuid?.() ?? 0, process.getegid?.() ?? 0);
}

/** What a check needs of a directory's or file's inode. */
export interface Owned {
  uid: number;
  gid: number;
  mode: number;
  nlink?: number;
  /** Its access ACL, raw (system.posix_acl_access); null or absent: none. */
  acl?: Buffer | null;
}

const STICKY = 0o1000;
const IFMT = 0o170000;
const IFREG = 0o100000;

const [ACL_USER, ACL_GROUP_OBJ, ACL_GROUP, ACL_MASK] = [0x02, 0x04, 0x08, 0x10];
const ACL_WRITE = 2;

/**
 * Whom an access ACL (the raw xattr: version 2, then 8-byte entries tag, perm, id, little-endian)
 * lets write besides the owner and everyone: named users, the owning group `gid` and named
 * groups, each as far as the mask allows. null: not an ACL we can read.
 */
export function aclWriters(acl: Buffer, gid: number): { uids: number[]; gids: number[] } | null {
  if (acl.length < 4 || (acl.length - 4) % 8 !== 0 || acl.readUInt32LE(0) !== 2) return null;
  const entries: { tag: number; perm: number; id: number }[] = [];
  for (let at = 4; at < acl.length; at += 8)
    entries.push({
      tag: acl.readUInt16LE(at),
      perm: acl.readUInt16LE(at + 2),
      id: acl.readUInt32LE(at + 4),
    });
  const mask = entries.find((e) => e.tag === ACL_MASK)?.perm ?? 7;
  const writes = (e: { perm: number }): boolean => (e.perm & mask & ACL_WRITE) !== 0;
  return {
    uids: entries.filter((e) => e.tag === ACL_USER && writes(e)).map((e) => e.id),
    gids: entries
      .filter((e) => (e.tag === ACL_GROUP || e.tag === ACL_GROUP_OBJ) && writes(e))
      .map((e) => (e.tag === ACL_GROUP ? e.id : gid)),
  };
}

/**
 * Who besides the trusted may change the entries of directory `dir`, in words; null: nobody.
 * With an access ACL the group bits of the mode are its mask, not the group's: the ACL decides.
 * A default ACL grants nothing on the directory itself (only what is made in it later inherits
 * it, and is judged by what it then has).
 */
export function untrustedWriter(dir: Owned, trust: Trust): string | null {
  if (!trust.uids.has(dir.uid)) return `owned by uid ${dir.uid}`;
  if (dir.mode & 0o002) return 'writable by everyone';
  if (dir.acl) {
    const writers = aclWriters(dir.acl, dir.gid);
    if (!writers) return 'with an access ACL we cannot read';
    const uid = writers.uids.find((id) => !trust.uids.has(id));
    if (uid !== undefined) return `writable by uid ${uid} through an ACL`;
    const gid = writers.gids.find((id) => !trust.gids.has(id));
    return gid === undefined
      ? null
      : `writable by group ${gid}${gid === dir.gid ? '' : ' through an ACL'}`;
  }
  if (dir.mode & 0o020 && !trust.gids.has(dir.gid)) return `writable by group ${dir.gid}`;
  return null;
}

/**
 * Why `name`, looked up in `dir` on the way to a log directory, could be replaced by someone
 * untrusted (then what root reaches through it is theirs to choose: a link to /etc, say); null
 * when it cannot. `entryUid`: the entry's owner, null when it does not exist yet (we make it).
 * A sticky directory of root's (/tmp) lets only an entry's owner rename or remove it: safe for
 * an entry of ours, not for one of another user's.
 */
export function replaceableEntry(
  dir: Owned,
  name: string,
  entryUid: number | null,
  trust: Trust,
): string | null {
  const writer = untrustedWriter(dir, trust);
  if (writer === null) return null;
  if (!(dir.mode & STICKY) || !trust.uids.has(dir.uid)) return writer;
  if (entryUid === null || trust.uids.has(entryUid)) return null;
  return `${writer}, and ${name} in it is owned by uid ${entryUid}`;
}

/**
 * Why root must not write `file`, found under its name in a log directory someone untrusted can
 * write (their link or hard link may lead outside it); null when it may. `owners`: the uids whose
 * files it may be (root, us, the service user, the directory's owner: theirs to write anyway).
 */
export function unsafeLogFile(file: Owned, owners: ReadonlySet<number>): string | null {
  if ((file.mode & IFMT) !== IFREG) return 'it is not a regular file';
  if ((file.nlink ?? 1) > 1)
    return `it has ${file.nlink} hard links (another may be outside the directory)`;
  if (!owners.has(file.uid)) return `it is owned by uid ${file.uid}`;
  return null;
}
