/**
 * The kinds of value an option takes (pure): each parses a value as the command line, the library
 * or a service file gives it, says why not in the words every message uses, knows what its value
 * looks like once recorded (spec.json's re-check), its JSON Schema and how a shell completes it.
 * Ranges live here, once, as arguments of the kind a row uses.
 */
import { parseDuration } from '../durations.js';
import { parseSize } from '../size.js';
import { parseReady, describeReady, type ReadySpec } from '../ready-spec.js';
import { parseSchedule, parseSignal } from '../schedule.js';

/** A value as given: command-line text, or a library's / a TOML file's number or boolean. */
export type Given = string | number | boolean;
/** A parsed value, or why it is refused (the text after "invalid --NAME 'VALUE': "). */
export type Parsed<T> = { ok: true; value: T } | { ok: false; why: string };
/** How a shell completes the value. */
export type Completion = 'names' | 'files' | 'dirs' | 'users' | 'groups' | readonly string[];

export interface Kind<T = unknown> {
  /** The value's name in the help (`--umask OCTAL`); undefined: a switch, it takes no value. */
  readonly value?: string;
  parse(given: Given): Parsed<T>;
  /** The value as recorded (JSON): does it hold, and what it should be ("an integer 0 to 0777"). */
  readonly recorded: { ok: (v: unknown) => boolean; want: string };
  /** A JSON Schema fragment for the value in a service file. */
  readonly schema: Readonly<Record<string, unknown>>;
  readonly complete?: Completion;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const no = <T>(why: string): Parsed<T> => ({ ok: false, why });
export const isInt = (v: unknown, min: number, max: number): boolean =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A switch: `--log-timestamps`; in a file, true or false. */
export const flag = (): Kind<boolean> => ({
  parse: (g) => (g === true || g === '' ? ok(true) : g === false ? ok(false) : no('true or false')),
  recorded: { ok: (v) => typeof v === 'boolean', want: 'true or false' },
  schema: { type: 'boolean' },
});

/** Any text the option checks elsewhere (a name: paths.ts' rule). */
export const text = (value: string, complete?: Completion): Kind<string> => ({
  value,
  parse: (g) => ok(String(g)),
  recorded: { ok: (v) => typeof v === 'string', want: 'a string' },
  schema: { type: 'string' },
  ...(complete ? { complete } : {}),
});

/** A path: anything a file name can hold but a NUL or a newline. */
export const path = (value: 'FILE' | 'DIR' | 'PATH'): Kind<string> => ({
  value,
  parse: (g) => {
    const t = String(g);
    return t === '' || t.includes('\0') || t.includes('\n') ? no('not a usable path') : ok(t);
  },
  recorded: { ok: (v) => typeof v === 'string', want: 'a path' },
  schema: { type: 'string', minLength: 1 },
  complete: value === 'DIR' ? 'dirs' : 'files',
});

/** An octal mask up to `max`; a number from the library is read as its octal digits. */
export const octal = (max: number, why: string): Kind<number> => ({
  value: 'OCTAL',
  parse: (g) => {
    const t = typeof g === 'number' ? g.toString(8) : String(g);
    const n = /^0?[0-7]{1,3}$/.test(t) ? Number.parseInt(t, 8) : -1;
    return n >= 0 && n <= max ? ok(n) : no(why);
  },
  recorded: { ok: (v) => isInt(v, 0, max), want: `an integer 0 to 0${max.toString(8)}` },
  schema: { type: 'string', pattern: '^0?[0-7]{1,3}$' },
});

/** A whole number from min to max as `digits` decimal digits at most (`-` allowed when min < 0);
 *  `infinity` (and Infinity) too when `infinite`, parsed as null. */
export function count(o: {
  min: number;
  max: number;
  digits: number;
  why: string;
  infinite?: boolean;
  value?: string;
}): Kind<number | null> {
  const form = new RegExp(`^${o.min < 0 ? '-?' : ''}[0-9]{1,${o.digits}}$`);
  return {
    value: o.value ?? 'N',
    parse: (g) => {
      if (o.infinite && (g === Infinity || g === 'infinity')) return ok(null);
      const t = String(g);
      return form.test(t) && Number(t) >= o.min && Number(t) <= o.max ? ok(Number(t)) : no(o.why);
    },
    recorded: {
      ok: (v) => (o.infinite && v === null) || isInt(v, o.min, o.max),
      want: `an integer ${o.min} to ${o.max}${o.infinite ? ' or null' : ''}`,
    },
    schema: o.infinite
      ? { oneOf: [{ type: 'integer', minimum: o.min, maximum: o.max }, { const: 'infinity' }] }
      : { type: 'integer', minimum: o.min, maximum: o.max },
  };
}

/** A duration in ms: `100ms`, `2s`, `1.5m`, `1h`, a bare number is seconds (durations.ts). */
export const duration = (o: {
  why: string;
  min?: number;
  max?: number;
  /** Refuse blanks around it (parseDuration trims them). */
  exact?: boolean;
}): Kind<number> => {
  const min = o.min ?? 0;
  const max = o.max ?? 2 ** 31 - 1;
  return {
    value: 'DURATION',
    parse: (g) => {
      const t = String(g);
      const ms = o.exact && t.trim() !== t ? null : parseDuration(t);
      return ms !== null && ms >= min && ms <= max ? ok(ms) : no(o.why);
    },
    recorded: { ok: (v) => isInt(v, min, max), want: `a number of milliseconds ${min} to ${max}` },
    schema: { oneOf: [{ type: 'string', pattern: '^[0-9.]+(ms|s|m|h)?$' }, { type: 'number' }] },
  };
};

/** Milliseconds as a bare number (as `--grace` has it), or a duration with its unit. */
export const millis = (max: number, why: string): Kind<number> => ({
  value: 'MS',
  parse: (g) => {
    const t = String(g);
    const ms = /^[0-9]{1,9}$/.test(t)
      ? Number(t)
      : /^[0-9.]+(?:ms|s|m|h)$/.test(t)
        ? parseDuration(t)
        : null;
    return ms !== null && ms <= max ? ok(ms) : no(why);
  },
  recorded: {
    ok: (v) => isInt(v, 0, max),
    want: `a whole number of milliseconds up to ${max} (as --grace takes)`,
  },
  schema: { oneOf: [{ type: 'integer', minimum: 0, maximum: max }, { type: 'string' }] },
});

/** A size in bytes: `10M`, `256K`, `1G` (size.ts), at least `min`. */
export const size = (o: { min: number; why: string; tooSmall: string }): Kind<number> => ({
  value: 'SIZE',
  parse: (g) => {
    const n = parseSize(String(g));
    return n === null ? no(o.why) : n < o.min ? no(o.tooSmall) : ok(n);
  },
  recorded: {
    ok: (v) => isInt(v, o.min, Number.MAX_SAFE_INTEGER),
    want: `bytes, ${o.min} or more`,
  },
  schema: { oneOf: [{ type: 'integer', minimum: o.min }, { type: 'string' }] },
});

/** One of a few words. */
export const oneOf = <W extends string>(words: readonly W[], why: string): Kind<W> => ({
  value: 'MODE',
  parse: (g) => ((words as readonly string[]).includes(String(g)) ? ok(g as W) : no(why)),
  recorded: { ok: (v) => (words as readonly unknown[]).includes(v), want: words.join(', ') },
  schema: { enum: [...words] },
  complete: words,
});

/** `--ready`: notify, tcp:[HOST:]PORT or fd:N (ready-spec.ts). */
export const ready = (): Kind<ReadySpec> => ({
  value: 'MODE',
  parse: (g) => {
    const r = parseReady(String(g));
    return typeof r === 'string' ? no(r) : ok(r);
  },
  recorded: {
    // Recorded as parsed: it must say again what it says (describe, then parse, gives it back).
    ok: (v) => {
      if (!isObject(v) || !['notify', 'tcp', 'fd'].includes(v.kind as string)) return false;
      try {
        const r = parseReady(describeReady(v as unknown as ReadySpec));
        const same = (a: object, b: Record<string, unknown>): boolean =>
          Object.entries(a).every(([k, x]) => b[k] === x);
        return typeof r !== 'string' && same(r, v) && same(v, r as Record<string, unknown>);
      } catch {
        return false;
      }
    },
    want: 'a readiness check',
  },
  schema: { type: 'string', pattern: '^(notify|tcp:.+|fd:[0-9]+)$' },
  complete: ['notify', 'tcp:', 'fd:'],
});

/** A signal by name or number (not 0). */
export const signal = (why: string): Kind<NodeJS.Signals> => ({
  value: 'NAME',
  parse: (g) => {
    const s = parseSignal(String(g));
    return s && s.number !== 0 ? ok(s.signal) : no(why);
  },
  recorded: { ok: (v) => typeof v === 'string' && parseSignal(v) !== null, want: 'a signal' },
  schema: { type: 'string' },
  complete: ['HUP', 'INT', 'QUIT', 'USR1', 'USR2', 'TERM', 'WINCH', 'CONT', 'STOP', 'KILL', 'ALRM'],
});

/** A stop schedule, start-stop-daemon's (schedule.ts). */
export const schedule = (): Kind<ReturnType<typeof parseSchedule>> => ({
  value: 'SCHEDULE',
  parse: (g) => {
    try {
      return ok(parseSchedule(String(g)));
    } catch (error) {
      return no((error as Error).message);
    }
  },
  recorded: { ok: Array.isArray, want: 'a stop schedule' },
  schema: { type: 'string' },
});
