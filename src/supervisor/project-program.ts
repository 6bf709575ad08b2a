/**
 * A project's shared supervisor: the daemon `daemonkit up` leaves behind, running every service
 * of one project (shared-host.ts). It holds the project's supervisor lock, serves its control
 * socket (shared-server.ts), and exits once its last service has ended. Started only by the
 * launcher (ops/shared.ts), as dist/supervisor/project-main.cjs (project-main.ts), which loads
 * this with its code cache.
 */
import { attachDaemon } from '../spawn/attach.js';
import { closeInspector } from '../sys/inspector.js';
import { setCloexec } from '../sys/native.js';
import { routeSignals } from '../sys/signals.js';
import { startReaper } from './reaper.js';
import { SharedHost } from './shared-host.js';
import { sharedPaths, type SharedPayload } from './shared-control.js';
import { serveControl, type Control } from './shared-server.js';

/** A supervisor launched but never given a service (its `up` died) does not stay. */
const IDLE_MS = 30_000;

let host: SharedHost | null = null;
// First thing: our handlers (a signal before them would take its default action). A stop signal
// stops the whole project, in reverse dependency order; SIGHUP means nothing to a project (its
// services' reloads go to each COMMAND); SIGUSR1 reopens every log file; SIGUSR2 has every
// service look for its request files.
const early: NodeJS.Signals[] = [];
const stop = (signal: NodeJS.Signals): void => {
  if (host) void host.stopAll(undefined, signal).then(() => host?.emptied());
  else early.push(signal);
};
routeSignals({
  SIGTERM: stop,
  SIGINT: stop,
  SIGQUIT: stop,
  SIGHUP: () => undefined,
  SIGUSR1: () => host?.reopenAll(),
  SIGUSR2: () => host?.takeAllRequests(),
});

const channel = attachDaemon();
if (!channel) {
  process.stderr.write(
    'daemonkit project supervisor: this program is started by `daemonkit up`, not by hand\n',
  );
  process.exitCode = 2;
} else {
  const { project, home, lockFd } = channel.payload as SharedPayload;
  setCloexec(lockFd); // ours for life, never a COMMAND's
  process.title = `daemonkit: project ${project}`;
  process.umask(0o022);
  closeInspector();
  let control: Control | null = null;
  host = new SharedHost(() => control?.closeIfIdle());
  // Descendants that leave a COMMAND's group are re-parented to us (a child subreaper since
  // the fork): reaped here, the COMMANDs themselves left to their watchers.
  startReaper((pid) => host!.commands.has(pid));
  control = serveControl(sharedPaths(project, home), () => host!, lockFd, {
    ready() {
      channel.report({ type: 'ready', pid: process.pid });
      channel.close();
      setTimeout(() => control?.closeIfIdle(), IDLE_MS).unref();
      for (const signal of early.splice(0)) stop(signal);
    },
    failed(error) {
      channel.report({ type: 'error', code: 'START_FAILED', message: error.message });
      process.exit(1);
    },
    closed: () => process.exit(0),
  });
}
