/**
 * Pure: what is wrong with a spec.json read back (a hand edit, a disk error, another version),
 * so `restart` says so naming the field instead of starting something half-read. Each value is
 * held to its option's row (the same ranges the command line has: config/table/).
 */
import { optionRow } from './table/index.js';

const isStrings = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === 'string');
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
/** A recorded value of `--name` as its row's kind would have made it. */
const as =
  (name: string) =>
  (v: unknown): boolean =>
    optionRow(name).kind.recorded.ok(v);
const want = (name: string): string => optionRow(name).kind.recorded.want;

type Check = [field: string, ok: (v: unknown) => boolean, want: string];

const REQUIRED: Check[] = [
  ['command', (v) => isStrings(v) && v.length > 0 && v[0] !== '', 'a non-empty list of strings'],
  ['chdir', (v) => typeof v === 'string' && v.startsWith('/'), 'an absolute path'],
  ['umask', as('umask'), want('umask')],
  ['stdin', as('stdin'), want('stdin')],
  ['stdout', (v) => v === null || as('stdout')(v), 'a path or null'],
  ['stderr', (v) => v === null || as('stderr')(v), 'a path or null'],
  ['envOverrides', (v) => Array.isArray(v) && v.every(as('env')), 'a list of KEY=VALUE strings'],
  ['graceMs', as('grace'), want('grace')],
];

/** The restart policy's fields, each its option's. */
const POLICY: [field: string, option: string][] = [
  ['restart', 'restart'],
  ['delayMs', 'restart-delay'],
  ['maxDelayMs', 'restart-max-delay'],
  ['minUptimeMs', 'min-uptime'],
  ['maxRestarts', 'max-restarts'],
  ['windowMs', 'restart-window'],
];

const OPTIONAL: Check[] = [
  [
    'restart',
    (v) => isObject(v) && POLICY.every(([field, option]) => as(option)(v[field])),
    'a restart policy',
  ],
  ['limits', (v) => Array.isArray(v) && v.every(as('limit')), 'a list of [name, soft, hard]'],
  ['nice', as('nice'), want('nice')],
  ['envFile', as('env-file'), want('env-file')],
  ['clearEnv', as('clear-env'), want('clear-env')],
  [
    'logs',
    (v) =>
      isObject(v) &&
      as('log-timestamps')(v.timestamps) &&
      (v.maxSize === null || as('log-max-size')(v.maxSize)) &&
      as('log-keep')(v.keep) &&
      as('log-compress')(v.compress),
    'a log policy',
  ],
  ['ready', as('ready'), want('ready')],
  ['readyTimeoutMs', as('ready-timeout'), want('ready-timeout')],
  ['user', as('user'), want('user')],
  ['group', as('group'), want('group')],
  ['listen', (v) => Array.isArray(v) && v.every(as('listen')), 'a list of listen addresses'],
  ['listenMode', as('listen-mode'), want('listen-mode')],
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
  ['instances', as('instances'), want('instances')],
  [
    'env',
    (v) => isObject(v) && Object.values(v).every((s) => typeof s === 'string'),
    'an environment ({NAME: "value", …})',
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
