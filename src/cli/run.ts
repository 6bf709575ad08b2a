/**
 * `run`: the supervisor in the foreground. Same lock and pidfile as `start`, no detaching;
 * the COMMAND logs to our stdout/stderr unless told otherwise. Exits with the COMMAND's code
 * (128+N for a death by signal N), as a container's entry point should.
 */
import { exitCodeFor, EXIT } from '../errors/exit-codes.js';
import { terminalSafe } from '../service/format.js';
import { exitCodeOf } from '../service/state.js';
import type { ValidStart } from '../config/options.js';
import type { ServicePaths } from '../config/paths.js';
import { buildCommandSpec } from '../config/resolve.js';
import { runningPid } from '../ops/start.js';
import type { CommandSpec } from '../config/spec.js';
import { type ServiceEvent, type ServiceRun, runService } from '../supervisor/service.js';
import { routeServiceSignals, type ServiceSignals } from '../supervisor/service-signals.js';
import { closeInspector } from '../sys/inspector.js';
import { startReaper } from '../supervisor/reaper.js';
import { setChildSubreaper } from '../sys/native.js';
import { defaultSchedule } from '../config/schedule.js';
import { linkServiceManager, type ServiceManagerLink } from '../notify/systemd.js';

export async function runForeground(
  paths: ServicePaths,
  command: string[],
  opts: ValidStart,
): Promise<number> {
  // Under systemd (Type=notify) we are the main process: we say READY=1, STOPPING=1 and ping the
  // watchdog; the COMMAND does not inherit NOTIFY_SOCKET (with --ready notify it gets ours).
  const manager = linkServiceManager();
  const spec = buildCommandSpec(command, opts, paths, { foreground: true });
  const seen: Seen = { failure: 0, already: false };
  // Routed before the COMMAND is started (main.ts catches them from its first moment), and kept
  // until we exit: a signal after the COMMAND's end changes nothing (the service is done).
  const signals = routeRunSignals(manager, spec);
  // A SIGUSR1 in node's own boot, before main.ts caught it, opened node's inspector: close it.
  closeInspector();
  // As PID 1 of a container we adopt every orphan in it, elsewhere (as a subreaper) those of the
  // COMMAND's tree, from before it exists: reap them, or they stay zombies; a stop reaches them
  // too.
  if (process.pid !== 1) setChildSubreaper();
  const running = runService(paths, spec, (event) => onEvent(event, manager, seen), undefined, {
    subreaper: true,
    forwardNotify: (text) => manager.relay(text),
  });
  signals.attach(running);
  const stopReaper = startReaper((pid) => running.commandPids().includes(pid));
  try {
    return await endOf(paths, running, seen);
  } finally {
    stopReaper();
    manager.stopping();
    manager.close();
  }
}

/** What the service's events told us: a start's failure (as our exit code), another instance. */
interface Seen {
  failure: number;
  already: boolean;
}

function routeRunSignals(manager: ServiceManagerLink, spec: CommandSpec): ServiceSignals {
  return routeServiceSignals({
    // Ctrl-C or `docker stop`: that signal to the group, KILL 10 s later (unless `daemonkit
    // stop` left its own schedule).
    onStop: () => manager.stopping(),
    stopSchedule: (signal) => defaultSchedule(10, signal),
    // A reload: RELOADING=1 … READY=1 around it, unless the COMMAND speaks sd_notify itself.
    ...(spec.ready?.kind === 'notify' ? {} : { reload: (pass) => void manager.reload(pass) }),
    usr2: true,
    // SIGUSR1 is the COMMAND's, unless `daemonkit reopen` left its request first.
    usr1ToCommand: true,
  });
}

function onEvent(event: ServiceEvent, manager: ServiceManagerLink, seen: Seen): void {
  if (event.type === 'running') manager.ready();
  if (event.type === 'already-running') seen.already = true;
  if (event.type === 'start-failed') {
    // A COMMAND that simply ran and exited 0 (a one-shot) needs no word: its code says it.
    const exit = event.error.details.exit as
      | { code?: number | null; signal?: string | null }
      | undefined;
    if (!(exit && exit.code === 0 && !exit.signal))
      process.stderr.write(`daemonkit: ${terminalSafe(event.error.message)}\n`);
    seen.failure = exitCodeFor('run', event.error.code);
  }
}

/** Once the service is done: our exit code (the COMMAND's, 128+N for its death by signal N). */
async function endOf(paths: ServicePaths, running: ServiceRun, seen: Seen): Promise<number> {
  const exit = await running.done;
  const lost = running.logLost();
  if (lost) process.stderr.write(`daemonkit: ${terminalSafe(`${paths.display}: ${lost}`)}\n`);
  if (seen.already) {
    process.stderr.write(
      `daemonkit: ${terminalSafe(paths.display)} is already running, pid ${(await runningPid(paths)) ?? 'unknown'}\n`,
    );
    return EXIT.GENERIC;
  }
  return exit ? exitCodeOf(exit) : seen.failure || EXIT.GENERIC;
}
