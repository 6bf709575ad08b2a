// native/limits.h -> src/sys/limits.ts: the native side's sizes, for the TypeScript boundary to
// check against (one source of truth). Run by `npm run build` before tsc; the output is
// committed, and test/unit/limits.test.mjs checks it is current and agrees with the module.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** `#define DK_PATH_MAX 4096` -> ['PATH_MAX', 4096], each with the comment above it. */
export function readLimits(text) {
  const out = [];
  for (const m of text.matchAll(/^#define DK_([A-Z0-9_]+) ([0-9]+)$/gm))
    out.push([m[1], Number(m[2])]);
  return out;
}

export function limitsModule(text) {
  const lines = readLimits(text).map(([name, value]) => `export const ${name} = ${value};`);
  return `// Generated from native/limits.h by scripts/gen-limits.mjs: edit the header, not this file.\n${lines.join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = join(root, 'src', 'sys', 'limits.ts');
  const text = limitsModule(readFileSync(join(root, 'native', 'limits.h'), 'utf8'));
  let old = '';
  try {
    old = readFileSync(target, 'utf8');
  } catch {
    // first run
  }
  if (old !== text) writeFileSync(target, text); // unchanged: keep its mtime (tsc, editors)
}
