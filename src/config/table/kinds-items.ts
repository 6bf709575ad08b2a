/**
 * Kinds of value with a structure of their own (pure): `KEY=VALUE` (--env), a resource limit
 * (--limit, whose names are here once: spawn.c's and systemd's are checked against them by
 * tests), and a user or group as given (--user USER[:GROUP], --group).
 */
import { isInt, type Kind, type Parsed } from './kinds.js';
import { describeListen, parseListen, type ListenAddr } from '../listen-addr.js';

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const no = <T>(why: string): Parsed<T> => ({ ok: false, why });

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENV_WHY = "use KEY=VALUE with KEY made of letters, digits and '_'";

/** `KEY=VALUE`, KEY a shell variable's name; a repeat of a KEY wins (as in a shell). */
export const keyValue = (): Kind<string> => ({
  value: 'KEY=VALUE',
  parse: (g) => {
    const t = String(g);
    const eq = t.indexOf('=');
    return eq > 0 && ENV_KEY.test(t.slice(0, eq)) && !t.includes('\0') ? ok(t) : no(ENV_WHY);
  },
  recorded: {
    ok: (v) => typeof v === 'string' && v.indexOf('=') > 0,
    want: 'a KEY=VALUE string',
  },
  schema: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*=' },
});

/** The resources --limit sets, each with its systemd directive (spawn.c maps the same names to
 *  RLIMIT_*: test/unit/table.test.mjs checks it does). */
export const LIMIT_DIRECTIVES: Readonly<Record<string, string>> = {
  nofile: 'LimitNOFILE',
  core: 'LimitCORE',
  nproc: 'LimitNPROC',
  memlock: 'LimitMEMLOCK',
  stack: 'LimitSTACK',
  as: 'LimitAS',
  fsize: 'LimitFSIZE',
  cpu: 'LimitCPU',
};
export const LIMIT_NAMES = Object.keys(LIMIT_DIRECTIVES);

export type Limit = [name: string, soft: number, hard: number];

/** `nofile=1024`, `core=0`, `nproc=100:200`, `stack=unlimited` → [name, soft, hard] (-1 =
 *  unlimited); else why not. */
export function parseLimit(text: string): Limit | string {
  const m = /^([a-z]+)=([^:]+)(?::(.+))?$/.exec(text);
  if (!m) return 'use NAME=N or NAME=SOFT:HARD, e.g. nofile=65536 or core=0';
  const [, name, softText, hardText] = m as unknown as [string, string, string, string | undefined];
  if (!LIMIT_NAMES.includes(name))
    return `unknown limit '${name}': use one of ${LIMIT_NAMES.join(', ')}`;
  const value = (t: string): number | null =>
    t === 'unlimited' || t === 'infinity' ? -1 : /^[0-9]{1,15}$/.test(t) ? Number(t) : null;
  const soft = value(softText);
  const hard = hardText === undefined ? soft : value(hardText);
  if (soft === null || hard === null) return 'limits are whole numbers or "unlimited"';
  if (hard !== -1 && (soft === -1 || soft > hard)) return 'the soft limit is above the hard one';
  return [name, soft, hard];
}

const isLimit = (l: unknown): boolean =>
  Array.isArray(l) &&
  l.length === 3 &&
  typeof l[0] === 'string' &&
  isInt(l[1], -1, Number.MAX_SAFE_INTEGER) &&
  isInt(l[2], -1, Number.MAX_SAFE_INTEGER);

export const limit = (): Kind<Limit> => ({
  value: 'NAME=N',
  parse: (g) => {
    const r = parseLimit(String(g));
    return typeof r === 'string' ? no(r) : ok(r);
  },
  recorded: { ok: isLimit, want: '[name, soft, hard]' },
  schema: { type: 'string', pattern: `^(${LIMIT_NAMES.join('|')})=` },
});

const MAX_ID = 4294967294; // (uid_t)-1 means "no change" to the kernel

/** A user or group as given: a name (no ':', blanks or control characters) or a numeric id. */
export function checkId(text: string): string | null {
  if (text === '') return 'it is empty';
  if (/^[0-9]+$/.test(text)) return Number(text) <= MAX_ID ? null : `ids go up to ${MAX_ID}`;
  if (text.length > 256 || text.startsWith('-') || /[:\s\p{Cc}]/u.test(text))
    return 'use a name or a numeric id';
  return null;
}

/** `USER` or `USER:GROUP`: their form only (the user database is asked later). */
export const userGroup = (): Kind<{ user: string; group?: string }> => ({
  value: 'USER[:GROUP]',
  parse: (g) => {
    const given = String(g);
    const colon = given.indexOf(':');
    const user = colon < 0 ? given : given.slice(0, colon);
    const userWhy = checkId(user);
    if (userWhy) return no(colon < 0 ? userWhy : `the user part: ${userWhy}`);
    if (colon < 0) return ok({ user });
    const group = given.slice(colon + 1);
    const groupWhy = checkId(group);
    return groupWhy ? no(`the group part: ${groupWhy}`) : ok({ user, group });
  },
  recorded: { ok: (v) => typeof v === 'string' && v !== '', want: 'a user name or id' },
  schema: {
    oneOf: [
      { type: 'string', minLength: 1 },
      { type: 'integer', minimum: 0 },
    ],
  },
  complete: 'users',
});

export const group = (): Kind<string> => ({
  value: 'GROUP',
  parse: (g) => {
    const why = checkId(String(g));
    return why ? no(why) : ok(String(g));
  },
  recorded: { ok: (v) => typeof v === 'string' && v !== '', want: 'a group name or id' },
  schema: {
    oneOf: [
      { type: 'string', minLength: 1 },
      { type: 'integer', minimum: 0 },
    ],
  },
  complete: 'groups',
});

/** A socket the supervisor holds: `[NAME=]tcp:[HOST:]PORT` or `[NAME=]unix:PATH` (listen-addr.ts). */
export const listenAddr = (): Kind<ListenAddr> => ({
  value: 'ADDR',
  parse: (g) => {
    const addr = parseListen(String(g));
    return typeof addr === 'string' ? no(addr) : ok(addr);
  },
  recorded: {
    ok: (v) => typeof v === 'string' && typeof parseListen(v) !== 'string',
    want: 'a listen address',
  },
  schema: { type: 'string', pattern: '^([^=]+=)?(tcp|unix):' },
});
/** Two --listen of one address are one socket twice: refused. */
export const listenKey = (addr: unknown): string => describeListen(addr as ListenAddr);
