/** The launcher's end of the daemon's report pipe (channel.ts): what became of the launch. */
import { closeSync, read } from 'node:fs';
import { DaemonError } from '../errors/errors.js';
import type { ReportMessage } from './channel.js';
import type { LaunchOutcome } from './launch.js';

/**
 * Read report lines until a terminal message, or EOF (the daemon died first). fs.read in the
 * thread pool on the (blocking) pipe, not a net.Socket: node:net and its stream modules cost
 * every start a few ms to load.
 */
export function readReport(fd: number): Promise<LaunchOutcome> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(4096);
    let buffer = Buffer.alloc(0); // bytes: a character may be cut between two reads
    const finish = (fn: () => void): void => {
      closeSync(fd);
      fn();
    };
    const next = (): void =>
      read(fd, chunk, 0, chunk.length, null, (error, n) => {
        if (error || n === 0)
          return finish(() =>
            reject(new DaemonError('START_FAILED', 'the daemon exited before it was ready')),
          );
        buffer = Buffer.concat([buffer, chunk.subarray(0, n)]);
        let nl: number;
        while ((nl = buffer.indexOf(0x0a)) >= 0) {
          const line = buffer.toString('utf8', 0, nl);
          buffer = buffer.subarray(nl + 1);
          let msg: ReportMessage;
          try {
            msg = JSON.parse(line) as ReportMessage;
          } catch {
            continue;
          }
          if (msg.type === 'ready')
            return finish(() =>
              resolve({
                kind: 'ready',
                pid: msg.pid,
                ...(msg.childPid ? { childPid: msg.childPid } : {}),
                ...(msg.logError ? { logError: msg.logError } : {}),
              }),
            );
          if (msg.type === 'running') return finish(() => resolve({ kind: 'running' }));
          if (msg.type === 'error')
            return finish(() =>
              reject(
                new DaemonError(msg.code as DaemonError['code'], msg.message, msg.details ?? {}),
              ),
            );
        }
        next();
      });
    next();
  });
}
