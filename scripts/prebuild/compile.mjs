// One prebuild: the sources binding.gyp names, compiled by Debian's gcc (native, or its aarch64
// cross compiler) against a Debian 11 sysroot only — -nostdinc/-nostdlib keep the build machine's
// own (newer) libc headers and libraries out — and against the Node-API headers of the
// node-api-headers package, so the bytes depend on the pinned inputs, not on this machine's node.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const gccFile = (cc, name) =>
  execFileSync(cc, [`-print-file-name=${name}`], { encoding: 'utf8' }).trim();

/** The sources and flags of binding.gyp's one target, so the two builds cannot drift apart. */
function gypTarget(root) {
  const gyp = JSON.parse(readFileSync(join(root, 'binding.gyp'), 'utf8'));
  const target = gyp.targets[0];
  return { name: target.target_name, sources: target.sources, cflags: target.cflags ?? [] };
}

function napiInclude(root) {
  const pkg = createRequire(join(root, 'package.json')).resolve('node-api-headers/package.json');
  return join(dirname(pkg), 'include');
}

/** The compiler's arguments for target `t` with its sysroot `sr`, writing `out`. */
export function compileArgs(root, t, sr, out) {
  const { name, sources, cflags } = gypTarget(root);
  const gnu = t.triplet.replace('-musl', '-gnu'); // where linux-libc-dev keeps asm/
  const cc = t.cc;
  const includes =
    t.libc === 'glibc'
      ? [gccFile(cc, 'include'), join(sr, 'usr/include', t.triplet), join(sr, 'usr/include')]
      : // musl-gcc's order: the libc's headers, the compiler's, then the kernel's.
        [
          join(sr, 'usr/include', t.triplet),
          gccFile(cc, 'include'),
          join(sr, 'usr/include'),
          join(sr, 'usr/include', gnu),
        ];
  const crt = join(sr, 'usr/lib', t.triplet); // crti.o, crtn.o
  const libs =
    t.libc === 'glibc'
      ? [
          `--sysroot=${sr}`,
          `-L${join(sr, 'usr/lib', t.triplet)}`,
          `-L${join(sr, 'lib', t.triplet)}`,
          '-lpthread',
          '-lc',
        ]
      : [`-L${join(sr, 'lib', t.triplet)}`, '-lc'];
  return [
    '-nostdinc',
    ...includes.flatMap((d) => ['-isystem', d]),
    '-I',
    napiInclude(root),
    '-include',
    join(root, 'scripts/prebuild/compat.h'),
    `-DNODE_GYP_MODULE_NAME=${name}`,
    '-DBUILDING_NODE_EXTENSION',
    '-D_FILE_OFFSET_BITS=64',
    '-D_LARGEFILE_SOURCE',
    '-fPIC',
    '-pthread',
    '-fvisibility=hidden',
    '-Wno-unused-parameter',
    ...cflags,
    `-ffile-prefix-map=${root}=.`,
    '-shared',
    '-nostdlib',
    '-s',
    '-Wl,--build-id=sha1',
    '-Wl,-z,noexecstack',
    join(crt, 'crti.o'),
    gccFile(cc, 'crtbeginS.o'),
    ...sources.map((s) => join(root, s)),
    ...libs,
    execFileSync(cc, ['-print-libgcc-file-name'], { encoding: 'utf8' }).trim(),
    gccFile(cc, 'crtendS.o'),
    join(crt, 'crtn.o'),
    '-o',
    out,
  ];
}

export function compile(root, t, sr, out) {
  mkdirSync(dirname(out), { recursive: true });
  execFileSync(t.cc, compileArgs(root, t, sr, out), {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}
