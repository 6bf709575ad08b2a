// `systemd-analyze verify` of an exported unit: clean, but for the keys of systemd ≥ 254
// (RestartSteps=, RestartMaxDelaySec=), which an older one warns of and ignores. Skips the test
// where systemd-analyze is not installed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './helpers.mjs';

const NEWER =
  /Unknown key '?(RestartSteps|RestartMaxDelaySec)'? in section '?\[?Service\]?'?, ignoring/;

/** `others`: more unit files beside it (file name → text), verified with it (its socket units). */
export async function verifyUnit(t, name, text, others = {}) {
  if ((await run('sh', ['-c', 'command -v systemd-analyze'])).code !== 0)
    return t.skip('systemd-analyze is not installed');
  const version = Number(
    /systemd (\d+)/.exec((await run('systemd-analyze', ['--version'])).stdout)?.[1] ?? 0,
  );
  const dir = mkdtempSync(join(tmpdir(), 'dk-unit-'));
  try {
    writeFileSync(join(dir, `${name}.service`), text);
    for (const [file, body] of Object.entries(others)) writeFileSync(join(dir, file), body);
    const files = [`${name}.service`, ...Object.keys(others)].map((f) => join(dir, f));
    const v = await run('systemd-analyze', ['verify', ...files]);
    assert.equal(v.code, 0, v.stderr);
    const said = v.stderr.split('\n').filter(Boolean);
    assert.deepEqual(
      said.filter((l) => version >= 254 || !NEWER.test(l)),
      [],
      v.stderr,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return undefined;
}
