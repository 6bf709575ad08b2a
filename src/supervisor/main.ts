#!/usr/bin/env node
/**
 * The supervisor program: the daemon that `daemonkit start` leaves behind. It holds the lock,
 * its pid is in the pidfile, and it runs the COMMAND as its child. Started only by the launcher.
 */
import inspector from 'node:inspector';
import { attachDaemon } from '../detach/attach.js';
import type { SupervisorPayload } from '../spec.js';
import { reportTo, runService } from './service.js';
import { ownChildren, startReaper } from './reaper.js';
import { setChildSubreaper } from '../sys/native.js';

/**
 * Until our SIGUSR1 handler is in place, node's own applies: it opens the inspector (a root
 * shell for any local user, on 127.0.0.1:9229). Newer nodes get --disable-sigusr1 from the
 * launcher; on older ones a SIGUSR1 that came during boot is undone here.
 */
function closeInspector(): void {
  const close = (): void => {
    if (inspector.url()) inspector.close();
  };
  close();
  // Node opens it from its event loop after the signal, so look again once the loop has turned.
  setImmediate(close);
  setTimeout(close, 1000).unref();
}

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
  process.stderr.write('daemonkit supervisor: this program is started by `daemonkit start`, not by hand\n');
  process.exitCode = 2;
} else {
  const { paths, spec, inherited } = channel.payload as SupervisorPayload;
  process.umask(0o022); // our own files (pidfile, state) get their documented modes
  const service = runService(paths, spec, reportTo(channel), inherited, { subreaper: true, ownStderr: true });
  // Descendants that leave the COMMAND's group (setsid, double fork) are re-parented to us when
  // their parent dies: we reap them, and a stop reaches them too.
  setChildSubreaper();
  const stopReaper = startReaper((pid) => pid === service.supervision()?.child.pid);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) process.on(signal, () => service.requestStop());
  // A signal meant for the service reaches the COMMAND (reload); SIGUSR1 reopens our log files.
  for (const signal of ['SIGHUP', 'SIGUSR2'] as const) {
    process.on(signal, () => {
      const pid = service.supervision()?.child.pid;
      if (pid) process.kill(pid, signal);
    });
  }
  process.on('SIGUSR1', () => service.reopenLogs()); // logrotate's postrotate, `daemonkit reopen`
  closeInspector();
  service.handlingSignals();
  // Done: the pidfile is gone and the state written. Exit now — a `stop` is waiting for this
  // exit (on our pidfd), and letting the event loop wind down would only make it wait longer.
  void service.done.then(() => {
    stopReaper();
    process.exit(0);
  });
}
