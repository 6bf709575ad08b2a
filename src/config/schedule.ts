/**
 * Stop schedules in start-stop-daemon's syntax (pure): `TERM/10/KILL/5`, `INT/30/KILL/5/forever`
 * is not allowed (nothing after forever), `5` means `TERM/5/KILL/5`.
 */
import { constants } from 'node:os';

export type ScheduleStep =
  | { kind: 'signal'; signal: NodeJS.Signals; number: number }
  | { kind: 'wait'; ms: number }
  | { kind: 'goto'; index: number };

export type StopSchedule = readonly ScheduleStep[];

const SIGNALS = constants.signals as Record<string, number>;

/** `TERM`, `SIGTERM`, `-TERM`, `15`, `-15` → SIGTERM; null when unknown. */
export function parseSignal(text: string): { signal: NodeJS.Signals; number: number } | null {
  const bare = text.startsWith('-') ? text.slice(1) : text;
  if (/^[0-9]+$/.test(bare)) {
    const number = Number(bare);
    const name = Object.keys(SIGNALS).find((k) => SIGNALS[k] === number);
    return name ? { signal: name as NodeJS.Signals, number } : null;
  }
  const upper = bare.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const number = SIGNALS[name];
  return number === undefined ? null : { signal: name as NodeJS.Signals, number };
}

function signalStep(name: string): ScheduleStep {
  const s = parseSignal(name);
  if (!s) throw new Error(`unknown signal '${name}'`);
  return { kind: 'signal', ...s };
}

const SECONDS = /^(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)$/;

/** The default: TERM, wait `timeoutSeconds`, KILL, wait 5 s. */
export function defaultSchedule(timeoutSeconds = 10, signal = 'TERM'): StopSchedule {
  return [
    signalStep(signal),
    { kind: 'wait', ms: Math.round(timeoutSeconds * 1000) },
    signalStep('KILL'),
    { kind: 'wait', ms: 5000 },
  ];
}

/** Parse a `--retry` value. Throws an Error whose message names the bad item. */
export function parseSchedule(text: string): StopSchedule {
  if (SECONDS.test(text)) return defaultSchedule(Number(text));
  const items = text.split('/');
  if (items.length < 2)
    throw new Error(`'${text}' is neither a number of seconds nor a schedule like TERM/10/KILL/5`);
  const steps: ScheduleStep[] = [];
  let repeatAt = -1;
  for (const item of items) {
    if (item === '') throw new Error(`empty item in schedule '${text}'`);
    if (item === 'forever') {
      if (repeatAt >= 0) throw new Error(`'forever' appears more than once in '${text}'`);
      repeatAt = steps.length;
      continue;
    }
    if (SECONDS.test(item)) {
      steps.push({ kind: 'wait', ms: Math.round(Number(item) * 1000) });
      continue;
    }
    const s = parseSignal(item);
    if (!s) throw new Error(`unknown signal '${item}' in schedule '${text}'`);
    steps.push({ kind: 'signal', ...s });
  }
  if (repeatAt === steps.length)
    throw new Error(`'forever' is last in '${text}': nothing to repeat`);
  if (steps[steps.length - 1]?.kind !== 'wait')
    throw new Error(`schedule '${text}' must end with a number of seconds to wait`);
  // A bare number inside a schedule is a wait (start-stop-daemon's rule: -15 is the signal 15).
  if (!steps.some((s) => s.kind === 'signal'))
    throw new Error(
      `schedule '${text}' sends no signal (a number is a wait; a signal is TERM, SIGTERM, -TERM or -15)`,
    );
  if (repeatAt >= 0) steps.push({ kind: 'goto', index: repeatAt });
  return steps;
}

/** Total time the schedule may take, Infinity with `forever`. */
export function scheduleDurationMs(schedule: StopSchedule): number {
  if (schedule.some((s) => s.kind === 'goto')) return Infinity;
  return schedule.reduce((sum, s) => sum + (s.kind === 'wait' ? s.ms : 0), 0);
}

/** Back to start-stop-daemon syntax; `forever` goes where the loop returns to. */
export function formatSchedule(schedule: StopSchedule): string {
  const repeatAt = schedule.find((s) => s.kind === 'goto')?.index ?? -1;
  const items: string[] = [];
  schedule.forEach((s, i) => {
    if (i === repeatAt) items.push('forever');
    if (s.kind === 'signal') items.push(s.signal.slice(3));
    else if (s.kind === 'wait') items.push(String(s.ms / 1000));
  });
  return items.join('/');
}

/**
 * Walk a schedule: `send` each signal, `waitGone` each wait (true = everything exited).
 * Returns true once everything is gone, false when the schedule ran out.
 */
export async function runSchedule(
  schedule: StopSchedule,
  ops: { send(signal: NodeJS.Signals): void; waitGone(ms: number): Promise<boolean> },
): Promise<boolean> {
  for (let i = 0; i < schedule.length; i++) {
    const step = schedule[i]!;
    if (step.kind === 'goto') {
      i = step.index - 1;
      continue;
    }
    if (step.kind === 'signal') ops.send(step.signal);
    else if (await ops.waitGone(step.ms)) return true;
  }
  return false;
}
