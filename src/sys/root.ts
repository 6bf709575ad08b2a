/** The package's root directory, found from wherever this code was loaded (dist/ or a bundle). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'binding.gyp'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('daemonkit: cannot find the package root (binding.gyp)');
    dir = up;
  }
  return dir;
}

export const PACKAGE_ROOT = findRoot();
