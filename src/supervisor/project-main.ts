#!/usr/bin/env node
/**
 * A project's shared supervisor: the daemon `daemonkit up` leaves behind, running every service
 * of one project (shared-host.ts). It holds the project's supervisor lock, listens on its control
 * socket (shared-control.ts), and exits once its last service has ended. Started only by the
 * launcher (ops/shared.ts).
 */
import { chmodSync, closeSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { attachDaemon } from '../spawn/attach.js';
import { closeInspector } from '../sys/inspector.js';
import { setCloexec } from '../sys/native.js';
import { routeSignals } from '../sys/signals.js';
import { removePidfile, writePidfile } from '../service/pidfile.js';
import { startReaper } from './reaper.js';
import { SharedHost } from './shared-host.js';
import {
  sharedPaths,
  type SharedPayload,
  type SharedReply,
  type SharedRequest,
} from './shared-control.js';
import type { ServiceEvent } from './events.js';

/** A supervisor launched but never given a service (its `up` died) does not stay. */
const IDLE_MS = 30_000;

let host: SharedHost | null = null;
let closing = false;
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
  const paths = sharedPaths(project, home);
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  const shutdown = (): void => {
    if (closing || !host?.idle) return;
    closing = true; // no request is taken from now on: a caller launches a new supervisor
    server?.close();
    try {
      unlinkSync(paths.socket);
    } catch {
      // gone already
    }
    // The replies already due (a `wait` for the last service) go out first. Then the lock, and
    // only then the pidfile: its removal is what a caller waiting for the lock wakes on.
    setImmediate(() => {
      for (const socket of sockets) socket.destroy();
      closeSync(lockFd);
      removePidfile(paths.pidfile, process.pid);
      process.exit(0);
    });
  };
  host = new SharedHost(shutdown);
  // Descendants that leave a COMMAND's group are re-parented to us (a child subreaper since
  // the fork): reaped here, the COMMANDs themselves left to their watchers.
  startReaper((pid) => host!.commands.has(pid));
  try {
    unlinkSync(paths.socket); // a supervisor killed with -9 left it: we hold the lock now
  } catch {
    // none
  }
  server = createServer((socket) => serve(socket, sockets));
  // Only we may connect: made 0600 from the start (bind creates it under the umask).
  const umask = process.umask(0o177);
  server.listen(paths.socket, () => {
    chmodSync(paths.socket, 0o600);
    writePidfile(paths.pidfile, process.pid);
    channel.report({ type: 'ready', pid: process.pid });
    channel.close();
    setTimeout(shutdown, IDLE_MS).unref();
    for (const signal of early.splice(0)) stop(signal);
  });
  process.umask(umask);
  server.on('error', (error) => {
    channel.report({ type: 'error', code: 'START_FAILED', message: error.message });
    process.exit(1);
  });
}

/** One connection: requests in, replies out, one JSON object per line each. */
function serve(socket: Socket, sockets: Set<Socket>): void {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => socket.destroy());
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      let request: SharedRequest;
      try {
        request = JSON.parse(line) as SharedRequest;
      } catch {
        socket.destroy();
        return;
      }
      handle(request, (reply) => {
        if (!socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
      });
    }
  });
}

function handle(request: SharedRequest, reply: (r: SharedReply) => void): void {
  const id = request.id;
  if (!host || closing) return; // the caller sees the connection close, and launches anew
  switch (request.op) {
    case 'ping':
      return reply({ id, type: 'pong', pid: process.pid, services: host.size });
    case 'add': {
      let told = false;
      const notify = (event: ServiceEvent): void => {
        if (told || event.type === 'locked') return;
        told = true;
        if (event.type === 'running')
          reply({
            id,
            type: 'running',
            pid: process.pid,
            childPid: event.childPid,
            ...(event.logError ? { logError: event.logError } : {}),
          });
        else if (event.type === 'already-running') reply({ id, type: 'already-running' });
        else
          reply({
            id,
            type: 'start-failed',
            code: event.error.code,
            message: event.error.message,
            details: event.error.details,
          });
      };
      void host.add(request.paths, request.spec, notify);
      return;
    }
    case 'requests':
      return reply({ id, type: 'taken', known: host.takeRequests(request.name) });
    case 'wait':
      void host.whenGone(request.name).then(() => reply({ id, type: 'gone' }));
      return;
  }
}
