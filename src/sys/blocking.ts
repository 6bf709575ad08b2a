/**
 * Blocking the thread (a poll, a lock wait) with our signals still answered at once. The CLI
 * catches its signals from its first moment and acts on them from the event loop (signals.ts),
 * which does not turn while the thread is blocked: a Ctrl-C would wait for the wait.
 */
import { constants } from 'node:os';
import { signalsDefault, signalsRestore } from './native.js';
import { endsUs, OUR_SIGNALS } from './signals.js';

/**
 * Run `fn` with the signals that would end us anyway (caught, routed nowhere, no other listener)
 * at their default action meanwhile. One caught before is acted on after (native/signals.c).
 */
export function defaultSignalsDuring<T>(fn: () => T): T {
  const numbers = OUR_SIGNALS.filter(endsUs).map((s) => constants.signals[s]);
  if (numbers.length === 0) return fn();
  signalsDefault(numbers);
  try {
    return fn();
  } finally {
    signalsRestore();
  }
}
