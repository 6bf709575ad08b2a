// The source tree by concern: each folder one concern, arrows running one way. A folder may
// import its own files and those of the folders listed before it, never one after it; nothing
// but src/index.ts sits at the top level. (A newcomer finds each concern in one folder.)
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Lowest first. Folders on one line are peers: neither imports the other. */
const LAYERS = [
  ['sys'], // the kernel: native calls, /proc, signals, process groups
  ['errors'], // typed errors and their exit codes
  ['files'], // safe file access: directory fds, owners, trusted ancestors
  ['config'], // options, their table and validation, the command spec and its parts
  ['service'], // one service's files: paths, lock, pidfile, state, status, requests
  ['notify'], // sd_notify, both sides
  ['logs'], // writing logs (logs/write) and reading them (logs/read)
  ['spawn'], // launching processes, the child's fd layout
  ['supervisor'], // the machine, its policy and the runner
  ['ops'], // start, stop, restart, reload, reopen, rm, list
  ['project'], // a services file (daemonkit.toml): its model, up, down
  ['daemon', 'export'], // the library's Daemon; systemd export
  ['cli'], // the command line, on top
];
const rank = new Map(LAYERS.flatMap((peers, i) => peers.map((name) => [name, i])));

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [join(dir, e.name)]
        : [],
  );
}
const folderOf = (file) => relative(SRC, file).split('/')[0];
const IMPORT = /(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g;

describe('src/ by concern', () => {
  const files = sources(SRC);

  it('has no file at its top level but index.ts', () => {
    const loose = files.filter((f) => dirname(f) === SRC).map((f) => relative(SRC, f));
    assert.deepEqual(loose, ['index.ts']);
  });

  it('has every folder in the layers', () => {
    const folders = [...new Set(files.filter((f) => dirname(f) !== SRC).map(folderOf))];
    assert.deepEqual(
      folders.filter((f) => !rank.has(f)),
      [],
    );
  });

  it('imports only from its own folder or a folder below it', () => {
    const upward = [];
    for (const file of files) {
      const from = folderOf(file);
      if (!rank.has(from)) continue; // index.ts: the library's surface, above everything
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
        const to = folderOf(resolve(dirname(file), spec));
        if (to !== from && !(rank.get(to) < rank.get(from)))
          upward.push(`${relative(SRC, file)} imports ${spec} (${to})`);
      }
    }
    assert.deepEqual(upward, []);
  });

  it('keeps the writing and the reading of logs apart', () => {
    const crossing = [];
    for (const file of files.filter((f) => /\/logs\/(read|write)\//.test(f))) {
      const side = file.includes('/logs/read/') ? 'read' : 'write';
      const other = side === 'read' ? '/logs/write/' : '/logs/read/';
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(IMPORT))
        if (resolve(dirname(file), spec).includes(other))
          crossing.push(`${relative(SRC, file)} imports ${spec}`);
    }
    assert.deepEqual(crossing, []);
  });
});
