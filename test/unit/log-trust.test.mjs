// Who may change what root reaches through a log path (src/files/trust.ts): pure rules, as a table.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  aclWriters,
  replaceableEntry,
  trustOf,
  unsafeLogFile,
  untrustedWriter,
} from '../../dist/files/trust.js';

const ROOT = trustOf(0, 0);
const ALICE = trustOf(1000, 1000);
const dir = (uid, gid, mode) => ({ uid, gid, mode: 0o040000 | mode });

describe('untrustedWriter: who besides root (and us) can change a directory', () => {
  const cases = [
    ['root 0755', ROOT, dir(0, 0, 0o755), null],
    ["root:root 0775 (root's group)", ROOT, dir(0, 0, 0o775), null],
    ["root:syslog 0775 (Ubuntu's /var/log)", ROOT, dir(0, 104, 0o775), 'writable by group 104'],
    ['root 0777', ROOT, dir(0, 0, 0o777), 'writable by everyone'],
    [
      'root 1777 (/tmp): others can still make names in it',
      ROOT,
      dir(0, 0, 0o1777),
      'writable by everyone',
    ],
    [
      "the service user's, 0755: its owner can chmod it",
      ROOT,
      dir(999, 999, 0o755),
      'owned by uid 999',
    ],
    ["alice's own, run by alice", ALICE, dir(1000, 1000, 0o775), null],
    ["root's, run by alice", ALICE, dir(0, 0, 0o755), null],
    ["bob's, run by alice", ALICE, dir(1001, 1001, 0o755), 'owned by uid 1001'],
  ];
  for (const [what, trust, d, want] of cases)
    test(what, () => assert.equal(untrustedWriter(d, trust), want));
});

/** The system.posix_acl_access xattr as the kernel stores it: version 2, then tag, perm, id. */
const acl = (...entries) =>
  Buffer.concat([
    Buffer.from([2, 0, 0, 0]),
    ...entries.map(([tag, perm, id = 0xffffffff]) => {
      const b = Buffer.alloc(8);
      b.writeUInt16LE(tag, 0);
      b.writeUInt16LE(perm, 2);
      b.writeUInt32LE(id, 4);
      return b;
    }),
  ]);
const [UO, U, GO, G, M, O] = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20];
const withAcl = (mode, ...entries) => ({ ...dir(0, 0, mode), acl: acl(...entries) });

describe('untrustedWriter with a POSIX ACL: the group bits are its mask, the entries decide', () => {
  const cases = [
    [
      'root 0775 (mask rwx) with u:999:rwx (setfacl -m u:999:rwx)',
      withAcl(0o775, [UO, 7], [U, 7, 999], [GO, 5], [M, 7], [O, 5]),
      'writable by uid 999 through an ACL',
    ],
    [
      'root 0755-looking, u:999:rwx but the mask r-x: 999 cannot write',
      withAcl(0o755, [UO, 7], [U, 7, 999], [GO, 5], [M, 5], [O, 5]),
      null,
    ],
    [
      'u:999:r-x only (read access for a user)',
      withAcl(0o755, [UO, 7], [U, 5, 999], [GO, 5], [M, 5], [O, 5]),
      null,
    ],
    ['u:0:rwx (root itself)', withAcl(0o775, [UO, 7], [U, 7, 0], [GO, 5], [M, 7], [O, 5]), null],
    [
      'g:50:rwx (a named group)',
      withAcl(0o775, [UO, 7], [GO, 5], [G, 7, 50], [M, 7], [O, 5]),
      'writable by group 50 through an ACL',
    ],
    ["g:0:rwx (root's group)", withAcl(0o775, [UO, 7], [GO, 5], [G, 7, 0], [M, 7], [O, 5]), null],
    [
      "a group:adm:r-x entry (journald's kind): nobody else writes",
      withAcl(0o755, [UO, 7], [GO, 5], [G, 5, 4], [M, 5], [O, 5]),
      null,
    ],
    [
      "an ACL that is not one (cut short): counted as others'",
      { ...dir(0, 0, 0o755), acl: Buffer.from([2, 0, 0, 0, 1]) },
      'with an access ACL we cannot read',
    ],
    [
      'an unknown version',
      { ...dir(0, 0, 0o755), acl: Buffer.from([3, 0, 0, 0]) },
      'with an access ACL we cannot read',
    ],
  ];
  for (const [what, d, want] of cases)
    test(what, () => assert.equal(untrustedWriter(d, ROOT), want));

  test("the owning group's entry is judged as the group (the mode's group bits are the mask)", () => {
    const d = { ...dir(0, 104, 0o775), acl: acl([UO, 7], [GO, 7], [U, 5, 999], [M, 7], [O, 5]) };
    assert.equal(untrustedWriter(d, ROOT), 'writable by group 104');
    assert.deepEqual(aclWriters(d.acl, 104), { uids: [], gids: [104] });
  });
});

describe('replaceableEntry: can someone untrusted rename NAME in DIR (on the way to a log directory)', () => {
  const cases = [
    ['/var/log (root 0755), app owned by the service user', dir(0, 0, 0o755), 999, null],
    [
      "/tmp (root 1777), an entry of root's: the sticky bit keeps others off it",
      dir(0, 0, 0o1777),
      0,
      null,
    ],
    ['/tmp (root 1777), an entry not made yet: ours once made', dir(0, 0, 0o1777), null, null],
    [
      '/tmp (root 1777), an entry of uid 999: it may rename it',
      dir(0, 0, 0o1777),
      999,
      'writable by everyone, and app in it is owned by uid 999',
    ],
    [
      'root 0777 without the sticky bit: anyone renames anything',
      dir(0, 0, 0o777),
      0,
      'writable by everyone',
    ],
    [
      'a sticky directory of uid 999: the owner renames anything',
      dir(999, 999, 0o1777),
      0,
      'owned by uid 999',
    ],
    ["the service user's home (999 0755)", dir(999, 999, 0o755), 999, 'owned by uid 999'],
    ["group-writable by a group that is not root's", dir(0, 50, 0o2775), 0, 'writable by group 50'],
  ];
  for (const [what, d, entryUid, want] of cases)
    test(what, () => assert.equal(replaceableEntry(d, 'app', entryUid, ROOT), want));
});

describe('unsafeLogFile: may root write this file, found by name in a directory others can write', () => {
  const owners = new Set([0, 999]);
  const file = (uid, nlink, type = 0o100000) => ({ uid, gid: uid, mode: type | 0o644, nlink });
  const cases = [
    ["root's, one link", file(0, 1), null],
    ["the service user's, one link", file(999, 1), null],
    [
      'a hard link (to a file elsewhere, maybe /etc/shadow)',
      file(0, 2),
      'it has 2 hard links (another may be outside the directory)',
    ],
    ["another user's", file(1001, 1), 'it is owned by uid 1001'],
    ['a FIFO', file(999, 1, 0o010000), 'it is not a regular file'],
    ['a character device', file(0, 1, 0o020000), 'it is not a regular file'],
  ];
  for (const [what, f, want] of cases)
    test(what, () => assert.equal(unsafeLogFile(f, owners), want));
});
