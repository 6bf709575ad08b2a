/**
 * `daemonkit export systemd` (pure): the same service definition as a systemd unit, so what
 * runs under `daemonkit start` on a laptop runs under systemd on a server.
 */
import { describeReady } from '../config/ready-spec.js';
import type { RestartPolicy } from '../config/restart-policy.js';
import type { StopSchedule } from '../config/schedule.js';
import type { CommandSpec } from '../config/spec.js';
import { LIMIT_DIRECTIVES } from '../config/table/index.js';
import { restartSteps, stopMapping } from './systemd-options.js';
import { socketUnits } from './systemd-socket.js';
import { quoteAssignment, quoteWord, specifierValue } from './systemd-quote.js';

export { SYSTEMD, unitNotes } from './systemd-options.js';
export { quoteAssignment, quoteWord, specifierValue } from './systemd-quote.js';
export { socketUnits, type UnitFile } from './systemd-socket.js';

export interface UnitOptions {
  name: string;
  spec: CommandSpec;
  /** The --env values only: a unit must not freeze the caller's whole environment. */
  env: [string, string][];
  schedule: StopSchedule;
  userUnit: boolean;
  /** --user and --group as given (names or ids): User=, Group=. */
  user?: string;
  group?: string;
  /** --pidfile, when it names the service: a unit has none (said by unitNotes). */
  pidfile?: string;
}

const seconds = (ms: number): string => `${Math.round(ms) / 1000}s`;

/** [Unit]'s start limit for a restart policy (none when it does not restart). */
export function startLimit(r: RestartPolicy | undefined): string[] {
  if (!r || r.restart === 'no') return [];
  // Never give up: systemd's StartLimitIntervalSec=0 turns its start rate limit off.
  if (r.maxRestarts === null) return ['StartLimitIntervalSec=0'];
  return [`StartLimitIntervalSec=${seconds(r.windowMs)}`, `StartLimitBurst=${r.maxRestarts + 1}`];
}

/** [Service]'s Restart= and its delays. */
export function restartLines(r: RestartPolicy | undefined): string[] {
  const out = [`Restart=${r?.restart ?? 'no'}`];
  if (r && r.restart !== 'no') {
    out.push(`RestartSec=${seconds(r.delayMs)}`);
    // The doubling delay (systemd ≥ 254; older versions warn and keep RestartSec=).
    const steps = restartSteps(r.delayMs, r.maxDelayMs);
    if (steps !== null)
      out.push(`RestartSteps=${steps}`, `RestartMaxDelaySec=${seconds(r.maxDelayMs)}`);
  }
  return out;
}

/** systemd sends KillSignal=, waits TimeoutStopSec=, then FinalKillSignal= (SIGKILL unless
 *  told). */
export function stopLines(schedule: StopSchedule): string[] {
  const stop = stopMapping(schedule);
  const out = [`KillSignal=${stop.first}`, `TimeoutStopSec=${seconds(stop.waitMs)}`];
  if (stop.second === null) out.push('SendSIGKILL=no');
  else if (stop.second !== 'SIGKILL') out.push(`FinalKillSignal=${stop.second}`);
  return out;
}

/**
 * How systemd starts it and knows it started. --ready notify: the COMMAND speaks sd_notify, so
 * systemd can wait for it itself (Type=notify). tcp: and fd: readiness have no systemd
 * equivalent: Type=exec, and the unit says so.
 */
function startLines(spec: CommandSpec): string[] {
  const notify = spec.ready?.kind === 'notify';
  const service = [
    notify ? 'Type=notify' : 'Type=exec',
    ...(notify ? ['NotifyAccess=all'] : []),
    `ExecStart=${spec.command.map(quoteWord).join(' ')}`,
    'ExecReload=/bin/kill -HUP $MAINPID',
  ];
  if (spec.ready && !notify)
    service.unshift(
      `# --ready ${describeReady(spec.ready)} has no systemd equivalent: systemd considers it started once exec'd`,
    );
  if (notify && spec.readyTimeoutMs) service.push(`TimeoutStartSec=${spec.readyTimeoutMs / 1000}`);
  return service;
}

/** Who it runs as, where, with what umask. */
function identityLines(spec: CommandSpec, user?: string, group?: string): string[] {
  const service: string[] = [];
  if (user !== undefined) service.push(`User=${specifierValue('--user', user)}`);
  if (group !== undefined) service.push(`Group=${specifierValue('--group', group)}`);
  service.push(
    `WorkingDirectory=${specifierValue('--chdir', spec.chdir)}`,
    `UMask=${spec.umask.toString(8).padStart(4, '0')}`,
  );
  return service;
}

/** Its environment and its standard input, output and error. */
function ioLines(spec: CommandSpec, env: readonly [string, string][]): string[] {
  const service: string[] = [];
  for (const [k, v] of env) service.push(`Environment=${quoteAssignment(k, v)}`);
  if (spec.envFile) service.push(`EnvironmentFile=${specifierValue('--env-file', spec.envFile)}`);
  if (spec.stdin !== '/dev/null')
    service.push(`StandardInput=file:${specifierValue('--stdin', spec.stdin)}`);
  if (spec.stdout) service.push(`StandardOutput=append:${specifierValue('--stdout', spec.stdout)}`);
  // Unset, StandardError= inherits StandardOutput= (one file, as daemonkit does).
  if (spec.stderr && spec.stderr !== spec.stdout)
    service.push(`StandardError=append:${specifierValue('--stderr', spec.stderr)}`);
  return service;
}

/** Its resource limits and niceness. */
function limitLines(spec: CommandSpec): string[] {
  const service: string[] = [];
  for (const [res, soft, hard] of spec.limits ?? []) {
    const v = (n: number): string => (n < 0 ? 'infinity' : String(n));
    service.push(`${LIMIT_DIRECTIVES[res]}=${soft === hard ? v(soft) : `${v(soft)}:${v(hard)}`}`);
  }
  if (spec.nice !== undefined) service.push(`Nice=${spec.nice}`);
  return service;
}

export function systemdUnit(u: UnitOptions): string {
  const { name, spec, env, schedule, userUnit, user, group } = u;
  const r = spec.restart;
  const unit = [`Description=${name} (daemonkit)`];
  if (!userUnit) unit.push('After=network.target');
  unit.push(...startLimit(r));

  const service = [
    ...startLines(spec),
    ...identityLines(spec, user, group),
    ...ioLines(spec, env),
    ...limitLines(spec),
  ];
  // --listen: the socket units (systemd-socket.ts) pass their fds to the COMMAND, in their order.
  const sockets = socketUnits(u);
  if (sockets.length > 0) service.push(`Sockets=${sockets.map((s) => s.file).join(' ')}`);
  service.push(...restartLines(r), 'KillMode=control-group', ...stopLines(schedule));

  const install = [`WantedBy=${userUnit ? 'default.target' : 'multi-user.target'}`];
  return `# Generated by daemonkit export systemd\n[Unit]\n${unit.join('\n')}\n\n[Service]\n${service.join('\n')}\n\n[Install]\n${install.join('\n')}\n`;
}
