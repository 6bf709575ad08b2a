/**
 * How `logs` ends: Ctrl-C (SIGTERM, SIGHUP) under -f, an error on our output, our reader gone;
 * then what was written flushed, and an output that could not be written said.
 */
import { EXIT } from '../errors/exit-codes.js';
import { terminalSafe } from '../service/format.js';
import { routeSignals } from '../sys/signals.js';
import type { Output } from './logs-output.js';

/** Where Ctrl-C leads: first to halting the outputs, then (following) to the end of the wait. */
export interface Interrupt {
  on(action: () => void): void;
}

/**
 * With -f, Ctrl-C (SIGTERM, SIGHUP) ends it quietly, exit 0 — also while it still prints the
 * last lines (main.ts caught these signals from its first moment; this is their route).
 */
export function interruptible(outputs: readonly Output[], following: boolean): Interrupt {
  let interrupt = (): void => {
    for (const o of outputs) o.halt();
  };
  if (following) {
    const end = (): void => interrupt();
    routeSignals({ SIGINT: end, SIGTERM: end, SIGHUP: end });
  }
  return {
    on: (action) => {
      interrupt = action;
    },
  };
}

/** Following until Ctrl-C, an error on one of `streams`, or the reader gone from an output. */
export function untilStopped(
  outputs: readonly Output[],
  streams: readonly NodeJS.WriteStream[],
  interrupt: Interrupt,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearInterval(reader);
      resolve();
    };
    interrupt.on(done);
    for (const out of streams) out.once('error', done);
    // The reader may leave while the logs are quiet, when there is nothing to write to notice it.
    const reader = setInterval(() => {
      if (outputs.some((o) => o.readerLeft())) done();
    }, 500);
  });
}

/**
 * The exit code, once what was written has reached the kernel: `code`, or 1 when an output could
 * not be written (said, as `label` words it).
 */
export async function flushed(
  outputs: readonly Output[],
  code: number,
  label: (error: string) => string,
): Promise<number> {
  await Promise.all(outputs.map((o) => o.flush()));
  const failed = outputs.find((o) => o.error);
  if (failed) {
    process.stderr.write(`daemonkit: ${terminalSafe(label(failed.error!))}\n`);
    return EXIT.GENERIC;
  }
  return code;
}
