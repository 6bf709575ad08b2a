// The services file's JSON Schema (generated at build time): a service's keys are exactly
// `command`, `after` and start's long options (what the file's loader takes), and the example
// project's file uses only keys it knows.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'smol-toml';
import { flagsOf } from '../../dist/cli/flags.js';
import { startOptionChecker } from '../../dist/cli/project-options.js';
import { ROOT } from '../helpers.mjs';

const schema = JSON.parse(readFileSync(join(ROOT, 'dist', 'daemonkit.schema.json'), 'utf8'));
const service = schema.definitions.service;

describe('dist/daemonkit.schema.json', () => {
  it("a service's keys: command, after and start's long options (not name, pidfile, quiet)", () => {
    const options = flagsOf('start').filter((k) => !['name', 'pidfile', 'quiet'].includes(k));
    assert.deepEqual(
      Object.keys(service.properties).sort(),
      ['after', 'command', ...options].sort(),
    );
    assert.deepEqual([...startOptionChecker.keys].sort(), options.sort());
    assert.equal(service.additionalProperties, false);
    assert.equal(service.properties['log-timestamps'].type, 'boolean');
    assert.ok(service.properties.env.oneOf);
  });
  it('examples/shop/daemonkit.toml uses only keys the schema has', () => {
    const doc = parse(readFileSync(join(ROOT, 'examples', 'shop', 'daemonkit.toml'), 'utf8'));
    for (const key of Object.keys(doc)) assert.ok(schema.properties[key], key);
    for (const [name, s] of Object.entries(doc.services))
      for (const key of Object.keys(s)) assert.ok(service.properties[key], `${name}.${key}`);
  });
});
