// The committed prebuilds (npm run prebuilds): each is what its name says (readelf), loads on
// Debian 11's glibc, and was built from today's native/ sources.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers.mjs';
import { checkPrebuild } from '../../scripts/prebuild/check.mjs';
import { MANIFEST, prebuildPath, sourcesHash, TARGETS } from '../../scripts/prebuild/targets.mjs';

const manifest = JSON.parse(readFileSync(join(ROOT, MANIFEST), 'utf8'));
const target = (dir, libc) => TARGETS.find((t) => t.dir === dir && t.libc === libc);
const hasCc = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v cc'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('prebuilds', () => {
  for (const t of TARGETS) {
    it(`${prebuildPath(t)}: ${t.machine}, needs ${t.libc} only (glibc ≤ 2.31), exports napi_register_module_v1`, () => {
      assert.deepEqual(checkPrebuild(join(ROOT, prebuildPath(t)), t), []);
    });
  }

  it('were built from the native/ sources as they are now (else: npm run prebuilds)', () => {
    assert.equal(
      manifest.sources,
      sourcesHash(ROOT),
      'native/ changed since the prebuilds were made: run `npm run prebuilds` and commit prebuilds/',
    );
    for (const t of TARGETS) {
      const hash = createHash('sha256')
        .update(readFileSync(join(ROOT, prebuildPath(t))))
        .digest('hex');
      assert.equal(
        hash,
        manifest.files[prebuildPath(t)],
        `${prebuildPath(t)} is the file the manifest records`,
      );
    }
  });

  it('the check tells a wrong machine and a wrong libc', () => {
    const x64glibc = join(ROOT, prebuildPath(target('linux-x64', 'glibc')));
    assert.match(
      checkPrebuild(x64glibc, target('linux-arm64', 'glibc')).join('\n'),
      /machine is Advanced Micro Devices X86-64, not AArch64/,
    );
    const asMusl = checkPrebuild(x64glibc, target('linux-x64', 'musl')).join('\n');
    assert.match(asMusl, /needs .*libc\.so\.6/);
    assert.match(asMusl, /a musl build needs glibc versions/);
    assert.match(
      checkPrebuild(
        join(ROOT, prebuildPath(target('linux-x64', 'musl'))),
        target('linux-x64', 'glibc'),
      ).join('\n'),
      /needs libc\.so \(glibc allows.*symbols not in glibc: /s,
    );
  });

  it("the check tells a module built against a glibc newer than 2.31 (this machine's own)", {
    skip: hasCc ? false : 'no cc',
  }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'dk-prebuild-'));
    try {
      // lstat is GLIBC_2.33 in a glibc ≥ 2.33 (before, a header wrapper of __lxstat64).
      writeFileSync(
        join(dir, 'm.c'),
        '#include <sys/stat.h>\nint napi_register_module_v1(void) { struct stat st; return lstat("/", &st); }\n',
      );
      execFileSync('cc', ['-shared', '-fPIC', '-o', join(dir, 'm.node'), join(dir, 'm.c')]);
      const glibc = execFileSync('ldd', ['--version'], { encoding: 'utf8' });
      const newer = /(\d+\.\d+)\s*$/m.exec(glibc.split('\n')[0])?.[1];
      const problems = checkPrebuild(
        join(dir, 'm.node'),
        target(`linux-${process.arch}`, 'glibc'),
      ).join('\n');
      if (newer && Number(newer.split('.')[1]) >= 33)
        assert.match(problems, /needs GLIBC_2\.33, newer than Debian 11's GLIBC_2\.31/);
      else assert.equal(problems, '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
