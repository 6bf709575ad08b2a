/**
 * Readiness (--ready): how the supervisor learns that a COMMAND is up, beyond "it has exec'd".
 *   tcp:[HOST:]PORT  the port accepts a connection (tried with a growing pause: there is no
 *                    event for "someone listens now")
 *   fd:N             s6 style: the COMMAND writes a newline on its fd N (a pipe we read)
 *   notify           sd_notify READY=1 on NOTIFY_SOCKET (see notify.ts)
 * Each watch resolves once, with null (ready) or the reason it never will be.
 */
import { readSync } from 'node:fs';
import { connect } from 'node:net';
import { Socket } from 'node:net';

export type ReadySpec = { kind: 'notify' } | { kind: 'tcp'; host: string; port: number } | { kind: 'fd'; fd: number };

export interface ReadyWatch {
  /** null: ready; a string: it reported that it failed (notify's ERRNO=). Never settles if neither. */
  result: Promise<string | null>;
  cancel(): void;
  /** The COMMAND has exited: did it become ready before that? (Both can be pending when the
   *  supervisor gets to look; readiness it reported first counts first.) */
  readyBeforeExit?(): boolean;
}

/** `notify`, `tcp:8080`, `tcp:127.0.0.1:8080`, `tcp:[::1]:8080`, `fd:3` (3-63); else why not. */
export function parseReady(text: string): ReadySpec | string {
  if (text === 'notify') return { kind: 'notify' };
  const fd = /^fd:([0-9]{1,2})$/.exec(text);
  if (fd) {
    const n = Number(fd[1]);
    return n >= 3 && n <= 63 ? { kind: 'fd', fd: n } : 'the fd must be 3 to 63 (0-2 are stdin, stdout, stderr)';
  }
  const tcp = /^tcp:(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):)?([0-9]{1,5})$/.exec(text);
  if (tcp) {
    const port = Number(tcp[2]);
    if (port < 1 || port > 65535) return 'the port must be 1 to 65535';
    return { kind: 'tcp', host: (tcp[1] ?? 'localhost').replace(/^\[|\]$/g, ''), port };
  }
  return 'use notify, tcp:[HOST:]PORT or fd:N';
}

export function describeReady(ready: ReadySpec): string {
  return ready.kind === 'notify' ? 'notify' : ready.kind === 'fd' ? `fd:${ready.fd}` : `tcp:${ready.host.includes(':') ? `[${ready.host}]` : ready.host}:${ready.port}`;
}

const FIRST_TRY_MS = 10;
const MAX_PAUSE_MS = 250;

export function watchTcp(host: string, port: number): ReadyWatch {
  let cancelled = false;
  let timer: NodeJS.Timeout | null = null;
  let socket: Socket | null = null;
  const result = new Promise<string | null>((resolve) => {
    let pause = FIRST_TRY_MS;
    const attempt = (): void => {
      if (cancelled) return;
      socket = connect({ host, port });
      socket.once('connect', () => {
        socket?.destroy();
        if (!cancelled) resolve(null);
      });
      socket.once('error', () => {
        socket?.destroy();
        pause = Math.min(MAX_PAUSE_MS, pause * 2);
        timer = setTimeout(attempt, pause);
      });
    };
    attempt();
  });
  return {
    result,
    cancel() {
      cancelled = true;
      if (timer) clearTimeout(timer);
      socket?.destroy();
    },
  };
}

/** Ready when a newline arrives on the pipe `fd` (we own it: closed on cancel). */
export function watchFdLine(fd: number): ReadyWatch {
  const pipe = new Socket({ fd, readable: true, writable: false });
  let ready = false;
  let settle!: (value: string | null) => void;
  const result = new Promise<string | null>((resolve) => (settle = resolve));
  const take = (chunk: Buffer): void => {
    if (ready || !chunk.includes(0x0a)) return;
    ready = true;
    settle(null);
  };
  pipe.on('data', take);
  pipe.on('error', () => undefined);
  return {
    result,
    cancel: () => pipe.destroy(),
    readyBeforeExit() {
      if (!ready && !pipe.destroyed) {
        const buf = Buffer.alloc(4096);
        try {
          // Bounded, like the log drain: a pipe's worth at most (a survivor may keep writing).
          for (let reads = 0, n = 1; n > 0 && !ready && reads < 16; reads++) {
            n = readSync(fd, buf, 0, buf.length, null);
            take(buf.subarray(0, n));
          }
        } catch {
          // EAGAIN: nothing more was written
        }
      }
      return ready;
    },
  };
}
