/**
 * What a running service holds open for its life — the log capture, the notify socket, the
 * --listen sockets — opened under the lock (service.ts) and released in one place.
 */
import { rmSync } from 'node:fs';
import type { ServicePaths } from '../config/paths.js';
import type { CommandSpec } from '../config/spec.js';
import { createPipes, instancePrefix, LogCapture } from '../logs/write/capture.js';
import { NotifyHub, openNotifyListener } from '../notify/hub.js';
import { NotifyListener } from '../notify/listener.js';
import { writePidfile, ensureDir } from '../service/pidfile.js';
import { writeSpec } from '../service/spec-file.js';
import { closeListeners, type Listener, openListeners, ownershipOf } from '../spawn/listen.js';
import { setCloexec } from '../sys/native.js';
import type { Inherited } from './events.js';
import type { ServiceIO } from './launch.js';
import type { Instances } from './instances.js';

export interface ServiceOptions {
  subreaper?: boolean;
  ownStderr?: boolean;
  forwardNotify?: (text: string) => void;
  /** One of several services of one process (a project's shared supervisor). */
  shared?: SharedService;
  /** Before each line that goes to our own stdout/stderr (a project in the foreground). */
  prefix?: string;
}

/**
 * A service run beside others: a signal to the process is no signal to it, so its pidfile names
 * its COMMAND (written at each launch, removed at each exit) and never this process, which a
 * third-party `kill $(cat pidfile)` would take for the service. Its lock was taken by the caller
 * (`lockFd`) and is released once it is done: the process goes on with the others.
 */
export interface SharedService {
  lockFd: number;
  /** Told of each COMMAND launched and ended (the caller's reaper leaves them alone). */
  command?: (pid: number, running: boolean) => void;
}

/** One service's run: what it was given, and what it holds (each null until opened). */
export interface ServiceLife {
  paths: ServicePaths;
  spec: CommandSpec;
  inherited: Inherited | undefined;
  options: ServiceOptions;
  runner: Instances;
  capture: LogCapture | null;
  hub: NotifyHub | null;
  /** --listen: held from the start to the end of the service, whatever its COMMANDs do. */
  listeners: readonly Listener[];
}

/** The service's files, unless the launcher made them: the pidfile and the spec; a stop request
 *  from an earlier life does not apply. */
function prepareFiles(
  paths: ServicePaths,
  spec: CommandSpec,
  inherited: Inherited | undefined,
  shared: boolean,
): void {
  ensureDir(paths.statefile);
  if (inherited) return;
  // A shared service's spec: written by its host meanwhile (shared-host.ts).
  if (!shared) {
    writePidfile(paths.pidfile, process.pid);
    writeSpec(paths, spec);
  }
  // Looked at before it is removed: an unlink, even of nothing, locks the directory against the
  // files its host makes there meanwhile (spec.json, env.json in the thread pool).
  rmSync(paths.stopRequest, { force: true });
}

/** --ready notify: the service's sd_notify socket (the launcher's, if it made one). */
function openHub(life: ServiceLife): NotifyHub | null {
  const { paths, spec, inherited, options, runner } = life;
  if (spec.ready?.kind !== 'notify') return null;
  const listener = inherited?.notify
    ? NotifyListener.adopt(inherited.notify)
    : openNotifyListener(paths.dir, spec.runAs?.drop ? spec.runAs : undefined);
  if (inherited?.notify)
    for (const fd of [inherited.notify.fd, inherited.notify.wake]) setCloexec(fd);
  return new NotifyHub(
    listener,
    {
      status: (text) => runner.record.status(text),
      extend: (ms) => runner.extendReady(ms),
      ...(options.forwardNotify ? { forward: options.forwardNotify } : {}),
    },
    spec.runAs?.drop ? spec.runAs.uid : process.getuid!(),
  );
}

/** Open what the service holds for its life, under the lock; kept in `life` as it opens, so
 *  that release() closes what a failure half-way left open. */
export function openServiceIO(life: ServiceLife): ServiceIO & { capture: LogCapture } {
  const { paths, spec, inherited, options } = life;
  const record = life.runner.record;
  prepareFiles(paths, spec, inherited, !!options.shared);
  const capture = new LogCapture(
    spec,
    inherited?.pipes ?? createPipes(spec, options.prefix !== undefined),
    (message) => record.save({ logError: message ?? undefined }),
    {
      ownStderr: options.ownStderr ?? false,
      ...(options.shared && options.prefix === undefined ? { echo: false } : {}),
      ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
      ...((spec.instances ?? 1) > 1 ? { linePrefix: instancePrefix(0) } : {}),
    },
  );
  life.capture = capture;
  if (capture.error) record.save({ logError: capture.error });
  const hub = (life.hub = openHub(life));
  // The launcher bound them (ops/start.ts); foreground `run` binds them here, under the lock.
  if (inherited?.listen) for (const l of inherited.listen) setCloexec(l.fd);
  life.listeners = inherited?.listen ?? openListeners(spec.listen ?? [], ownershipOf(spec));
  return { spec, capture, hub, listeners: life.listeners, options };
}

/** Close everything the service held, the state recorded last while we still hold the lock. */
export function releaseService(life: ServiceLife): void {
  life.runner.close();
  // Every line the COMMAND wrote is in the file before we say we are done; what a file still
  // failing at the end (a full disk) could not take is counted in the state.
  const lost = life.capture?.close() ?? null;
  life.hub?.close();
  closeListeners(life.listeners); // and their unix: socket files
  life.runner.record.close(lost);
}
