/**
 * The receiving side of sd_notify: an AF_UNIX datagram socket in a private (0700) directory, as
 * a service manager offers it through NOTIFY_SOCKET. Every message comes with its sender's pid,
 * from the kernel (SO_PASSCRED), so the caller can accept only its service's processes (systemd's
 * NotifyAccess=main|all); the listener itself filters nothing.
 *
 *   const listener = NotifyListener.open();
 *   spawn(…, { env: { NOTIFY_SOCKET: listener.path } });
 *   for await (const { pid, message } of listener) if (pid === child.pid && message.ready) …
 *   listener.close();   // or `break`: the iteration closes it
 *
 * Waiting is a poll() in libuv's thread pool (one thread per listener while a receive is
 * pending, like the pidfd waits), not a timer. close() wakes that wait through an eventfd, so
 * it ends at once; until then a pending receive keeps the event loop alive, like a listening
 * server. A listener still open at process exit is closed then (a pending receive would
 * otherwise hold up libuv's exit-time join of its thread pool, and the socket file would stay).
 * Making the socket is bind.ts's; how fast a flood is read, budget.ts's.
 */
import { closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { DaemonError } from '../errors/errors.js';
import { notifyReceive, notifyReceiveNow, notifyWake, type NotifyDatagram } from '../sys/native.js';
import { bindSocket, makeSocketDir } from './bind.js';
import { ReadBudget } from './budget.js';
import { parseNotify, type NotifyMessage } from './protocol.js';
import { openToSender, removeSocketDir, senderParent, type Sender } from './socket-dir.js';

export interface NotifyEvent {
  /** The sending process, as the kernel saw it (0: outside our PID namespace). */
  pid: number;
  uid: number;
  gid: number;
  /** The datagram as sent, and parsed. */
  text: string;
  message: NotifyMessage;
}

/** A listener's fds and place, to hand from one process to another. */
export interface NotifyHandle {
  fd: number;
  wake: number;
  path: string;
  dir: string;
}

export interface NotifyListenerOptions {
  /** Where the private directory is made (default: the OS temp dir). The socket's whole path
   *  must fit in 107 bytes. */
  parent?: string;
  /**
   * Another user who must send to it (root running a COMMAND as that user): the socket becomes
   * theirs (0600) and the directory root's 0711, searchable but not writable (see socket-dir.ts).
   * The parent must then be safe from other users (else NO_PERMISSION).
   */
  sender?: Sender;
}

// Close what is left open at exit: the socket files go, and a pending receive is woken (libuv
// joins its pool threads at exit, and would wait for it forever).
const open = new Set<NotifyListener>();
let exitHook = false;
function closeAllAtExit(): void {
  for (const listener of open) listener.close();
}
function track(listener: NotifyListener): NotifyListener {
  open.add(listener);
  if (!exitHook) process.on('exit', closeAllAtExit);
  exitHook = true;
  return listener;
}

export class NotifyListener implements AsyncIterable<NotifyEvent> {
  /** The socket's path: what NOTIFY_SOCKET should say. */
  readonly path: string;
  /** The private directory holding it (0700, ours; 0711 with a `sender`). */
  readonly dir: string;
  private readonly fd: number;
  private readonly wake: number;
  private isClosed = false;
  private inflight: Promise<unknown> | null = null;
  private fdsOpen = true;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly budget = new ReadBudget();

  private constructor(dir: string, path: string, fds: { fd: number; wake: number }) {
    this.dir = dir;
    this.path = path;
    this.fd = fds.fd;
    this.wake = fds.wake;
  }

  /** Make the private directory and bind the socket in it. Throws NOTIFY_FAILED (NO_PERMISSION:
   *  a `sender` and an unsafe parent). */
  static open(options: NotifyListenerOptions = {}): NotifyListener {
    const parent = options.sender
      ? senderParent(options.parent ?? tmpdir())
      : (options.parent ?? tmpdir());
    const dir = makeSocketDir(parent);
    const { path, fds } = bindSocket(dir);
    const listener = track(new NotifyListener(dir, path, fds));
    if (options.sender) {
      try {
        openToSender(dir, path, options.sender);
      } catch (error) {
        listener.close();
        throw new DaemonError(
          'NOTIFY_FAILED',
          `cannot let uid ${options.sender.uid} send to ${path}: ${(error as Error).message}`,
          { path },
          { cause: error },
        );
      }
    }
    return listener;
  }

  /**
   * A listener made in another process (the launcher) for us: its fds, inherited, and where it
   * lives. We remove the socket when we close it.
   */
  static adopt(handle: NotifyHandle): NotifyListener {
    return track(new NotifyListener(handle.dir, handle.path, { fd: handle.fd, wake: handle.wake }));
  }

  /**
   * Give the socket to a process we start (it adopts it): the caller passes these fds on and then
   * closes its copies; this object forgets them and no longer removes the socket at our exit.
   */
  handOver(): NotifyHandle {
    if (this.isClosed || this.inflight)
      throw new DaemonError(
        'NOTIFY_FAILED',
        `the notify socket ${this.path} is closed or in use: it cannot be handed over`,
      );
    this.isClosed = true;
    this.fdsOpen = false;
    open.delete(this);
    return { fd: this.fd, wake: this.wake, path: this.path, dir: this.dir };
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * The next messages: waits until at least one arrives, then resolves with all that are
   * queued, oldest first. null once the listener is closed. Calls made while one is pending
   * queue up behind it. Datagrams over 4096 bytes are dropped, as systemd drops them.
   */
  receive(): Promise<NotifyEvent[] | null> {
    const next = this.tail.then(() => this.receiveNow());
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** The messages queued right now, without waiting ([] when none, or closed). */
  takeQueued(): NotifyEvent[] {
    if (this.isClosed) return [];
    try {
      return notifyReceiveNow(this.fd)
        .filter((d) => !d.truncated)
        .map(toEvent);
    } catch {
      return [];
    }
  }

  private async receiveNow(): Promise<NotifyEvent[] | null> {
    for (;;) {
      await this.budget.wait();
      if (this.isClosed) return null;
      const pending = notifyReceive(this.fd, this.wake);
      this.inflight = pending;
      let batch: NotifyDatagram[] | null;
      try {
        batch = await pending;
      } catch (error) {
        throw new DaemonError(
          'NOTIFY_FAILED',
          `cannot receive notifications on ${this.path}: ${(error as Error).message}`,
          { path: this.path },
          { cause: error },
        );
      } finally {
        this.inflight = null;
        if (this.isClosed) this.closeFds();
      }
      if (batch === null) return null;
      this.budget.spend(batch.length);
      const events = batch.filter((d) => !d.truncated).map(toEvent);
      if (events.length > 0) return events;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<NotifyEvent, void, undefined> {
    try {
      for (;;) {
        const batch = await this.receive();
        if (!batch) return;
        yield* batch;
      }
    } finally {
      this.close();
    }
  }

  /**
   * Stop listening: remove the socket and its directory (senders now get ENOENT), end a pending
   * receive (it resolves null) and close the fds once it has. Idempotent.
   */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    notifyWake(this.wake);
    open.delete(this);
    removeSocketDir(this.path, this.dir);
    if (!this.inflight) this.closeFds(); // else when the pending poll() has returned
  }

  private closeFds(): void {
    if (!this.fdsOpen) return;
    this.fdsOpen = false;
    closeSync(this.fd);
    closeSync(this.wake);
  }
}

function toEvent(d: NotifyDatagram): NotifyEvent {
  const text = d.data.toString('utf8');
  return { pid: d.pid, uid: d.uid, gid: d.gid, text, message: parseNotify(text) };
}
