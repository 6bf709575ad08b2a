/**
 * Daemon side of detaching: recognise a re-exec'd daemon (marker + pipes), scrub the marker,
 * read the payload and offer the report channel back to the launcher.
 */
import { closeSync, fstatSync, readSync, writeSync } from 'node:fs';
import { setCloexec } from '../sys/native.js';
import { MARKER, PAYLOAD_FD, REPORT_FD, type ReportMessage } from './channel.js';

export interface DaemonChannel {
  payload: unknown;
  report(msg: ReportMessage): void;
  /** Close the report pipe: the launcher sees EOF. Idempotent. */
  close(): void;
}

function isPipe(fd: number): boolean {
  try {
    return fstatSync(fd).isFIFO();
  } catch {
    return false;
  }
}

// The marker and the pipes are there once per process: the first caller owns them.
let taken = false;

/**
 * The channel when this process is a daemon launched by daemonkit, else null. The marker is
 * removed from the environment either way, so it never leaks into programs we start.
 */
export function attachDaemon(env: NodeJS.ProcessEnv = process.env): DaemonChannel | null {
  if (taken) return null;
  taken = true;
  const marker = env[MARKER];
  delete env[MARKER];
  if (!marker || !isPipe(REPORT_FD) || !isPipe(PAYLOAD_FD)) return null;
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(65536);
  for (;;) {
    const n = readSync(PAYLOAD_FD, buf, 0, buf.length, null);
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  closeSync(PAYLOAD_FD);
  setCloexec(REPORT_FD); // held until ready, but never by the programs we start
  const payload: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  let open = true;
  return {
    payload,
    report(msg) {
      if (!open) return;
      try {
        writeSync(REPORT_FD, `${JSON.stringify(msg)}\n`);
      } catch {
        open = false; // the launcher is gone (Ctrl-C): nobody to tell
      }
    },
    close() {
      if (!open) return;
      open = false;
      closeSync(REPORT_FD);
    },
  };
}
