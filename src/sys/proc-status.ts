/**
 * Readers of /proc/PID/status: all its fields, one field without taking the other 50 apart, and
 * a process's real and effective uid. Within a report (withOneProcScan) each file is read once
 * per process: `list` asks about a project's shared supervisor once per service.
 */
import { inScan, onceInScan, readNow } from './prefetch.js';

/** Selected fields of /proc/PID/status (VmRSS, RssAnon, SigIgn, Umask, …) as strings. */
export function readProcStatus(pid: number): Record<string, string> | null {
  const text = statusText(pid);
  if (text === null) return null;
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** One field of /proc/PID/status ("VmRSS", "Uid"), or null: without taking the other 50 apart. */
export function procStatusField(pid: number, field: string): string | null {
  const text = statusText(pid);
  if (text === null) return null;
  const head = `${field}:`;
  let at = 0;
  if (!text.startsWith(head)) {
    at = text.indexOf(`\n${head}`) + 1;
    if (at === 0) return null;
  }
  const end = text.indexOf('\n', at);
  return text.slice(at + head.length, end < 0 ? undefined : end).trim();
}

/** /proc/PID/status, or null when the process is gone. Within one scan (withOneProcScan) read
 *  once per process: `list` asks for the uids of a project's shared supervisor once per service. */
function statusText(pid: number): string | null {
  return onceInScan(`status ${pid}`, () => statusNow(pid));
}

const statusNow = (pid: number): string | null => readNow(`/proc/${pid}/status`);

/** A process's real and effective uid (/proc/PID/status), or null when it is gone. */
export function processUids(pid: number): { real: number; effective: number } | null {
  // Within a scan once per process: `list` asks about a project's supervisor once per service.
  if (!inScan()) return uidsNow(pid);
  const kept = onceInScan('uids', () => new Map<number, ReturnType<typeof uidsNow>>());
  let ids = kept.get(pid);
  if (ids === undefined) kept.set(pid, (ids = uidsNow(pid)));
  return ids;
}

function uidsNow(pid: number): { real: number; effective: number } | null {
  const ids = procStatusField(pid, 'Uid')?.split(/\s+/).map(Number);
  return ids && ids.length >= 2 && ids.every(Number.isInteger)
    ? { real: ids[0]!, effective: ids[1]! }
    : null;
}
