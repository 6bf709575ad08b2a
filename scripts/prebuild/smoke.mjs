// Each prebuild run, not only read: a glibc one is loaded by a node on Debian 11's own glibc 2.31
// (amd64: this machine's node; arm64: Debian 11's node 12 under qemu-user) and makes real calls
// (smoke/calls.cjs); a musl one — no musl node is to be had from Debian — is loaded by musl's own
// dynamic linker in a small harness (smoke/harness.c) that runs its Node-API init. An arm64 run
// needs qemu-aarch64 (apt-get install qemu-user); without it the result says "not run".
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sysroot } from './sysroot.mjs';
import { RUNTIME_PACKAGES, SYSROOT_PACKAGES } from './targets.mjs';

const here = new URL('.', import.meta.url).pathname;
const hostArch = process.arch === 'x64' ? 'amd64' : process.arch;
const QEMU = { amd64: 'qemu-x86_64', arm64: 'qemu-aarch64' };
const has = (tool) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const run = (argv) =>
  execFileSync(argv[0], argv.slice(1), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  }).trim();

const EXPECTED_CALLS = JSON.stringify({
  user0: 'root',
  pipeBytes: 5,
  locks: [true, true, false],
  child: { code: 7, signal: null },
});

function glibcRun(cache, t, file, scratch) {
  const rt = sysroot(cache, 'run-glibc', t.arch, {
    libc6: SYSROOT_PACKAGES.glibc.libc6,
    ...RUNTIME_PACKAGES[t.arch],
  });
  const calls = [join(here, 'smoke', 'calls.cjs'), file, scratch];
  if (t.arch === 'amd64' && hostArch === 'amd64') {
    const libs = [join(rt, 'lib', t.triplet), join(rt, 'usr/lib', t.triplet)].join(':');
    return run([
      join(rt, 'lib', t.triplet, 'ld-linux-x86-64.so.2'),
      '--library-path',
      libs,
      realpathSync(process.execPath),
      ...calls,
    ]);
  }
  if (t.arch === 'arm64')
    return run([
      ...(hostArch === 'arm64' ? [] : [QEMU.arm64, '-L', rt]),
      join(rt, 'usr/bin/nodejs'),
      ...calls,
    ]);
  return null;
}

function muslRun(cache, t, file, scratch) {
  const sr = sysroot(cache, 'musl', t.arch, SYSROOT_PACKAGES.musl);
  const needs = execFileSync('readelf', ['-W', '--dyn-syms', file], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[6] === 'UND' && /^(napi|node_api)_/.test(f[7] ?? ''))
    .map((f) => f[7].split('@')[0]);
  const stubs = [...new Set(needs)]
    .filter((n) => n !== 'napi_define_properties')
    .map((n) => `int ${n}(void) { return 0; }\n`)
    .join('');
  writeFileSync(join(scratch, 'stubs.c'), stubs);
  const cc = t.cc;
  const gcc = (name) => execFileSync(cc, [`-print-file-name=${name}`], { encoding: 'utf8' }).trim();
  const lib = join(sr, 'usr/lib', t.triplet);
  const harness = join(scratch, 'harness');
  execFileSync(cc, [
    '-nostdinc',
    '-isystem',
    join(sr, 'usr/include', t.triplet),
    '-isystem',
    gcc('include'),
    '-O1',
    '-no-pie',
    '-rdynamic',
    '-nostdlib',
    join(lib, 'crt1.o'),
    join(lib, 'crti.o'),
    gcc('crtbegin.o'),
    join(here, 'smoke', 'harness.c'),
    join(scratch, 'stubs.c'),
    `-L${join(sr, 'lib', t.triplet)}`,
    '-lc',
    execFileSync(cc, ['-print-libgcc-file-name'], { encoding: 'utf8' }).trim(),
    gcc('crtend.o'),
    join(lib, 'crtn.o'),
    `-Wl,--dynamic-linker=${join(sr, 'lib', `ld-musl-${t.triplet.split('-')[0]}.so.1`)}`,
    '-o',
    harness,
  ]);
  return run([...(t.arch === hostArch ? [] : [QEMU[t.arch]]), harness, file]);
}

/** Run the prebuild `file` of target `t`: { ok, text } (ok null: could not be run here). */
export function smoke(cache, t, file) {
  file = resolve(file);
  if (t.arch !== hostArch && !has(QEMU[t.arch]))
    return {
      ok: null,
      text: `not run (no ${QEMU[t.arch]}: apt-get install qemu-user); readelf only`,
    };
  const scratch = mkdtempSync(join(tmpdir(), 'dk-smoke-'));
  try {
    if (t.libc === 'glibc') {
      const out = glibcRun(cache, t, file, scratch);
      if (out === null) return { ok: null, text: 'not run (no node for it here); readelf only' };
      const how = t.arch === 'amd64' ? 'node 20' : 'node 12 under qemu-aarch64';
      return { ok: out === EXPECTED_CALLS, text: `${how} on Debian 11's glibc 2.31: ${out}` };
    }
    const out = muslRun(cache, t, file, scratch);
    const m = /^init ok, (\d+) functions: (.*)$/.exec(out);
    const ok = Boolean(m) && Number(m[1]) >= 20 && m[2].split(' ').includes('spawnDaemon');
    return {
      ok,
      text: `musl 1.2.2's dynamic linker${t.arch === hostArch ? '' : ` under ${QEMU[t.arch]}`}: ${m ? `loaded, init registered ${m[1]} functions` : out}`,
    };
  } catch (error) {
    // The loader's own words: the harness prints dlerror() on stdout, node an Error on stderr.
    const lines = `${error.stdout ?? ''}\n${error.stderr ?? ''}\n${error.message}`
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    return {
      ok: false,
      text: lines.find((l) => /^dlopen:|Error:|not found/.test(l)) ?? lines.at(-1),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
