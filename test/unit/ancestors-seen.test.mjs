// What a command keeps of the directories above its log paths (files/ancestors.ts,
// rememberAncestors): only what no one untrusted can change. A missing entry, one judged
// replaceable, and a directory of another user's are looked at again at every check.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkLogDirPath, InsecureLogDir, rememberAncestors } from '../../dist/files/ancestors.js';
import { ourTrust } from '../../dist/files/trust.js';

const root = process.getuid() === 0;
const base = mkdtempSync(join(tmpdir(), 'dk-seen-'));
chmodSync(base, 0o755); // uid 999 goes through it
after(() => rmSync(base, { recursive: true, force: true }));

const asUser = (...args) =>
  execFileSync('setpriv', ['--reuid', '999', '--regid', '999', '--clear-groups', ...args]);

test('a name missing when first checked, then made by another user in a sticky directory, is refused the second time', {
  skip: !root && 'needs root to act as uid 999',
}, () => {
  const sticky = join(base, 'sticky');
  mkdirSync(sticky);
  chmodSync(sticky, 0o1777);
  const forget = rememberAncestors();
  try {
    const trust = ourTrust();
    assert.equal(checkLogDirPath(join(sticky, 'x', 'logs'), trust).missing, true);
    asUser('mkdir', join(sticky, 'x')); // their trap, made between two checks of one command
    assert.throws(
      () => checkLogDirPath(join(sticky, 'x', 'logs'), trust),
      (e) => e instanceof InsecureLogDir && /owned by uid 999/.test(e.message),
    );
  } finally {
    forget();
  }
});

test("a directory of another user's, safe above, is judged again at each check (its owner can chmod it)", {
  skip: !root && 'needs root to hand a directory to uid 999',
}, () => {
  const theirs = join(base, 'theirs');
  mkdirSync(theirs);
  chownSync(theirs, 999, 999);
  const forget = rememberAncestors();
  try {
    const trust = ourTrust();
    for (let i = 0; i < 2; i++)
      assert.throws(
        () => checkLogDirPath(join(theirs, 'sub', 'logs'), trust),
        (e) => e instanceof InsecureLogDir && /owned by uid 999/.test(e.message),
      );
  } finally {
    forget();
  }
});

test('kept only while a command keeps it: a check after forget looks again', () => {
  const mine = join(base, 'mine');
  mkdirSync(join(mine, 'logs'), { recursive: true });
  const trust = ourTrust();
  const forget = rememberAncestors();
  assert.equal(checkLogDirPath(join(mine, 'logs'), trust).real, join(mine, 'logs'));
  forget();
  chmodSync(mine, 0o777); // someone trusted (us) made it everyone's since
  assert.throws(
    () => checkLogDirPath(join(mine, 'logs'), trust),
    (e) => e instanceof InsecureLogDir && /writable by everyone/.test(e.message),
  );
  chmodSync(mine, 0o755);
});
