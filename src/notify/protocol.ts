/**
 * The sd_notify(3) protocol, pure: a datagram is newline-separated KEY=VALUE lines. Parsing
 * follows systemd's service manager: READY=1, STOPPING=1, RELOADING=1 count when any line is
 * exactly that; a value field takes its first occurrence; an unparsable value is listed in
 * `invalid` and otherwise ignored; lines without '=' or with a key that is not upper-case
 * letters, digits and '_' are ignored.
 */
import { DaemonError } from '../errors/errors.js';

export interface NotifyMessage {
  ready: boolean; // READY=1
  stopping: boolean; // STOPPING=1
  reloading: boolean; // RELOADING=1
  status?: string; // STATUS=… ('' clears the status)
  errno?: number; // ERRNO=N (N ≥ 0)
  mainPid?: number; // MAINPID=N (N > 0)
  extendTimeoutUsec?: number; // EXTEND_TIMEOUT_USEC=N (above 2^53: Infinity)
  monotonicUsec?: number; // MONOTONIC_USEC=N (CLOCK_MONOTONIC, sent with RELOADING=1)
  watchdog?: 'ping' | 'trigger'; // WATCHDOG=1 | WATCHDOG=trigger
  watchdogUsec?: number; // WATCHDOG_USEC=N (a new watchdog timeout; above 2^53: Infinity)
  /** Every well-formed KEY=VALUE line, first occurrence of each key. */
  fields: Map<string, string>;
  /** Keys of known fields whose value could not be understood (e.g. ERRNO=abc). */
  invalid: string[];
}

/** What a sender passes: { READY: 1, STATUS: 'listening' } → "READY=1\nSTATUS=listening". */
export type NotifyFields = Record<string, string | number | bigint>;

const KEY = /^[A-Z_][A-Z0-9_]*$/;
const DIGITS = /^[0-9]+$/;
const MAX_INT32 = 2 ** 31 - 1;

function whole(text: string, max: number, huge: 'infinity' | 'invalid' = 'invalid'): number | null {
  if (!DIGITS.test(text)) return null;
  const n = Number(text);
  if (n <= max && Number.isSafeInteger(n)) return n;
  return huge === 'infinity' ? Number.POSITIVE_INFINITY : null;
}

export function parseNotify(input: string | Uint8Array): NotifyMessage {
  const text =
    typeof input === 'string'
      ? input
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  const lines = text.split('\n');
  const fields = new Map<string, string>();
  for (const line of lines) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    if (KEY.test(key) && !fields.has(key)) fields.set(key, line.slice(eq + 1));
  }
  const msg: NotifyMessage = {
    ready: lines.includes('READY=1'),
    stopping: lines.includes('STOPPING=1'),
    reloading: lines.includes('RELOADING=1'),
    fields,
    invalid: [],
  };
  const number = (key: string, max: number, huge?: 'infinity'): number | undefined => {
    const value = fields.get(key);
    if (value === undefined) return undefined;
    const n = whole(value, max, huge);
    if (n === null) msg.invalid.push(key);
    return n ?? undefined;
  };
  const status = fields.get('STATUS');
  if (status !== undefined) msg.status = status;
  const errno = number('ERRNO', MAX_INT32);
  if (errno !== undefined) msg.errno = errno;
  const mainPid = number('MAINPID', MAX_INT32);
  if (mainPid === 0) msg.invalid.push('MAINPID');
  else if (mainPid !== undefined) msg.mainPid = mainPid;
  const extend = number('EXTEND_TIMEOUT_USEC', Number.MAX_SAFE_INTEGER, 'infinity');
  if (extend !== undefined) msg.extendTimeoutUsec = extend;
  const monotonic = number('MONOTONIC_USEC', Number.MAX_SAFE_INTEGER);
  if (monotonic !== undefined) msg.monotonicUsec = monotonic;
  const watchdogUsec = number('WATCHDOG_USEC', Number.MAX_SAFE_INTEGER, 'infinity');
  if (watchdogUsec === 0) msg.invalid.push('WATCHDOG_USEC');
  else if (watchdogUsec !== undefined) msg.watchdogUsec = watchdogUsec;
  const watchdog = fields.get('WATCHDOG');
  if (watchdog === '1') msg.watchdog = 'ping';
  else if (watchdog === 'trigger') msg.watchdog = 'trigger';
  else if (watchdog !== undefined) msg.invalid.push('WATCHDOG');
  return msg;
}

/**
 * Fields → one datagram's text, in the order given. Keys are upper-case KEY names; values are
 * strings without newlines or NULs, or whole numbers ≥ 0. Every problem in one BAD_OPTION error.
 */
export function formatNotify(fields: NotifyFields): string {
  const problems: string[] = [];
  const lines: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (!KEY.test(key))
      problems.push(`invalid notify field name '${key}': use upper-case letters, digits and '_'`);
    const text = typeof value === 'string' ? value : String(value);
    if (
      typeof value === 'string'
        ? /[\n\0]/.test(value)
        : typeof value === 'number'
          ? !Number.isSafeInteger(value) || value < 0
          : value < 0n
    ) {
      problems.push(
        `invalid value for notify field ${key}: ${typeof value === 'string' ? 'no newlines or NUL characters' : 'a whole number, 0 or more'}`,
      );
    }
    lines.push(`${key}=${text}`);
  }
  if (lines.length === 0) problems.push('a notify message needs at least one field');
  if (problems.length > 0) throw new DaemonError('BAD_OPTION', problems.join('; '), { problems });
  return lines.join('\n');
}
