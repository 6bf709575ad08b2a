/**
 * What the native side could not take (native/limits.h, shared through src/sys/limits.ts): said
 * before a start, one line each, instead of a start that fails half-way or a path cut short.
 */
import { DaemonError } from '../errors/errors.js';
import { MAX_ARG_STRLEN, MAX_LIMITS, PATH_MAX } from '../sys/limits.js';
import { printable } from './paths.js';

/** A long value in a message: its start, and how long it is. */
const cut = (text: string): string =>
  text.length > 64
    ? `${printable(text.slice(0, 60))}… (${Buffer.byteLength(text)} bytes)`
    : printable(text);

/** A string C takes: shorter than `max` bytes with its NUL, and none inside. */
function stringProblem(what: string, text: string, max: number): DaemonError | null {
  if (Buffer.byteLength(text) >= max)
    return new DaemonError(
      'BAD_OPTION',
      `${what} ${cut(text)} is too long: at most ${max - 1} bytes`,
      {
        path: text,
      },
    );
  // C would take a NUL for the string's end: another file, argument or value (spawn.c refuses it too).
  if (text.includes('\0'))
    return new DaemonError('BAD_OPTION', `${what} ${cut(text)} holds a NUL byte`, { path: text });
  return null;
}

/** An environment variable C takes as one NAME=VALUE string. */
function envProblem(k: string, v: string): DaemonError | null {
  if (Buffer.byteLength(k) + 1 + Buffer.byteLength(v) >= MAX_ARG_STRLEN)
    return new DaemonError(
      'BAD_OPTION',
      `the environment variable ${cut(k)} is too long: at most ${MAX_ARG_STRLEN - 1} bytes with its name`,
      { name: k },
    );
  if (k.includes('\0') || v.includes('\0'))
    return new DaemonError('BAD_OPTION', `the environment variable ${cut(k)} holds a NUL byte`, {
      name: k,
    });
  return null;
}

export function sizeProblems(
  file: string | null,
  args: readonly string[],
  env: Record<string, string>,
  chdir: string,
  limits: readonly unknown[],
): DaemonError[] {
  const found: (DaemonError | null)[] = [];
  if (file !== null) found.push(stringProblem('the COMMAND', file, PATH_MAX));
  found.push(stringProblem('--chdir', chdir, PATH_MAX));
  for (const [i, arg] of args.entries())
    found.push(stringProblem(`argument ${i + 1} of the COMMAND,`, arg, MAX_ARG_STRLEN));
  for (const [k, v] of Object.entries(env)) found.push(envProblem(k, v));
  if (limits.length > MAX_LIMITS)
    found.push(
      new DaemonError(
        'BAD_OPTION',
        `too many --limit values (${limits.length}): at most ${MAX_LIMITS}`,
      ),
    );
  return found.filter((p): p is DaemonError => p !== null);
}
