// The four prebuilds, in prebuildify's layout (prebuilds/PLATFORM-ARCH/node.napi.LIBC.node), which
// node-gyp-build loads. Each is built against Debian 11's libraries (see docs/decisions.md).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const TARGETS = [
  {
    dir: 'linux-x64',
    arch: 'amd64',
    libc: 'glibc',
    triplet: 'x86_64-linux-gnu',
    cc: 'gcc',
    machine: 'Advanced Micro Devices X86-64',
  },
  {
    dir: 'linux-x64',
    arch: 'amd64',
    libc: 'musl',
    triplet: 'x86_64-linux-musl',
    cc: 'gcc',
    machine: 'Advanced Micro Devices X86-64',
  },
  {
    dir: 'linux-arm64',
    arch: 'arm64',
    libc: 'glibc',
    triplet: 'aarch64-linux-gnu',
    cc: 'aarch64-linux-gnu-gcc',
    machine: 'AArch64',
  },
  {
    dir: 'linux-arm64',
    arch: 'arm64',
    libc: 'musl',
    triplet: 'aarch64-linux-musl',
    cc: 'aarch64-linux-gnu-gcc',
    machine: 'AArch64',
  },
];

/** prebuilds/linux-x64/node.napi.glibc.node: the path of a target's binary under the package
 *  root. */
export const prebuildPath = (t) => join('prebuilds', t.dir, `node.napi.${t.libc}.node`);

/** The newest glibc symbol version a glibc prebuild may need: Debian 11's (bullseye). */
export const GLIBC_MAX = '2.31';

/**
 * Debian 11 packages the sysroots are made of, pinned to the final point release of bullseye's
 * main suite (frozen), so every build starts from the same bytes. Per architecture.
 */
export const DEBIAN_SUITE = 'bullseye';
export const SYSROOT_PACKAGES = {
  glibc: {
    'libc6-dev': '2.31-13+deb11u11',
    libc6: '2.31-13+deb11u11',
    'linux-libc-dev': '5.10.223-1',
  },
  musl: { 'musl-dev': '1.2.2-1', musl: '1.2.2-1', 'linux-libc-dev': '5.10.223-1' },
};
/**
 * What the smoke test (smoke.mjs) adds to the glibc sysroot to run a node on Debian 11's glibc:
 * on amd64 this machine's node needs only Debian 11's C++ runtime; on arm64 (under qemu-user)
 * it is Debian 11's own node 12 (Node-API 8, as the module asks), with its libraries.
 */
const cxx = { 'libstdc++6': '10.2.1-6', 'libgcc-s1': '10.2.1-6' };
export const RUNTIME_PACKAGES = {
  amd64: cxx,
  arm64: {
    ...cxx,
    nodejs: '12.22.12~dfsg-1~deb11u4',
    libnode72: '12.22.12~dfsg-1~deb11u4',
    libuv1: '1.40.0-2+deb11u1',
    libicu67: '67.1-7',
    'libssl1.1': '1.1.1w-0+deb11u1',
    'libc-ares2': '1.17.1-1+deb11u3',
    'libnghttp2-14': '1.43.0-1+deb11u1',
    libbrotli1: '1.0.9-2+b2',
    zlib1g: '1:1.2.11.dfsg-2+deb11u2',
  },
};

/** The file apt-get download names a package version (an epoch's colon is escaped). */
export const debFile = (name, version, arch) =>
  `${name}_${version.replace(':', '%3a')}_${arch}.deb`;

/** The C sources a prebuild is made from, hashed: the manifest records it, and a test compares. */
export function sourcesHash(root) {
  const hash = createHash('sha256');
  const files = readdirSync(join(root, 'native'))
    .filter((f) => /\.[ch]$/.test(f))
    .sort();
  for (const f of files)
    hash
      .update(`${f}\0`)
      .update(readFileSync(join(root, 'native', f)))
      .update('\0');
  return hash.digest('hex');
}

export const MANIFEST = join('prebuilds', 'manifest.json');
