/**
 * The services of a project's shared supervisor: one runService each (the machine, policy, logs,
 * readiness and stop schedule of a standalone service), each with its own lock, state and log
 * files. Nothing one service does reaches another: a request names its service, and the process's
 * own signals mean the project as a whole (a stop of all, in reverse dependency order).
 */
import { closeSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonError, isDaemonError } from '../errors/errors.js';
import type { ServicePaths } from '../config/paths.js';
import { defaultSchedule, type StopSchedule } from '../config/schedule.js';
import type { CommandSpec } from '../config/spec.js';
import { acquirePidLock } from '../service/pidfile.js';
import { describeOrphan, findOrphan, stopOrphan } from '../service/orphan.js';
import { readState, removeDeadKeptState } from '../service/state.js';
import { writeSpecLater } from '../service/spec-file.js';
import { removeLeftSocketDir } from '../notify/socket-dir.js';
import { openAppend } from '../spawn/launch.js';
import { collectGarbageWhenQuiet } from './gc.js';
import { runService, type ServiceEvent, type ServiceRun } from './service.js';

interface Hosted {
  run: ServiceRun;
  /** Its name in the file, and those it starts after (stopped after it). */
  short: string;
  after: readonly string[];
}

export class SharedHost {
  private readonly services = new Map<string, Hosted>();
  private adding = 0;
  /** Every service's current COMMAND: the reaper leaves them to their watchers. */
  readonly commands = new Set<number>();

  /** `emptied`: called when the last service has ended and none is being added. `prefix`: each
   *  service's lines go to our own stdout/stderr with it (in the foreground); else to its files. */
  constructor(
    readonly emptied: () => void,
    private readonly prefix?: (service: string) => string,
  ) {}

  get size(): number {
    return this.services.size;
  }

  get idle(): boolean {
    return this.services.size === 0 && this.adding === 0;
  }

  /** Run a service here; `notify` hears how its start went (as a launcher would). The service
   *  run, or null when it did not start. */
  async add(
    paths: ServicePaths,
    spec: CommandSpec,
    notify: (event: ServiceEvent) => void,
  ): Promise<ServiceRun | null> {
    const name = paths.name ?? paths.display;
    if (this.services.has(name)) {
      notify({ type: 'already-running' });
      return null;
    }
    const lock = acquirePidLock(paths.lockfile);
    if (!lock) {
      notify({ type: 'already-running' });
      return null;
    }
    this.adding++;
    try {
      await prepare(paths, spec);
    } catch (error) {
      closeSync(lock.fd);
      this.adding--;
      notify({ type: 'start-failed', error: asDaemonError(error) });
      if (this.idle) this.emptied();
      return null;
    }
    // Its spec and env records made in the thread pool while this thread starts its COMMAND
    // (and the next service's): each file made costs ~1 ms of kernel time on a busy ext4. How
    // the start went is told once they are written: `up` returns with them there.
    const recorded = writeSpecLater(paths, spec);
    const told = (event: ServiceEvent): void => void recorded.then(() => notify(event));
    // Not `subreaper` for the service: what this process adopts may be any service's, and a
    // stop of one must never reach another's (the process reaps them all: project-main.ts).
    const short = spec.project?.service ?? name;
    const run = runService(paths, spec, told, undefined, {
      ...(this.prefix ? { prefix: this.prefix(short) } : {}),
      shared: {
        lockFd: lock.fd,
        command: (pid, running) => (running ? this.commands.add(pid) : this.commands.delete(pid)),
      },
    });
    delete spec.baseEnv; // recorded (env.json) by now; not kept for the service's life
    this.adding--;
    const hosted = { run, short, after: spec.project?.after ?? [] };
    this.services.set(name, hosted);
    run.handlingSignals();
    collectGarbageWhenQuiet(); // once `up` has added its last, what the burst left goes back
    void run.done.then(() => {
      if (this.services.get(name) === hosted) this.services.delete(name);
      if (this.idle) this.emptied();
    });
    return run;
  }

  /** Act on a service's request files (its stop or reopen): false when it does not run here. */
  takeRequests(name: string): boolean {
    const hosted = this.services.get(name);
    hosted?.run.handlingSignals();
    return hosted !== undefined;
  }

  /** Resolves once the service has ended here (at once if it does not run here). */
  async whenGone(name: string): Promise<void> {
    await this.services.get(name)?.run.done;
  }

  /** SIGUSR2: every service's requests, for a caller that signals instead of connecting. */
  takeAllRequests(): void {
    for (const name of this.services.keys()) this.takeRequests(name);
  }

  /** SIGUSR1: every service's log files reopened (logrotate's postrotate for the project). */
  reopenAll(): void {
    for (const { run } of this.services.values()) run.reopenLogs();
  }

  /** A stop signal to the process: every service stopped, those that come after others first
   *  (a level at a time, as `down` does). */
  async stopAll(schedule: StopSchedule = defaultSchedule(), by?: string): Promise<void> {
    const stopping = new Set<Hosted>();
    for (;;) {
      const left = [...this.services.values()].filter((h) => !stopping.has(h));
      if (left.length === 0) break;
      const needed = new Set(left.flatMap((h) => h.after));
      let level = left.filter((h) => !needed.has(h.short));
      if (level.length === 0) level = left; // a cycle cannot be loaded; be safe anyway
      for (const h of level) {
        stopping.add(h);
        h.run.requestStop(schedule, by);
      }
      await Promise.all(level.map((h) => h.run.done));
    }
  }
}

/** Under the service's lock, before its first COMMAND: what an earlier life left (requests, a
 *  notify socket, a COMMAND orphaned by a supervisor killed with -9), and its log files opened
 *  once, so an unwritable one is this start's error. */
async function prepare(paths: ServicePaths, spec: CommandSpec): Promise<void> {
  for (const file of [paths.stopRequest, paths.reopenRequest]) rmSync(file, { force: true });
  let entries: string[] = [];
  try {
    entries = readdirSync(paths.dir);
  } catch {
    // no directory yet
  }
  for (const entry of entries) {
    if (entry.startsWith('dk-notify-')) removeLeftSocketDir(join(paths.dir, entry));
    removeDeadKeptState(paths.dir, entry);
  }
  const recorded = readState(paths.statefile);
  const orphan = findOrphan(recorded);
  if (orphan && recorded && !(await stopOrphan(paths, recorded, orphan, defaultSchedule())))
    throw new DaemonError(
      'START_FAILED',
      `${paths.display}: ${describeOrphan(orphan)}, and it would not stop`,
    );
  const serviceUid = spec.runAs?.uid;
  for (const file of new Set([spec.stdout, spec.stderr]))
    if (file)
      closeSync(
        openAppend(file, { createDir: true, ...(serviceUid !== undefined ? { serviceUid } : {}) }),
      );
}

function asDaemonError(error: unknown): DaemonError {
  return isDaemonError(error) ? error : new DaemonError('SPAWN_FAILED', (error as Error).message);
}
