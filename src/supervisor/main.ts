#!/usr/bin/env node
/**
 * The supervisor program: the daemon that `daemonkit start` leaves behind. It holds the lock,
 * its pid is in the pidfile, and it runs the COMMAND as its child. Started only by the launcher.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { attachDaemon } from '../detach/attach.js';
import type { SupervisorPayload } from '../spec.js';
import { reportTo, runService } from './service.js';
import { ownChildren, startReaper } from './reaper.js';

/**
 * Until our SIGUSR1 handler is in place, node's own applies: it opens the inspector (a root
 * shell for any local user, on 127.0.0.1:9229). Newer nodes get --disable-sigusr1 from the
 * launcher; on older ones a SIGUSR1 that came during boot is undone here. Node opens it from its
 * event loop after the signal, so we look once the loop has turned, and again a second later.
 * Loading node:inspector costs ~12 ms here (~4 ms in a plain node: any V8 flag of ours, such as
 * --no-opt, makes node compile its own modules from source, its embedded code cache no longer
 * fitting): so it is loaded only when an inspector could be listening, i.e. when we have a socket
 * open other than our --ready notify socket (`ours`; the rest of our fds are pipes and files), and
 * never before a stop request left during the boot has been acted on.
 */
function closeInspector(ours: number | undefined): void {
  if (process.execArgv.includes('--disable-sigusr1')) return;
  const close = (): void => {
    if (!hasSocket(ours)) return;
    const inspector = createRequire(import.meta.url)('node:inspector') as typeof import('node:inspector');
    if (inspector.url()) inspector.close();
  };
  setImmediate(close);
  setTimeout(close, 1000).unref();
}

function hasSocket(except: number | undefined): boolean {
  try {
    return readdirSync('/proc/self/fd').some((fd) => {
      try {
        return Number(fd) !== except && readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
      } catch {
        return false; // closed meanwhile (or the directory's own fd)
      }
    });
  } catch {
    return true; // no /proc to tell: look the expensive way
  }
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
  // `ps` names the service (libuv rewrites our argv area: up to its length, ~130 bytes).
  process.title = `daemonkit: ${paths.display}`;
  process.umask(0o022); // our own files (pidfile, state) get their documented modes
  const service = runService(paths, spec, reportTo(channel), inherited, { subreaper: true, ownStderr: true });
  // Descendants that leave the COMMAND's group (setsid, double fork) are re-parented to us when
  // their parent dies (we are a child subreaper since before the COMMAND was forked: spawnDaemon's
  // `supervisor`): we reap them, and a stop reaches them too.
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
  closeInspector(inherited?.notify?.fd);
  service.handlingSignals();
  // net's Socket#_destroy compares the socket with process.stderr, and the first look builds that
  // stream (its module compiled from source: node's code cache does not fit our V8 flags). The
  // log pumps' sockets are destroyed on the exit path, which a `stop` waits on: build it now.
  void process.stderr;
  // Done: the pidfile is gone and the state written. Exit now — a `stop` is waiting for this
  // exit (on our pidfd), and letting the event loop wind down would only make it wait longer.
  void service.done.then(() => {
    stopReaper();
    process.exit(0);
  });
}
