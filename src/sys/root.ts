/** The package's root directory, found from wherever this code was loaded (dist/ or a bundle). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  // import.meta.dirname: __dirname in a bundle (no URL parsed: ~0.26 ms of every command); Node
  // before 20.11 has none in ESM.
  let dir = (import.meta.dirname as string | undefined) ?? dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'binding.gyp'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('daemonkit: cannot find the package root (binding.gyp)');
    dir = up;
  }
  return dir;
}

export const PACKAGE_ROOT = findRoot();
