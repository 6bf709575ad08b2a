/**
 * listenFds(): the sockets a service manager passed to this process, by sd_listen_fds(3)'s
 * protocol (daemonkit's --listen, systemd's socket units, systemd-socket-activate alike): fds 3,
 * 4, … counted by LISTEN_FDS, named by LISTEN_FDNAMES, meant for this process only if LISTEN_PID
 * is its pid. As sd_listen_fds(unset_environment=1): the variables are cleared once read (a child
 * of ours must not take them for its own) and the fds made close-on-exec; the answer is kept, so
 * a second call gives the same sockets.
 */
import { DaemonError } from '../errors/errors.js';
import { setCloexec } from '../sys/native.js';

export interface ListenFd {
  fd: number;
  /** Its name (`--listen NAME=…`, FileDescriptorName=); `unknown` when it has none. */
  name: string;
}

/** SD_LISTEN_FDS_START */
const FIRST_FD = 3;
let taken: ListenFd[] | null = null;

export function listenFds(env: NodeJS.ProcessEnv = process.env): ListenFd[] {
  if (taken) return taken.map((s) => ({ ...s }));
  const { LISTEN_PID: pid, LISTEN_FDS: count, LISTEN_FDNAMES: names } = env;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  // Not passed to us (none, or meant for the process that exec'd us and passed its env on).
  if (pid === undefined || count === undefined || pid !== String(process.pid)) return [];
  if (!/^[0-9]{1,4}$/.test(count))
    throw new DaemonError('BAD_OPTION', `LISTEN_FDS=${count} is not a number of sockets`);
  const n = Number(count);
  const list = names === undefined ? [] : names.split(':');
  if (names !== undefined && list.length !== n)
    throw new DaemonError(
      'BAD_OPTION',
      `LISTEN_FDNAMES names ${list.length} sockets, but LISTEN_FDS says ${n}`,
    );
  taken = Array.from({ length: n }, (_, i) => ({
    fd: FIRST_FD + i,
    name: list[i] || 'unknown',
  }));
  for (const s of taken) setCloexec(s.fd);
  return taken.map((s) => ({ ...s }));
}
