// The services file's JSON Schema (dist/daemonkit.schema.json), made at build time from the
// option table that `start` parses (dist/cli/flags.js): a service's keys are start's long
// options, so the schema can never list one that start lacks, or miss one it has. Editors that
// read `#:schema` (Taplo, Even Better TOML) complete and check the file with it.
import { writeFileSync } from 'node:fs';
import { FLAGS, flagsOf } from '../dist/cli/flags.js';
import { NAME_PATTERN } from '../dist/config/paths.js';
import { startOptionChecker } from '../dist/cli/project-options.js';

const described = (name) => {
  const f = FLAGS[name];
  const dflt = f.default ?? f.defaultText;
  return `--${name}${f.value ? ` ${f.value}` : ''}: ${f.help}${dflt !== undefined ? ` (default: ${dflt})` : ''}`;
};

function option(name) {
  const f = FLAGS[name];
  const description = described(name);
  if (!f.takesValue) return { type: 'boolean', description };
  if (f.repeatable)
    return {
      description,
      oneOf: [
        { type: 'object', additionalProperties: { type: ['string', 'integer', 'boolean'] } },
        { type: 'array', items: { type: 'string' } },
      ],
    };
  return { type: ['string', 'integer'], description };
}

const keys = startOptionChecker.keys;
if (keys.some((k) => !flagsOf('start').includes(k))) throw new Error('a key that start lacks');

const service = {
  type: 'object',
  required: ['command'],
  additionalProperties: false,
  properties: {
    command: {
      description:
        "The COMMAND: an array is exec'd as given; a string runs under /bin/sh -c, as a Procfile line does",
      oneOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', items: { type: 'string' }, minItems: 1 },
      ],
    },
    after: {
      description: 'Services this one starts after (once they are ready) and stops before',
      type: 'array',
      items: { type: 'string' },
    },
    ...Object.fromEntries(keys.map((k) => [k, option(k)])),
  },
};

const schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'daemonkit services file (daemonkit.toml)',
  description: 'Services started together by `daemonkit up`: docs/cli.md#services-file',
  type: 'object',
  additionalProperties: false,
  properties: {
    project: {
      description:
        "The project's name; services are PROJECT.SERVICE (default: the file's directory name)",
      type: 'string',
      pattern: NAME_PATTERN,
    },
    services: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z0-9][A-Za-z0-9_@+-]*$' },
      additionalProperties: { $ref: '#/definitions/service' },
    },
  },
  required: ['services'],
  definitions: { service },
};
writeFileSync('dist/daemonkit.schema.json', `${JSON.stringify(schema, null, 2)}\n`);
