/**
 * spec.json: how a service was started, so `restart` without a COMMAND starts it the same way.
 * Mode 0600: --env values may be secrets. The environment it started from is in env.json, or,
 * for a project's service, in spec.json itself (`env`: one file fewer made per start).
 */
import { closeSync, fstatSync, lstatSync, openSync, readFileSync, constants as C } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { refuseForeignFile } from '../files/owner.js';
import { DaemonError, errnoCode } from '../errors/errors.js';
import type { ServicePaths } from '../config/paths.js';
import type { CommandSpec, ProjectTag } from '../config/spec.js';
import type { RestartPolicy } from '../config/restart-policy.js';
import type { LogPolicy } from '../config/log-policy.js';
import type { ReadySpec } from '../config/ready-spec.js';
import { recordedSpecProblems } from '../config/spec-check.js';
import { envOf, envRecordPath, readEnvFile, writeEnvRecord } from '../config/env-record.js';
import { writeRecord, writeRecordLater } from '../files/record-file.js';
import { formatListen } from '../config/listen-addr.js';

export interface RecordedSpec {
  command: string[];
  chdir: string;
  umask: number;
  stdin: string;
  stdout: string | null;
  stderr: string | null;
  envOverrides: string[];
  graceMs: number;
  restart?: RestartPolicy;
  limits?: [string, number, number][];
  nice?: number;
  envFile?: string;
  clearEnv?: boolean;
  logs?: LogPolicy;
  ready?: ReadySpec;
  readyTimeoutMs?: number;
  /** --user and --group as given: looked up again by each `daemonkit restart`. */
  user?: string;
  group?: string;
  /** --listen as given (unix: paths absolute), and --listen-mode. */
  listen?: string[];
  listenMode?: number;
  /** Started by `daemonkit up`: its project, and what the file defined it as. */
  project?: ProjectTag;
  instances?: number;
  /** The environment it was started from (a project's service; others have env.json). */
  env?: Record<string, string>;
}

export function writeSpec(paths: ServicePaths, spec: CommandSpec): void {
  // The environment it starts from, beside it (env.json): a restart starts from it again.
  if (spec.baseEnv) writeEnvRecord(paths, spec.baseEnv);
  // Best effort: a restart without a COMMAND then says nothing was recorded.
  writeRecord(paths.specfile, JSON.stringify(recordOf(spec)), 0o600);
}

/** writeSpec in node's thread pool (files/record-file.ts), for a project's supervisor: what it
 *  writes is taken now, the environment in spec.json itself (each file made costs ~1 ms on a busy
 *  ext4: docs/decisions.md). An env.json an earlier start left would be read first: removed. */
export async function writeSpecLater(paths: ServicePaths, spec: CommandSpec): Promise<void> {
  const record = JSON.stringify({
    ...recordOf(spec),
    ...(spec.baseEnv ? { env: envOf(spec.baseEnv) } : {}),
  });
  await writeRecordLater(paths.specfile, record, 0o600);
  const stale = envRecordPath(paths);
  if (lstatOrNull(stale)?.isFile()) await unlink(stale).catch(() => undefined);
}

function lstatOrNull(path: string): ReturnType<typeof lstatSync> | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/** The environment a service was started from, for its restart: env.json's, else spec.json's
 *  `env` (a project's service's); null when none was recorded (started by an older version). */
export function readEnvRecord(paths: ServicePaths): Record<string, string> | null {
  return readEnvFile(paths) ?? readSpec(paths)?.env ?? null;
}

function recordOf(spec: CommandSpec): RecordedSpec {
  return {
    command: spec.command,
    chdir: spec.chdir,
    umask: spec.umask,
    stdin: spec.stdin,
    stdout: spec.stdout,
    stderr: spec.stderr,
    envOverrides: spec.envOverrides,
    graceMs: spec.graceMs,
    ...(spec.restart ? { restart: spec.restart } : {}),
    ...(spec.limits ? { limits: spec.limits } : {}),
    ...(spec.nice !== undefined ? { nice: spec.nice } : {}),
    ...(spec.envFile ? { envFile: spec.envFile } : {}),
    ...(spec.clearEnv ? { clearEnv: true } : {}),
    ...(spec.logs ? { logs: spec.logs } : {}),
    ...(spec.ready ? { ready: spec.ready, readyTimeoutMs: spec.readyTimeoutMs } : {}),
    ...(spec.runAs
      ? {
          user: spec.runAs.user,
          ...(spec.runAs.group !== undefined ? { group: spec.runAs.group } : {}),
        }
      : {}),
    ...(spec.listen?.length
      ? { listen: spec.listen.map(formatListen), listenMode: spec.listenMode }
      : {}),
    ...(spec.project ? { project: spec.project } : {}),
    ...(spec.instances !== undefined ? { instances: spec.instances } : {}),
  };
}

/** The recorded spec: what `restart` runs (as root, for root) and where `logs` reads. Like every
 *  file that says whom to act on, it must be the caller's or root's (owner.ts). */
export function readSpec(paths: ServicePaths): RecordedSpec | null {
  let text: string;
  try {
    const fd = openSync(paths.specfile, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
    try {
      refuseForeignFile('spec file', paths.specfile, fstatSync(fd).uid);
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if (error instanceof DaemonError) throw error;
    const code = errnoCode(error);
    if (code === 'EACCES' || code === 'EPERM')
      throw new DaemonError('NO_PERMISSION', `cannot read ${paths.specfile}: permission denied`, {
        path: paths.specfile,
      });
    if (code === 'ENOENT') return null;
    throw new DaemonError(
      'BAD_SPEC',
      `${paths.specfile} cannot be read (${code ?? (error as Error).message}): give the COMMAND again to restart`,
      { path: paths.specfile },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DaemonError(
      'BAD_SPEC',
      `${paths.specfile} is damaged (not JSON): give the COMMAND again to restart`,
      { path: paths.specfile },
    );
  }
  const problems = recordedSpecProblems(value);
  if (problems.length > 0) {
    throw new DaemonError(
      'BAD_SPEC',
      `${paths.specfile} is damaged (${problems.join('; ')}): give the COMMAND again to restart`,
      { path: paths.specfile, fields: problems },
    );
  }
  return value as RecordedSpec;
}
