/**
 * What each option of `export systemd` becomes in a unit (systemd.service(5), systemd.exec(5),
 * systemd.kill(5), systemd.unit(5)), or why the unit cannot carry it: ONE table keyed by the
 * CLI option (the systemd column of the option table, issue 15; src/cli/flags.ts has the rest).
 * A test checks it names exactly the options `export` takes, and docs/cli.md shows it.
 */
import { DEFAULT_GRACE_MS, DEFAULT_READY_TIMEOUT_MS } from '../config/options.js';
import { describeReady } from '../config/ready-spec.js';
import { formatSchedule, type StopSchedule } from '../config/schedule.js';
import type { UnitOptions } from './systemd.js';

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

export const SYSTEMD: Readonly<Record<string, SystemdMapping>> = {
  name: { unit: 'Description=NAME (daemonkit); save the unit as NAME.service' },
  pidfile: {
    unit: '',
    lost: (u) =>
      u.pidfile !== undefined
        ? 'systemd keeps no pidfile: it tracks the main process itself (systemctl show -p MainPID)'
        : null,
  },
  quiet: { unit: '' },
  chdir: { unit: 'WorkingDirectory=' },
  umask: { unit: 'UMask=' },
  stdin: { unit: 'StandardInput=file:FILE' },
  stdout: { unit: 'StandardOutput=append:FILE (none: the journal)' },
  stderr: { unit: 'StandardError=append:FILE (none: with the stdout)' },
  'log-timestamps': {
    unit: '',
    lost: (u) =>
      !u.spec.logs?.timestamps
        ? null
        : u.spec.stdout
          ? 'systemd writes the output to an append: file as it comes (leave --stdout out: the journal stamps each line)'
          : 'the journal stamps each line itself (journalctl -o short-iso-precise)',
  },
  'log-max-size': { unit: '', lost: (u) => (rotates(u) ? rotation(u) : null) },
  'log-keep': {
    unit: '',
    lost: (u) =>
      rotates(u)
        ? u.spec.stdout
          ? "logrotate's rotate N keeps rotated files"
          : 'the journal keeps files by SystemMaxFiles= in journald.conf'
        : null,
  },
  'log-compress': {
    unit: '',
    lost: (u) =>
      u.spec.logs?.compress
        ? u.spec.stdout
          ? "logrotate's compress does that"
          : 'the journal compresses by itself (Compress= in journald.conf)'
        : null,
  },
  env: { unit: 'Environment=' },
  'env-file': {
    unit: 'EnvironmentFile= (read by systemd: an `export KEY=` line is ignored there)',
  },
  'clear-env': {
    unit: "always so: a unit gets only Environment=, EnvironmentFile= and systemd's own variables",
  },
  grace: {
    unit: '',
    lost: (u) =>
      u.spec.ready === undefined && u.spec.graceMs > 0 && u.spec.graceMs !== DEFAULT_GRACE_MS
        ? "systemd has no grace period: with Type=exec the start counts once the COMMAND is exec'd"
        : null,
  },
  ready: {
    unit: 'notify: Type=notify, NotifyAccess=all (else Type=exec)',
    lost: (u) =>
      notNotify(u)
        ? `systemd cannot wait for ${describeReady(u.spec.ready!)}: Type=exec counts the start once the COMMAND is exec'd`
        : null,
  },
  'ready-timeout': {
    unit: 'TimeoutStartSec= (with --ready notify)',
    lost: (u) =>
      notNotify(u) && u.spec.readyTimeoutMs !== DEFAULT_READY_TIMEOUT_MS
        ? 'it goes with --ready, which the unit cannot carry'
        : null,
  },
  limit: { unit: 'LimitNOFILE=, LimitCORE=, … (one per --limit)' },
  nice: { unit: 'Nice=' },
  user: { unit: 'User= (a bare --user: a user unit, WantedBy=default.target)' },
  group: { unit: 'Group=' },
  listen: {
    unit: 'a socket unit: ListenStream=, FileDescriptorName= (one unit per name), Service=; Sockets= in the service',
  },
  'listen-mode': { unit: 'SocketMode= (unix: sockets; SocketUser=, SocketGroup= with --user)' },
  output: { unit: 'the files NAME.service (and the socket units) in DIR, not stdout' },
  restart: { unit: 'Restart=' },
  'restart-delay': { unit: 'RestartSec=' },
  'restart-max-delay': {
    unit: 'RestartSteps=, RestartMaxDelaySec= (systemd ≥ 254; older ones ignore both, with a warning, and wait RestartSec= each time)',
  },
  'min-uptime': {
    unit: '',
    lost: (u) =>
      restarts(u) && restartSteps(u.spec.restart!.delayMs, u.spec.restart!.maxDelayMs) !== null
        ? 'systemd resets its growing restart delay only when the unit is started by hand, never after a long run'
        : null,
  },
  'max-restarts': { unit: 'StartLimitBurst= (N+1 starts); infinity: StartLimitIntervalSec=0' },
  'restart-window': { unit: 'StartLimitIntervalSec=' },
  timeout: { unit: 'KillSignal=SIGTERM, TimeoutStopSec=, then SIGKILL' },
  retry: {
    unit: 'KillSignal= (its first signal), TimeoutStopSec= (the wait after it), FinalKillSignal= (its second signal; none: SendSIGKILL=no)',
    lost: (u) => {
      const m = stopMapping(u.schedule);
      return m.exact
        ? null
        : `systemd sends one signal, waits, and sends one more: ${formatSchedule(u.schedule)} is cut to ${[m.first.slice(3), m.waitMs / 1000, ...(m.second ? [m.second.slice(3)] : [])].join('/')}`;
    },
  },
};

/** One line per option the unit does not carry: "--NAME is not carried over: why". */
export function unitNotes(u: UnitOptions): string[] {
  const notes: string[] = [];
  for (const [name, m] of Object.entries(SYSTEMD)) {
    const why = m.lost?.(u);
    if (why) notes.push(`--${name} is not carried over: ${why}`);
  }
  return notes;
}
