// The services file's JSON Schema (dist/daemonkit.schema.json), made at build time from the
// option table (dist/config/table/): a service's keys are its rows, checked by the same rows
// (project/options.ts), so the schema can never list a key the file refuses, or miss one it
// takes. Editors that read `#:schema` (Taplo, Even Better TOML) complete and check the file.
import { writeFileSync } from 'node:fs';
import { NAME_PATTERN } from '../dist/config/paths.js';
import { optionsJsonSchema } from '../dist/config/table/index.js';

const options = optionsJsonSchema('start');
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
    ...options.properties,
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
