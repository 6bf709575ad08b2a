/**
 * The supervisor's own lines in the service's log (pure, table-tested), as journald keeps
 * systemd's beside a unit's output: each start, exit, restart, stop and giving up, marked
 * `daemonkit: `. From a transition of the machine (machine.ts) and what caused it.
 */
import { exitInShort, formatDuration } from '../service/format.js';
import { commandLine } from '../service/format-details.js';
import type { Effect, MachineEvent, MachineState } from './machine.js';
import { NOT_EXECUTED } from './machine-exit.js';
import type { RestartPolicy } from '../config/restart-policy.js';

/** What marks a line as the supervisor's, not the COMMAND's. */
export const EVENT_PREFIX = 'daemonkit: ';

export interface EventContext {
  policy: RestartPolicy;
  /** Who asked for the stop under way: `daemonkit stop`, `daemonkit restart`, a signal. */
  stopBy: string;
  /** --ready as given (`tcp:3000`), if the start waits for readiness. */
  ready: string | null;
}

/** A restart delay as given: `200ms`, `1.5s`, `30s`. */
const delay = (ms: number): string => (ms < 1000 ? `${ms}ms` : formatDuration(ms));

/** The line for a COMMAND just spawned (its `restart`-th restart; 0: the first start). */
export function startedLine(
  argv: readonly string[],
  pid: number,
  restart: number,
  rolling = false,
): string {
  const what = rolling ? 'rolling restart: ' : restart > 0 ? `restart ${restart}: ` : '';
  return `${EVENT_PREFIX}${what}started ${commandLine(argv)}, pid ${pid}`;
}

/** The line a transition puts in the log, or null when it says nothing worth a line. */
export function eventLine(
  before: MachineState,
  event: MachineEvent,
  after: MachineState,
  effects: readonly Effect[],
  ctx: EventContext,
): string | null {
  const text = describe(before, event, after, effects, ctx);
  return text === null ? null : `${EVENT_PREFIX}${text}`;
}

/** The lines a transition puts in the log: a restart that cannot exec says why (`cannot
 *  execute …`), then its exit as any other; a first start's failure is the launcher's to tell. */
export function eventLines(
  before: MachineState,
  event: MachineEvent,
  after: MachineState,
  effects: readonly Effect[],
  ctx: EventContext,
): string[] {
  const line = eventLine(before, event, after, effects, ctx);
  const why =
    event.type === 'spawn-failed' && before.announced ? [EVENT_PREFIX + event.reason] : [];
  return line === null ? why : [...why, line];
}

function describe(
  before: MachineState,
  event: MachineEvent,
  after: MachineState,
  effects: readonly Effect[],
  ctx: EventContext,
): string | null {
  if (effects.some((e) => e.type === 'roll-failed') && event.type !== 'stop')
    return `rolling restart failed: ${rollFailure(effects)}${before.phase === 'rolling' ? '; the old COMMAND goes on' : ''}`;
  if (before.phase === after.phase && event.type !== 'not-ready') return null; // nothing happened
  switch (event.type) {
    case 'roll':
      return after.phase === 'starting' && before.phase === 'starting'
        ? 'rolling restart: once this COMMAND is ready'
        : null; // the next COMMAND's start line says it
    case 'next-started':
      return 'rolling restart: the new COMMAND is ready; stopping the old one';
    case 'next-failed':
      return null; // said above
    case 'started':
      // else: its start line said it
      return ctx.ready !== null ? `ready (--ready ${ctx.ready})` : null;
    case 'not-ready':
      if (after.phase === 'stopping') return `not ready: ${event.reason}; stopping it`;
      return effects.some((e) => e.type === 'kill-command')
        ? `not ready: ${event.reason}; ending it`
        : null;
    case 'stop':
      if (after.phase === 'stopped') return `stopped by ${ctx.stopBy} (while waiting to restart)`;
      return `stopping, asked by ${ctx.stopBy}`;
    case 'stop-ran-out':
      return "the stop's schedule ran out; the COMMAND goes on running";
    case 'timer':
      return null; // the spawn says it (startedLine)
    case 'announced':
      return null; // the launcher's start line said it
    case 'spawn-failed':
      return before.announced ? exited(before, NOT_EXECUTED, after, effects, ctx) : null;
    case 'exited':
      if (before.phase === 'rolling')
        return `the old COMMAND ${exitInShort(event.exit)} during the rolling restart; the new one takes over`;
      return exited(before, event.exit, after, effects, ctx);
  }
}

function rollFailure(effects: readonly Effect[]): string {
  const failed = effects.find(
    (e): e is Extract<Effect, { type: 'roll-failed' }> => e.type === 'roll-failed',
  );
  return failed?.reason ?? '';
}

function exited(
  before: MachineState,
  exit: Parameters<typeof exitInShort>[0],
  after: MachineState,
  effects: readonly Effect[],
  ctx: EventContext,
): string {
  const how = exitInShort(exit);
  switch (after.phase) {
    case 'backoff': {
      const timer = effects.find(
        (e): e is Extract<Effect, { type: 'set-timer' }> => e.type === 'set-timer',
      );
      return `${how}; restarting in ${delay(timer?.ms ?? 0)}`;
    }
    case 'stopped':
      return `stopped by ${ctx.stopBy} (${how})`;
    case 'failed':
      if (!before.announced)
        return `${how}; the start failed${before.failure !== null ? `: ${before.failure}` : ''}`;
      if (after.failure?.startsWith('crash loop'))
        return `${how}; giving up: ${after.failure.replace(/; last .*$/, '')}`;
      return ctx.policy.restart !== 'no'
        ? `${how}; not restarted (--restart ${ctx.policy.restart})`
        : how;
    default: // exited: a clean exit not restarted (or a one-shot under `run`)
      return before.announced && ctx.policy.restart !== 'no'
        ? `${how}; not restarted (--restart ${ctx.policy.restart})`
        : how;
  }
}
