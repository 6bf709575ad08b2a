/**
 * Pure: what is wrong with a spec.json read back (a hand edit, a disk error, another version),
 * so `restart` says so naming the field instead of starting something half-read.
 */
import { MAX_RESTARTS_LIMIT } from '../config/restart-policy.js';

const isInt = (v: unknown, min: number, max: number): boolean =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
const isMs = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isStrings = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === 'string');
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

type Check = [field: string, ok: (v: unknown) => boolean, want: string];

const REQUIRED: Check[] = [
  ['command', (v) => isStrings(v) && v.length > 0 && v[0] !== '', 'a non-empty list of strings'],
  ['chdir', (v) => typeof v === 'string' && v.startsWith('/'), 'an absolute path'],
  ['umask', (v) => isInt(v, 0, 0o777), 'an integer 0 to 0777'],
  ['stdin', (v) => typeof v === 'string', 'a path'],
  ['stdout', (v) => v === null || typeof v === 'string', 'a path or null'],
  ['stderr', (v) => v === null || typeof v === 'string', 'a path or null'],
  [
    'envOverrides',
    (v) => isStrings(v) && v.every((s) => s.indexOf('=') > 0),
    'a list of KEY=VALUE strings',
  ],
  [
    'graceMs',
    (v) => isInt(v, 0, 999_999_999),
    'a whole number of milliseconds up to 999999999 (as --grace takes)',
  ],
];

const OPTIONAL: Check[] = [
  [
    'restart',
    (v) =>
      isObject(v) &&
      ['no', 'on-failure', 'always'].includes(v.restart as string) &&
      ['delayMs', 'maxDelayMs', 'minUptimeMs', 'windowMs'].every((k) => isMs(v[k])) &&
      (v.maxRestarts === null || isInt(v.maxRestarts, 0, MAX_RESTARTS_LIMIT)),
    'a restart policy',
  ],
  [
    'limits',
    (v) =>
      Array.isArray(v) &&
      v.every(
        (l) =>
          Array.isArray(l) &&
          l.length === 3 &&
          typeof l[0] === 'string' &&
          isInt(l[1], -1, Number.MAX_SAFE_INTEGER) &&
          isInt(l[2], -1, Number.MAX_SAFE_INTEGER),
      ),
    'a list of [name, soft, hard]',
  ],
  ['nice', (v) => isInt(v, -20, 19), 'an integer -20 to 19'],
  ['envFile', (v) => typeof v === 'string', 'a path'],
  ['clearEnv', (v) => typeof v === 'boolean', 'true or false'],
  [
    'logs',
    (v) =>
      isObject(v) &&
      typeof v.timestamps === 'boolean' &&
      (v.maxSize === null || isInt(v.maxSize, 1, Number.MAX_SAFE_INTEGER)) &&
      isInt(v.keep, 0, 9999) &&
      typeof v.compress === 'boolean',
    'a log policy',
  ],
  [
    'ready',
    (v) => isObject(v) && ['notify', 'tcp', 'fd'].includes(v.kind as string),
    'a readiness check',
  ],
  ['readyTimeoutMs', isMs, 'a number of milliseconds'],
  ['user', (v) => typeof v === 'string' && v !== '', 'a user name or id'],
  ['group', (v) => typeof v === 'string' && v !== '', 'a group name or id'],
  [
    'project',
    (v) =>
      isObject(v) &&
      ['project', 'service', 'file'].every((k) => typeof v[k] === 'string') &&
      (v.definition === undefined ||
        v.definition === null ||
        (isObject(v.definition) &&
          Object.values(v.definition).every((d) => typeof d === 'string'))),
    'a project record',
  ],
];

/** Every problem of a recorded spec, as "FIELD: want …"; empty when it can be used. */
export function recordedSpecProblems(value: unknown): string[] {
  if (!isObject(value)) return ['not a JSON object'];
  const problems: string[] = [];
  for (const [field, ok, want] of REQUIRED)
    if (!ok(value[field]))
      problems.push(`${field}: ${value[field] === undefined ? 'missing, want' : 'not'} ${want}`);
  for (const [field, ok, want] of OPTIONAL)
    if (value[field] !== undefined && !ok(value[field])) problems.push(`${field}: not ${want}`);
  return problems;
}
