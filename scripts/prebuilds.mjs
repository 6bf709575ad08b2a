#!/usr/bin/env node
// `npm run prebuilds`: build the four prebuilt native modules (linux x64/arm64 × glibc/musl) into
// prebuilds/, check each with readelf, and record what they were made from in
// prebuilds/manifest.json. (Not `npm run prebuild`: npm would run that before every `npm run
// build`.)
//   --verify  build into a scratch directory and compare with the committed files, byte for byte
//   --smoke   run the committed files where this machine can (scripts/prebuild/smoke.mjs)
//   --check   only check the committed files (readelf, and that native/ has not changed since)
// Needs Debian's gcc and gcc-aarch64-linux-gnu, binutils, dpkg-deb and apt-get; the Debian 11
// packages of the sysroots are fetched once into .cache/prebuild. See docs/decisions.md.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPrebuild, exportedNames } from './prebuild/check.mjs';
import { compile } from './prebuild/compile.mjs';
import { smoke } from './prebuild/smoke.mjs';
import { sysroot } from './prebuild/sysroot.mjs';
import {
  MANIFEST,
  prebuildPath,
  sourcesHash,
  SYSROOT_PACKAGES,
  TARGETS,
} from './prebuild/targets.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join(root, '.cache', 'prebuild');
const mode = process.argv[2] ?? 'build';
const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

function fail(message) {
  process.stderr.write(`prebuilds: ${message}\n`);
  process.exit(1);
}

/** Each tool, or one line naming the Debian package that has it. */
function requireTools(tools) {
  for (const [tool, pkg] of tools) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      fail(`${tool} not found: apt-get install ${pkg}`);
    }
  }
}

/** The exact Debian versions of the compilers and linkers, for the manifest. */
function toolchain() {
  const pkgs = ['gcc-12', 'gcc-12-aarch64-linux-gnu', 'binutils', 'binutils-aarch64-linux-gnu'];
  try {
    const text = execFileSync('dpkg-query', ['-W', '-f', '${Package} ${Version}\n', ...pkgs], {
      encoding: 'utf8',
    });
    return Object.fromEntries(
      text
        .trim()
        .split('\n')
        .map((l) => l.split(' ')),
    );
  } catch {
    return Object.fromEntries(
      ['gcc', 'aarch64-linux-gnu-gcc'].map((cc) => [
        cc,
        execFileSync(cc, ['-dumpfullversion'], { encoding: 'utf8' }).trim(),
      ]),
    );
  }
}

/** Build every target into `outDir`; returns { relative path: sha256 }. */
function buildAll(outDir) {
  requireTools([
    ['gcc', 'gcc'],
    ['aarch64-linux-gnu-gcc', 'gcc-aarch64-linux-gnu'],
    ['readelf', 'binutils'],
    ['dpkg-deb', 'dpkg'],
    ['apt-get', 'apt'],
  ]);
  if (!existsSync(join(root, 'node_modules', 'node-api-headers')))
    fail('node-api-headers is not installed: npm ci');
  const files = {};
  for (const t of TARGETS) {
    const sr = sysroot(cache, t.libc, t.arch, SYSROOT_PACKAGES[t.libc]);
    const out = join(outDir, prebuildPath(t));
    compile(root, t, sr, out);
    const libc = t.libc === 'musl' ? exportedNames(join(sr, 'lib', t.triplet, 'libc.so')) : null;
    const problems = checkPrebuild(out, t, libc);
    if (problems.length) fail(`${prebuildPath(t)}: ${problems.join('; ')}`);
    files[prebuildPath(t)] = sha256(out);
    smokeOrFail(t, out);
  }
  return files;
}

/** Run the prebuild where this machine can (smoke.mjs), and say how; a failed run ends the
 *  build. */
function smokeOrFail(t, file) {
  const r = smoke(cache, t, file);
  if (r.ok === false) fail(`${prebuildPath(t)} does not run: ${r.text}`);
  process.stdout.write(`${prebuildPath(t)}: readelf ok; ${r.ok ? 'ran with ' : ''}${r.text}\n`);
}

function readManifest() {
  try {
    return JSON.parse(readFileSync(join(root, MANIFEST), 'utf8'));
  } catch {
    return fail(`${MANIFEST} is missing or unreadable: npm run prebuilds`);
  }
}

if (mode === 'build') {
  const scratch = mkdtempSync(join(tmpdir(), 'dk-prebuilds-'));
  const files = buildAll(scratch);
  for (const rel of Object.keys(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    renameSync(join(scratch, rel), join(root, rel));
  }
  rmSync(scratch, { recursive: true, force: true });
  const napiHeaders = JSON.parse(
    readFileSync(join(root, 'node_modules/node-api-headers/package.json'), 'utf8'),
  ).version;
  const manifest = {
    sources: sourcesHash(root),
    napiHeaders,
    toolchain: toolchain(),
    sysroot: SYSROOT_PACKAGES,
    files,
  };
  writeFileSync(join(root, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  process.stdout.write(
    `prebuilds: ${Object.keys(files).length} files written, ${MANIFEST} updated\n`,
  );
} else if (mode === '--verify') {
  const manifest = readManifest();
  const scratch = mkdtempSync(join(tmpdir(), 'dk-prebuilds-'));
  const files = buildAll(scratch);
  rmSync(scratch, { recursive: true, force: true });
  const differ = Object.keys(files).filter(
    (rel) => !existsSync(join(root, rel)) || sha256(join(root, rel)) !== files[rel],
  );
  if (differ.length)
    fail(
      `a fresh build differs from the committed ${differ.join(', ')} (toolchain then: ${JSON.stringify(manifest.toolchain)}, now: ${JSON.stringify(toolchain())})`,
    );
  process.stdout.write(
    `prebuilds: a fresh build is byte for byte the committed one (${Object.keys(files).length} files)\n`,
  );
} else if (mode === '--smoke') {
  requireTools([
    ['gcc', 'gcc'],
    ['aarch64-linux-gnu-gcc', 'gcc-aarch64-linux-gnu'],
    ['readelf', 'binutils'],
    ['dpkg-deb', 'dpkg'],
    ['apt-get', 'apt'],
  ]);
  for (const t of TARGETS) {
    const problems = checkPrebuild(join(root, prebuildPath(t)), t);
    if (problems.length) fail(`${prebuildPath(t)}: ${problems.join('; ')}`);
    smokeOrFail(t, join(root, prebuildPath(t)));
  }
} else if (mode === '--check') {
  const manifest = readManifest();
  if (manifest.sources !== sourcesHash(root))
    fail('native/ changed since the prebuilds were made: npm run prebuilds');
  for (const t of TARGETS) {
    const file = join(root, prebuildPath(t));
    if (!existsSync(file)) fail(`${prebuildPath(t)} is missing: npm run prebuilds`);
    const problems = checkPrebuild(file, t);
    if (problems.length) fail(`${prebuildPath(t)}: ${problems.join('; ')}`);
    if (sha256(file) !== manifest.files[prebuildPath(t)])
      fail(`${prebuildPath(t)} is not the file ${MANIFEST} records`);
  }
  process.stdout.write(`prebuilds: ${TARGETS.length} prebuilds checked\n`);
} else {
  fail(`unknown option ${mode} (none, --verify, --smoke or --check)`);
}
