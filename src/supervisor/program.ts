/**
 * The supervisor program: the daemon that `daemonkit start` leaves behind. It holds the lock,
 * its pid is in the pidfile, and it runs the COMMAND as its child. Started only by the launcher,
 * as dist/supervisor/main.cjs (main.ts), which loads this with its code cache.
 */
import { closeSync, writeSync } from 'node:fs';
import { closeInspector } from '../sys/inspector.js';
import { exitFast } from '../sys/exit.js';
import { attachDaemon } from '../spawn/attach.js';
import type { SupervisorPayload } from '../config/spec.js';
import { reportTo, runService } from './service.js';
import { ownChildren, startReaper } from './reaper.js';
import { routeServiceSignals } from './service-signals.js';

// First thing: our handlers. Until now (node's boot) a signal took its default action; the
// COMMAND, already started, was watched by its guard (native/spawn.c), told below that we are
// here. From now on a signal is acted on from the event loop, once the service below exists: a
// signal meant for the service reaches the COMMAND (reload); SIGUSR1 reopens our log files
// (logrotate's postrotate, `daemonkit reopen`).
const signals = routeServiceSignals({ usr2: true });

let channel: ReturnType<typeof attachDaemon> = null;
try {
  channel = attachDaemon();
} catch {
  // The launcher died before handing over (no payload). Our first act already started the
  // COMMAND: it must not run on without a supervisor that knows of it.
  for (const pid of ownChildren()) {
    try {
      process.kill(-pid, 'SIGKILL'); // the COMMAND leads its own process group
    } catch {
      process.kill(pid, 'SIGKILL');
    }
  }
  process.exit(1);
}
if (!channel) {
  process.stderr.write(
    'daemonkit supervisor: this program is started by `daemonkit start`, not by hand\n',
  );
  process.exitCode = 2;
} else {
  const { paths, spec, inherited } = channel.payload as SupervisorPayload;
  if (inherited?.guardFd !== undefined) relieveGuard(inherited.guardFd);
  // `ps` names the service (libuv rewrites our argv area: up to its length, ~130 bytes).
  process.title = `daemonkit: ${paths.display}`;
  process.umask(0o022); // our own files (pidfile, state) get their documented modes
  const running = runService(paths, spec, reportTo(channel), inherited, {
    subreaper: true,
    ownStderr: true,
  });
  // Descendants that leave the COMMAND's group (setsid, double fork) are re-parented to us when
  // their parent dies (we are a child subreaper since before the COMMAND was forked: spawnDaemon's
  // `supervisor`): we reap them (the COMMAND's guard too, once it has ended), and a stop reaches
  // them.
  const stopReaper = startReaper((pid) => running.commandPids().includes(pid));
  closeInspector(inherited?.notify?.fd);
  signals.attach(running);
  // net's Socket#_destroy compares the socket with process.stderr, and the first look builds that
  // stream (its module compiled from source: node's code cache does not fit our V8 flags). The
  // log pumps' sockets are destroyed on the exit path, which a `stop` waits on: build it now.
  void process.stderr;
  // Done: the state written, the logs closed, the pidfile gone, the lock let go. Exit now — a
  // `stop` is waiting for this exit (on our pidfd), and node's teardown would only make it wait
  // longer.
  void running.done.then(() => {
    stopReaper();
    exitFast(0);
  });
}

/** Our handlers are in place: the COMMAND's guard may end (a byte on its pipe, then EOF). */
function relieveGuard(fd: number): void {
  try {
    writeSync(fd, 'u');
  } catch {
    // the guard is gone already
  }
  closeSync(fd);
}
