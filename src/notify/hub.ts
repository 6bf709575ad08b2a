/**
 * --ready notify: the service's sd_notify socket, for every COMMAND it runs (restarts keep the
 * same NOTIFY_SOCKET). Accepts messages from the current COMMAND and its process group only —
 * systemd's NotifyAccess=all, within the service — and turns them into readiness (READY=1,
 * ERRNO=), a longer wait (EXTEND_TIMEOUT_USEC) and a status line (STATUS=).
 */
import { constants } from 'node:os';
import { NotifyListener, type NotifyEvent } from './listener.js';
import { readProcStat } from '../sys/proc.js';
import type { ReadyWatch } from './ready-watch.js';

export interface HubHooks {
  status(text: string): void;
  /** EXTEND_TIMEOUT_USEC: the readiness wait must last at least `ms` more from now. */
  extend(ms: number): void;
  /** Every accepted message, as sent (`run` passes them on to its own service manager). */
  forward?(text: string): void;
}

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

interface Waiting {
  settle(result: string | null): void;
  outcome: string | null | undefined; // undefined: not yet
}

export class NotifyHub {
  private commandPid = 0;
  private waiting: Waiting | null = null;

  constructor(
    private readonly listener: NotifyListener,
    private readonly hooks: HubHooks,
    private readonly commandUid: number,
  ) {
    void this.loop();
  }

  get path(): string {
    return this.listener.path;
  }

  /** A new COMMAND (leading its own process group) runs: watch it become ready. */
  watch(pid: number): ReadyWatch {
    this.commandPid = pid;
    let settle!: (result: string | null) => void;
    const result = new Promise<string | null>((resolve) => (settle = resolve));
    const waiting: Waiting = { settle, outcome: undefined };
    this.waiting = waiting;
    return {
      result,
      cancel: () => {
        if (this.waiting === waiting) this.waiting = null;
      },
      readyBeforeExit: () => {
        // It may have said READY=1 and exited before our receive came round: look now.
        if (waiting.outcome === undefined) this.handleAll(this.listener.takeQueued());
        return waiting.outcome === null;
      },
    };
  }

  close(): void {
    this.listener.close();
  }

  private async loop(): Promise<void> {
    for (;;) {
      let batch: NotifyEvent[] | null;
      try {
        batch = await this.listener.receive();
      } catch {
        return; // the socket failed: readiness then comes from --ready-timeout
      }
      if (!batch) return;
      this.handleAll(batch);
    }
  }

  private handleAll(events: NotifyEvent[]): void {
    for (const event of events) if (this.accepts(event)) this.handle(event);
  }

  /**
   * From the COMMAND or its process group. A sender that is gone by the time we look (a
   * `systemd-notify --ready` helper) cannot be placed in a group any more: it counts if it ran as
   * the COMMAND's user — no other user (but root) can send to the socket: it is in our 0700
   * directory, or (--user) the COMMAND's user's, 0600, in root's 0711 one.
   */
  private accepts({ pid, uid }: NotifyEvent): boolean {
    if (!this.commandPid || pid <= 0) return false;
    if (pid === this.commandPid) return true;
    const proc = readProcStat(pid);
    return proc ? proc.pgrp === this.commandPid : uid === this.commandUid;
  }

  private handle({ message, text }: NotifyEvent): void {
    if (message.status !== undefined) this.hooks.status(message.status);
    if (message.extendTimeoutUsec !== undefined)
      this.hooks.extend(Math.min(2 ** 31 - 1, Math.ceil(message.extendTimeoutUsec / 1000)));
    const waiting = this.waiting;
    if (waiting && waiting.outcome === undefined) {
      if (message.errno !== undefined)
        this.settle(
          waiting,
          `reported ERRNO=${message.errno} (${ERRNO_NAMES.get(message.errno) ?? 'unknown error'})`,
        );
      else if (message.ready) this.settle(waiting, null);
    }
    this.hooks.forward?.(text);
  }

  private settle(waiting: Waiting, outcome: string | null): void {
    waiting.outcome = outcome;
    waiting.settle(outcome);
  }
}

/**
 * The service's notify socket: in its own directory when the path fits in sun_path, else in the
 * temp directory. A COMMAND run as another user (--user) must be able to send to it: then it is
 * in the temp directory (the service directory's parents may not let the user in), the socket
 * is that user's and the directory stays root's (NotifyListenerOptions.sender).
 */
export function openNotifyListener(
  serviceDir: string,
  owner?: { uid: number; gid: number },
): NotifyListener {
  if (owner) return NotifyListener.open({ sender: { uid: owner.uid, gid: owner.gid } });
  const fits = Buffer.byteLength(serviceDir) + '/dk-notify-XXXXXX/notify'.length <= 107;
  return NotifyListener.open(fits ? { parent: serviceDir } : {});
}
