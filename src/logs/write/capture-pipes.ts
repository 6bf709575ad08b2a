/**
 * The pipes between a COMMAND and the supervisor: which streams need one (a file to write, or
 * lines to stamp or mark), made at the size of one pump's read, and each instance's own pair
 * (`--instances`). Apart from the capture because a launcher (ops/start-fds.ts) makes them too,
 * before any capture exists.
 */
import { closeSync } from 'node:fs';
import type { CommandSpec } from '../../config/spec.js';
import { DEFAULT_LOG_POLICY, type LogPolicy } from '../../config/log-policy.js';
import { makePipe, setCloexec } from '../../sys/native.js';
import { READ_SIZE } from './pump.js';

/** Read and write ends, per stream; null: the COMMAND writes straight to our own fd. */
export interface CapturePipes {
  stdout: [number, number] | null;
  stderr: [number, number] | null;
}

export function logPolicy(spec: CommandSpec): LogPolicy {
  return spec.logs ?? DEFAULT_LOG_POLICY;
}

/** The pipes a COMMAND needs: one per stream we must see (a file, or timestamps or a prefix to
 *  add: `prefixed`; several instances: each line is marked with its instance). */
export function createPipes(spec: CommandSpec, prefixed = false): CapturePipes {
  const want = (target: string | null): boolean =>
    target !== null || prefixed || logPolicy(spec).timestamps || (spec.instances ?? 1) > 1;
  return {
    stdout: want(spec.stdout) ? makePipe(READ_SIZE) : null,
    stderr: want(spec.stderr) ? makePipe(READ_SIZE) : null,
  };
}

export function closePipes(pipes: CapturePipes): void {
  for (const pair of [pipes.stdout, pipes.stderr]) for (const fd of pair ?? []) closeSync(fd);
}

/** Another instance's pipes, for the streams the first one has (LogCapture.channel). */
export function instancePipes(like: CapturePipes): CapturePipes {
  const pipe = (pair: [number, number] | null): [number, number] | null => {
    if (!pair) return null;
    const made = makePipe(READ_SIZE);
    for (const fd of made) setCloexec(fd);
    return made;
  };
  return { stdout: pipe(like.stdout), stderr: pipe(like.stderr) };
}
