// What every prebuild must be, read from the ELF file with readelf (binutils reads every
// architecture): the right machine, only its libc needed, Node-API's entry point exported, and
// for glibc no symbol version newer than Debian 11's. Returns the problems found (none: good).
import { execFileSync } from 'node:child_process';
import { GLIBC_MAX } from './targets.mjs';

const readelf = (args, file) =>
  execFileSync('readelf', ['-W', ...args, file], {
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
  });

const versionLess = (a, b) => {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) < (y[i] ?? 0);
  return false;
};

/** Dynamic symbols: { name, version, defined, bind, type }. */
function dynamicSymbols(file) {
  const rows = [];
  for (const line of readelf(['--dyn-syms'], file).split('\n')) {
    const f = line.trim().split(/\s+/); // Num: Value Size Type Bind Vis Ndx Name
    if (f.length < 8 || !/^\d+:$/.test(f[0]) || f[7] === '') continue;
    const [name, version = null] = f[7].split(/@+/);
    rows.push({ name, version, defined: f[6] !== 'UND', bind: f[4], type: f[3] });
  }
  return rows;
}

/**
 * @param file  the .node file
 * @param t     its target (targets.mjs)
 * @param libcExports  names a musl libc exports (when its sysroot is at hand), to check every
 *                     symbol the prebuild needs is there
 */
export function checkPrebuild(file, t, libcExports = null) {
  const problems = [];
  const header = readelf(['-h'], file);
  if (!/Class:\s+ELF64/.test(header)) problems.push('not a 64-bit ELF file');
  if (!/Type:\s+DYN/.test(header)) problems.push('not a shared object');
  const machine = /Machine:\s+(.+)/.exec(header)?.[1].trim();
  if (machine !== t.machine) problems.push(`machine is ${machine}, not ${t.machine}`);

  const needed = [...readelf(['-d'], file).matchAll(/\(NEEDED\)\s+Shared library: \[(.+)\]/g)].map(
    (m) => m[1],
  );
  const allowed = t.libc === 'glibc' ? ['libc.so.6', 'libpthread.so.0'] : ['libc.so'];
  const wrong = needed.filter((n) => !allowed.includes(n));
  if (wrong.length)
    problems.push(`needs ${wrong.join(', ')} (${t.libc} allows ${allowed.join(', ')})`);
  if (!needed.includes(allowed[0])) problems.push(`does not need ${allowed[0]}`);

  const symbols = dynamicSymbols(file);
  if (
    !symbols.some(
      (s) =>
        s.name === 'napi_register_module_v1' &&
        s.defined &&
        s.type === 'FUNC' &&
        s.bind === 'GLOBAL',
    )
  ) {
    problems.push('does not export napi_register_module_v1');
  }
  const versions = [
    ...new Set([...readelf(['-V'], file).matchAll(/Name: (GLIBC_[\d.]+)/g)].map((m) => m[1])),
  ];
  if (t.libc === 'glibc') {
    const newer = versions.filter((v) => versionLess(GLIBC_MAX, v.slice('GLIBC_'.length)));
    if (newer.length)
      problems.push(`needs ${newer.join(', ')}, newer than Debian 11's GLIBC_${GLIBC_MAX}`);
  } else if (versions.length)
    problems.push(`a musl build needs glibc versions: ${versions.join(', ')}`);

  // Every symbol taken from outside is Node-API's (node provides it) or bound to the libc.
  const foreign = symbols.filter(
    (s) => !s.defined && s.bind !== 'WEAK' && !/^(napi|node_api)_/.test(s.name),
  );
  const unbound =
    t.libc === 'glibc'
      ? foreign.filter((s) => !s.version?.startsWith('GLIBC_'))
      : libcExports
        ? foreign.filter((s) => !libcExports.has(s.name))
        : [];
  const names = unbound.map((s) => s.name);
  if (names.length)
    problems.push(
      `symbols not in ${t.libc}: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ` … (${names.length} in all)` : ''}`,
    );

  if (/GNU_STACK.*RWE/.test(readelf(['-l'], file))) problems.push('asks for an executable stack');
  return problems;
}

/** The names a shared library (musl's libc.so) defines. */
export function exportedNames(file) {
  return new Set(
    dynamicSymbols(file)
      .filter((s) => s.defined)
      .map((s) => s.name),
  );
}
