/**
 * env.json: the environment a service was started from, recorded at `start` (mode 0600: it may
 * hold secrets), so that a `restart` from cron, sudo or `env -i` starts it with the same one.
 * Recorded is the caller's environment as the start took it (with --clear-env only its PATH),
 * before --user, --env-file and --env are applied: those are applied again at each restart.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonError, errnoCode } from '../errors/errors.js';
import type { ServicePaths } from './paths.js';
import { writeRecord } from '../files/record-file.js';

export const ENV_RECORD = 'env.json';

export const envRecordPath = (paths: ServicePaths): string => join(paths.dir, ENV_RECORD);

/** Only the variables that are set: a record of strings. */
export function envOf(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/** What env.json holds. */
export const envRecordText = (env: NodeJS.ProcessEnv): string =>
  JSON.stringify({ env: envOf(env) });

/** Written to a temp name and renamed; best effort (a restart then says none was recorded). */
export function writeEnvRecord(paths: ServicePaths, env: NodeJS.ProcessEnv): void {
  writeRecord(envRecordPath(paths), envRecordText(env), 0o600);
}

/** env.json's environment; null when there is none (service/spec-file.ts readEnvRecord also
 *  looks in spec.json, where a project's service keeps it). */
export function readEnvFile(paths: ServicePaths): Record<string, string> | null {
  const file = envRecordPath(paths);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return null;
    if (code === 'EACCES' || code === 'EPERM')
      throw new DaemonError('NO_PERMISSION', `cannot read ${file}: permission denied`, {
        path: file,
      });
    throw new DaemonError(
      'BAD_SPEC',
      `${file} cannot be read (${code ?? (error as Error).message}): restart with --update-env (the library: updateEnv: true) to start from the current environment`,
      { path: file },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = null;
  }
  const env = (value as { env?: unknown } | null)?.env;
  if (
    typeof env !== 'object' ||
    env === null ||
    Array.isArray(env) ||
    !Object.values(env).every((v) => typeof v === 'string')
  ) {
    throw new DaemonError(
      'BAD_SPEC',
      `${file} is damaged (want {"env": {NAME: "value", …}}): restart with --update-env (the library: updateEnv: true) to start from the current environment`,
      { path: file },
    );
  }
  return env as Record<string, string>;
}
