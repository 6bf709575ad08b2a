// The services file's JSON Schema (generated at build time): a service's keys are exactly
// `command`, `after` and start's long options (what the file's loader takes), and the example
// project's file uses only keys it knows.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'smol-toml';
import { flagsOf } from '../../dist/cli/flags.js';
import { optionRow } from '../../dist/config/table/index.js';
import { serviceOptions } from '../../dist/project/options.js';
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
    assert.deepEqual([...serviceOptions.keys].sort(), options.sort());
    assert.equal(service.additionalProperties, false);
    assert.equal(service.properties['log-timestamps'].type, 'boolean');
    assert.ok(service.properties.env.oneOf);
  });
  it("each option's schema is its row's: the kind's schema, its help and default", () => {
    // umask: a string of octal digits only (a TOML number is refused: docs/decisions.md)
    assert.deepEqual(service.properties.umask.type, 'string');
    assert.equal(service.properties.umask.pattern, optionRow('umask').kind.schema.pattern);
    assert.deepEqual(service.properties.restart.enum, ['no', 'on-failure', 'always']);
    assert.equal(service.properties.nice.maximum, 19);
    assert.match(service.properties.grace.description, /^--grace MS: .*\(default: /);
    assert.deepEqual(service.properties.limit.oneOf[0].items, optionRow('limit').kind.schema);
  });
  it('examples/shop/daemonkit.toml uses only keys the schema has', () => {
    const doc = parse(readFileSync(join(ROOT, 'examples', 'shop', 'daemonkit.toml'), 'utf8'));
    for (const key of Object.keys(doc)) assert.ok(schema.properties[key], key);
    for (const [name, s] of Object.entries(doc.services))
      for (const key of Object.keys(s)) assert.ok(service.properties[key], `${name}.${key}`);
  });
});
