/**
 * Per COMMAND, what its --ready mode needs around the spawn: the fds to give it (fd:N: the
 * write end of a pipe at N, the fds between closed), and the watch to start once it runs.
 */
import { closeSync } from 'node:fs';
import type { CommandSpec } from '../config/spec.js';
import { makePipe, setCloexec } from '../sys/native.js';
import { watchFdLine, watchTcp, type ReadyWatch } from './ready-watch.js';

export interface Readiness {
  /** The COMMAND's fds from 3 on (-1: closed). */
  fds: number[];
  /** Call once the COMMAND runs: our copies of its ends are closed, the watch begins. */
  spawned(): void;
  watch: ReadyWatch | null;
  cancel(): void;
}

/** The fd layout for `fd:N` after the fds from 3 to `first`-1 (the --listen sockets): -1 for
 *  `first` … N-1, then `writeEnd`. */
export function readyFdLayout(n: number, writeEnd: number, first = 3): number[] {
  return [...Array.from({ length: n - first }, () => -1), writeEnd];
}

/** The COMMAND's first fd after its --listen sockets (3, 4, …). */
export const afterListen = (spec: CommandSpec): number => 3 + (spec.listen?.length ?? 0);

/** `inheritedRead`: the read end the launcher made for the first COMMAND (fd:N). */
export function prepareReadiness(spec: CommandSpec, inheritedRead?: number): Readiness {
  const ready = spec.ready;
  if (!ready || ready.kind === 'notify') {
    // notify: the service-wide socket (runService) does the watching.
    return { fds: [], spawned: () => undefined, watch: null, cancel: () => undefined };
  }
  if (ready.kind === 'tcp') {
    const readiness: Readiness = {
      fds: [],
      spawned: () => (readiness.watch = watchTcp(ready.host, ready.port)),
      watch: null,
      cancel: () => readiness.watch?.cancel(),
    };
    return readiness;
  }
  let read: number;
  let write = -1;
  if (inheritedRead !== undefined) {
    read = inheritedRead;
    setCloexec(read);
  } else {
    [read, write] = makePipe();
  }
  const readiness: Readiness = {
    fds: write >= 0 ? readyFdLayout(ready.fd, write, afterListen(spec)) : [],
    spawned() {
      if (write >= 0) closeSync(write); // only the COMMAND may hold it: EOF when it is gone
      write = -1;
      readiness.watch = watchFdLine(read);
    },
    watch: null,
    cancel() {
      if (write >= 0) closeSync(write);
      if (readiness.watch) readiness.watch.cancel();
      else closeSync(read);
    },
  };
  return readiness;
}

export interface ReadyDeadline {
  /** EXTEND_TIMEOUT_USEC: wait at least `ms` more from now. */
  extend(ms: number): void;
  stop(): void;
}

/** --ready-timeout: call `onTimeout` unless stopped first; extensible, as systemd's is. */
export function readyDeadline(timeoutMs: number, onTimeout: () => void): ReadyDeadline {
  let due = Date.now() + timeoutMs;
  let timer: NodeJS.Timeout | null = setTimeout(onTimeout, timeoutMs);
  return {
    extend(ms) {
      if (!timer || Date.now() + ms <= due) return;
      clearTimeout(timer);
      due = Date.now() + ms;
      timer = setTimeout(onTimeout, ms);
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

export interface ReadinessOutcomes {
  ready(): void;
  notReady(reason: string): void;
  timedOut(): void;
  /** The COMMAND exited, and had become ready before (both were pending when we looked). */
  readyAtExit(): void;
}

/** Act on a COMMAND's readiness watch within `timeoutMs`; returns the deadline's extender. */
export function followReadiness(
  watch: ReadyWatch,
  timeoutMs: number,
  ended: Promise<unknown>,
  on: ReadinessOutcomes,
): (ms: number) => void {
  const deadline = readyDeadline(timeoutMs, on.timedOut);
  void watch.result.then((failure) => {
    deadline.stop();
    if (failure === null) on.ready();
    else on.notReady(failure);
  });
  void ended.then(() => {
    deadline.stop();
    if (watch.readyBeforeExit?.()) on.readyAtExit();
    watch.cancel();
  });
  return deadline.extend;
}
