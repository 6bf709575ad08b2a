// Sysroots of Debian 11's libc headers and libraries (glibc 2.31, musl 1.2.2) for amd64 and arm64,
// fetched with apt-get from the Debian mirror this machine already uses, through a private apt
// configuration under .cache/prebuild (the system's apt state and architectures stay untouched).
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { debFile, DEBIAN_SUITE, RUNTIME_PACKAGES, SYSROOT_PACKAGES } from './targets.mjs';

const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/** The Debian mirror of this machine's apt sources (or $DEBIAN_MIRROR): the URI of its main
 *  suite. */
export function debianMirror() {
  if (process.env.DEBIAN_MIRROR) return process.env.DEBIAN_MIRROR;
  const texts = [];
  if (existsSync('/etc/apt/sources.list'))
    texts.push(readFileSync('/etc/apt/sources.list', 'utf8'));
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir))
    for (const f of readdirSync(dir)
      .filter((n) => /\.(list|sources)$/.test(n))
      .sort())
      texts.push(readFileSync(join(dir, f), 'utf8'));
  for (const text of texts) {
    // One-line style: deb URI SUITE COMPONENTS...; deb822 style: URIs:/Suites: fields per stanza.
    for (const m of text.matchAll(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s/gm))
      if (isMainSuite(m[2])) return m[1];
    for (const stanza of text.split(/\n\s*\n/)) {
      const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      const suites = /^Suites:\s*(.+)$/m.exec(stanza)?.[1].split(/\s+/) ?? [];
      if (uri && /^Types:.*\bdeb\b/m.test(stanza) && suites.some(isMainSuite)) return uri;
    }
  }
  throw new Error(
    'prebuilds: no Debian mirror in /etc/apt/sources.list{,.d}; set DEBIAN_MIRROR to one that serves bullseye',
  );
}
const isMainSuite = (suite) =>
  /^(buster|bullseye|bookworm|trixie|forky|sid|stable|oldstable|testing|unstable)$/.test(suite);

/** apt-get with a private configuration in `dir`, for amd64 and arm64. */
function aptArgs(dir) {
  const d = (p) => join(dir, p);
  return [
    // Only the sources and pins are ours: the system's apt.conf.d (a proxy, say) still applies.
    '-q',
    '-o',
    `Dir::Etc::sourcelist=${d('etc/sources.list')}`,
    '-o',
    `Dir::Etc::sourceparts=${d('etc/sources.list.d')}`,
    '-o',
    `Dir::Etc::preferences=${d('etc/preferences')}`,
    '-o',
    `Dir::Etc::preferencesparts=${d('etc/preferences.d')}`,
    '-o',
    `Dir::State::Lists=${d('lists')}`,
    '-o',
    `Dir::State::status=${d('status')}`,
    '-o',
    `Dir::Cache=${d('cache')}`,
    '-o',
    'APT::Architectures::=amd64',
    '-o',
    'APT::Architectures::=arm64',
    '-o',
    'APT::Sandbox::User=root',
  ];
}

/** Every package version any sysroot uses, per architecture: [{ spec, file }]. */
function allDebs() {
  const out = new Map();
  for (const arch of ['amd64', 'arm64']) {
    for (const pkgs of [...Object.values(SYSROOT_PACKAGES), RUNTIME_PACKAGES[arch]]) {
      for (const [name, version] of Object.entries(pkgs))
        out.set(debFile(name, version, arch), `${name}:${arch}=${version}`);
    }
  }
  return [...out].map(([file, spec]) => ({ file, spec }));
}

/** Download (once, into `cache`/debs) every package a sysroot needs; returns that directory. */
function fetchDebs(cache) {
  const apt = join(cache, 'apt');
  const debs = join(cache, 'debs');
  const missing = allDebs().filter((w) => !existsSync(join(debs, w.file)));
  if (missing.length) {
    const source = `deb [arch=amd64,arm64 signed-by=${KEYRING}] ${debianMirror()} ${DEBIAN_SUITE} main\n`;
    for (const p of [
      'etc/sources.list.d',
      'etc/preferences.d',
      'lists/partial',
      'cache/archives/partial',
    ])
      mkdirSync(join(apt, p), { recursive: true });
    writeFileSync(join(apt, 'etc/sources.list'), source);
    writeFileSync(join(apt, 'status'), '');
    mkdirSync(debs, { recursive: true });
    const args = aptArgs(apt);
    execFileSync('apt-get', [...args, 'update'], { stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync('apt-get', [...args, 'download', ...missing.map((w) => w.spec)], {
      cwd: debs,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  return debs;
}

/** The sysroot `name` for `arch`: these packages extracted into one directory (once). */
export function sysroot(cache, name, arch, packages) {
  const dir = join(cache, 'sysroot', `${name}-${arch}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  const debs = fetchDebs(cache);
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const [pkg, version] of Object.entries(packages))
    execFileSync('dpkg-deb', ['-x', join(debs, debFile(pkg, version, arch)), tmp]);
  relinkAbsolute(tmp, tmp);
  writeFileSync(join(tmp, '.complete'), '');
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

/** A package's absolute symlinks (libpthread.so -> /lib/...) would point into the build machine's
 *  own libc: make each relative, inside the sysroot. */
function relinkAbsolute(root, dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) relinkAbsolute(root, path);
    else if (entry.isSymbolicLink()) {
      const target = readlinkSync(path);
      if (!target.startsWith('/')) continue;
      rmSync(path);
      symlinkSync(relative(dirname(path), join(root, target)), path);
    }
  }
}
