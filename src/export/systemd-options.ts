/**
 * What each option of `export systemd` becomes in a unit (systemd.service(5), systemd.exec(5),
 * systemd.kill(5), systemd.unit(5)), or why the unit cannot carry it: the directive is the
 * option's row's (config/table/, its `systemd`); here, for the options a unit loses, when and why
 * (it depends on the values). A test checks every option `export` takes has a directive or a
 * loss, and docs/cli.md shows them.
 */
import { DEFAULT_GRACE_MS, DEFAULT_READY_TIMEOUT_MS } from '../config/options.js';
import { describeReady } from '../config/ready-spec.js';
import { formatSchedule, type StopSchedule } from '../config/schedule.js';
import type { UnitOptions } from './systemd.js';
import { optionsOf } from '../config/table/index.js';

export interface SystemdMapping {
  /** The directives it becomes ('' when it is not part of a unit). */
  unit: string;
  /** Why this unit does not do what the option asks; null when it does (or the option is
   *  unused). */
  lost?: (u: UnitOptions) => string | null;
}

/** daemonkit doubles the restart delay up to its maximum; systemd ≥ 254 grows it geometrically
 *  over RestartSteps= steps: as many steps as doublings, so both reach the maximum together. */
export function restartSteps(delayMs: number, maxDelayMs: number): number | null {
  return delayMs > 0 && maxDelayMs > delayMs ? Math.ceil(Math.log2(maxDelayMs / delayMs)) : null;
}

/** The part of a stop schedule a unit carries: KillSignal=, TimeoutStopSec=, then one more
 *  signal. */
export function stopMapping(schedule: StopSchedule): {
  first: string;
  waitMs: number;
  second: string | null;
  exact: boolean;
} {
  const [a, b, c, d, ...rest] = schedule;
  const first = a?.kind === 'signal' ? a.signal : 'SIGTERM';
  const waitMs = b?.kind === 'wait' ? b.ms : (schedule.find((s) => s.kind === 'wait')?.ms ?? 0);
  const second = c?.kind === 'signal' ? c.signal : null;
  const exact =
    a?.kind === 'signal' &&
    b?.kind === 'wait' &&
    (c === undefined || (c.kind === 'signal' && d?.kind === 'wait' && rest.length === 0));
  return { first, waitMs, second, exact };
}

const restarts = (u: UnitOptions): boolean =>
  u.spec.restart !== undefined && u.spec.restart.restart !== 'no';
const rotates = (u: UnitOptions): boolean => (u.spec.logs?.maxSize ?? null) !== null;
const notNotify = (u: UnitOptions): boolean =>
  u.spec.ready !== undefined && u.spec.ready.kind !== 'notify';
/** Where the output goes decides what rotation and timestamps mean there. */
const rotation = (u: UnitOptions): string =>
  u.spec.stdout
    ? 'systemd never rotates an append: file (use logrotate with copytruncate, or leave --stdout out for the journal)'
    : 'the journal rotates by its own limits (SystemMaxUse=, SystemMaxFileSize= in journald.conf)';

/** When and why a unit loses an option (null: it does not, for these values). */
type Loss = (u: UnitOptions) => string | null;

const LOSSES: Readonly<Record<string, Loss>> = {
  pidfile: (u) =>
    u.pidfile !== undefined
      ? 'systemd keeps no pidfile: it tracks the main process itself (systemctl show -p MainPID)'
      : null,
  'log-timestamps': (u) =>
    !u.spec.logs?.timestamps
      ? null
      : u.spec.stdout
        ? 'systemd writes the output to an append: file as it comes (leave --stdout out: the journal stamps each line)'
        : 'the journal stamps each line itself (journalctl -o short-iso-precise)',
  'log-max-size': (u) => (rotates(u) ? rotation(u) : null),
  'log-keep': (u) =>
    rotates(u)
      ? u.spec.stdout
        ? "logrotate's rotate N keeps rotated files"
        : 'the journal keeps files by SystemMaxFiles= in journald.conf'
      : null,
  'log-compress': (u) =>
    u.spec.logs?.compress
      ? u.spec.stdout
        ? "logrotate's compress does that"
        : 'the journal compresses by itself (Compress= in journald.conf)'
      : null,
  grace: (u) =>
    u.spec.ready === undefined && u.spec.graceMs > 0 && u.spec.graceMs !== DEFAULT_GRACE_MS
      ? "systemd has no grace period: with Type=exec the start counts once the COMMAND is exec'd"
      : null,
  ready: (u) =>
    notNotify(u)
      ? `systemd cannot wait for ${describeReady(u.spec.ready!)}: Type=exec counts the start once the COMMAND is exec'd`
      : null,
  'ready-timeout': (u) =>
    notNotify(u) && u.spec.readyTimeoutMs !== DEFAULT_READY_TIMEOUT_MS
      ? 'it goes with --ready, which the unit cannot carry'
      : null,
  'min-uptime': (u) =>
    restarts(u) && restartSteps(u.spec.restart!.delayMs, u.spec.restart!.maxDelayMs) !== null
      ? 'systemd resets its growing restart delay only when the unit is started by hand, never after a long run'
      : null,
  instances: (u) =>
    (u.spec.instances ?? 1) > 1
      ? `a unit runs one COMMAND: run ${u.spec.instances} units of a template (name@.service, %i for DAEMONKIT_INSTANCE) sharing the .socket unit`
      : null,
  retry: (u) => {
    const m = stopMapping(u.schedule);
    return m.exact
      ? null
      : `systemd sends one signal, waits, and sends one more: ${formatSchedule(u.schedule)} is cut to ${[m.first.slice(3), m.waitMs / 1000, ...(m.second ? [m.second.slice(3)] : [])].join('/')}`;
  },
};

/** Every option `export` takes: its directive (its row's), and when the unit loses it. */
export const SYSTEMD: Readonly<Record<string, SystemdMapping>> = Object.fromEntries(
  optionsOf('export').map((row) => [
    row.name,
    { unit: row.systemd ?? '', ...(LOSSES[row.name] ? { lost: LOSSES[row.name] } : {}) },
  ]),
);

/** One line per option the unit does not carry: "--NAME is not carried over: why". */
export function unitNotes(u: UnitOptions): string[] {
  const notes: string[] = [];
  for (const [name, m] of Object.entries(SYSTEMD)) {
    const why = m.lost?.(u);
    if (why) notes.push(`--${name} is not carried over: ${why}`);
  }
  return notes;
}
