/**
 * Readiness watches (the syntax of --ready is in ready-spec.ts). Each watch resolves once, with
 * null (ready) or the reason it never will be.
 */
import { readSync } from 'node:fs';
import { connect } from 'node:net';
import { Socket } from 'node:net';

export interface ReadyWatch {
  /** null: ready; a string: it reported that it failed (notify's ERRNO=). Never settles if
   *  neither. */
  result: Promise<string | null>;
  cancel(): void;
  /** The COMMAND has exited: did it become ready before that? (Both can be pending when the
   *  supervisor gets to look; readiness it reported first counts first.) */
  readyBeforeExit?(): boolean;
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
