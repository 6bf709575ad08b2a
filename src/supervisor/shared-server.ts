/**
 * The control socket of a project's supervisor (shared-control.ts has its requests): served by the
 * detached supervisor (project-main.ts) and by a project in the foreground (`up --foreground`)
 * alike, under the project's supervisor lock (held by the caller, `lockFd`). Once the last service
 * has ended it closes: the socket first, then the lock, then the pidfile (what a caller waiting to
 * launch a new one wakes on).
 */
import { chmodSync, closeSync, unlinkSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { removePidfile, writePidfile } from '../service/pidfile.js';
import type { ServiceEvent } from './events.js';
import type { SharedHost } from './shared-host.js';
import type { SharedPaths, SharedReply, SharedRequest } from './shared-control.js';

export interface ControlHooks {
  /** Listening, the pidfile written. */
  ready(): void;
  failed(error: Error): void;
  /** Closed (the lock let go): the process may end. */
  closed(): void;
}

export interface Control {
  /** Close if no service runs and none is being added (else nothing). */
  closeIfIdle(): void;
}

export function serveControl(
  sp: SharedPaths,
  host: () => SharedHost,
  lockFd: number,
  hooks: ControlHooks,
): Control {
  const sockets = new Set<Socket>();
  let closing = false;
  try {
    unlinkSync(sp.socket); // a supervisor killed with -9 left it: we hold the lock now
  } catch {
    // none
  }
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serve(socket, (request, reply) => {
      // Closing: the caller sees the connection close, and launches a new supervisor.
      if (!closing) handle(host(), request, reply);
    });
  });
  // Only we may connect: made 0600 from the start (bind creates it under the umask).
  const umask = process.umask(0o177);
  server.listen(sp.socket, () => {
    chmodSync(sp.socket, 0o600);
    writePidfile(sp.pidfile, process.pid);
    hooks.ready();
  });
  process.umask(umask);
  server.on('error', (error) => hooks.failed(error));
  return {
    closeIfIdle() {
      if (closing || !host().idle) return;
      closing = true;
      server.close();
      try {
        unlinkSync(sp.socket);
      } catch {
        // gone already
      }
      // The replies already due (a `wait` for the last service) go out first.
      setImmediate(() => {
        for (const socket of sockets) socket.destroy();
        closeSync(lockFd);
        removePidfile(sp.pidfile, process.pid);
        hooks.closed();
      });
    },
  };
}

/** One connection: requests in, replies out, one JSON object per line each. */
function serve(
  socket: Socket,
  onRequest: (request: SharedRequest, reply: (r: SharedReply) => void) => void,
): void {
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
      onRequest(request, (reply) => {
        if (!socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
      });
    }
  });
}

function handle(host: SharedHost, request: SharedRequest, reply: (r: SharedReply) => void): void {
  const id = request.id;
  switch (request.op) {
    case 'ping':
      reply({ id, type: 'pong', pid: process.pid, services: host.size });
      return;
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
      reply({ id, type: 'taken', known: host.takeRequests(request.name) });
      return;
    case 'wait':
      void host.whenGone(request.name).then(() => reply({ id, type: 'gone' }));
      return;
  }
}
