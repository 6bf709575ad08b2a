/**
 * What the launcher (or `run`) is told when a start does not complete: one error, with what
 * shows why (the COMMAND's last stderr lines, its exit, its log file).
 */
import { DaemonError } from '../errors/errors.js';
import type { CaptureChannel } from '../logs/write/capture.js';
import type { CommandSpec } from '../config/spec.js';
import type { ExitRecord } from '../service/state.js';

/** The COMMAND ended, or never became ready, before its start completed. `whole`: the reason is
 *  the full message (not ready: why), else an exit within the grace period or before ready. */
export function startFailed(
  spec: CommandSpec,
  reason: string,
  whole: boolean,
  capture: CaptureChannel | undefined,
  exit: ExitRecord | null,
): DaemonError {
  const message = whole
    ? `${spec.command[0]}: ${reason}`
    : `${spec.command[0]} ${reason} ${spec.ready ? 'before it was ready' : `within the ${spec.graceMs} ms grace period`}`;
  return new DaemonError('START_FAILED', message, {
    stderrTail: capture?.stderrTail() ?? [],
    exit,
    logFile: spec.stderr,
  });
}

/** A stop (or a restart's stop) came before the start completed. */
export function stoppedBeforeStart(display: string, by: 'stop' | 'restart'): DaemonError {
  return new DaemonError(
    'START_FAILED',
    `${display} was stopped (by a ${by}) before its start completed`,
    { stoppedBy: by },
  );
}
