/**
 * `top`'s keys that act — r restart, s stop or start — run our own CLI as a child: the very
 * `restart` and `stop` a user would type (their options merged as recorded, their locks and
 * waits), while top keeps drawing. The child is in a session of its own, so an action top began
 * finishes even if top quits meanwhile; its output goes to an unnamed file (O_TMPFILE: no name
 * for anyone to swap) that top reads when it ends.
 */
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readSync, constants as C } from 'node:fs';
import { tmpdir } from 'node:os';

const O_TMPFILE = 0o20000000 | C.O_DIRECTORY;

export interface ActionResult {
  ok: boolean;
  /** The command's last line (its result, or its error). */
  line: string;
}

function unnamedFile(): number | null {
  try {
    return openSync(tmpdir(), O_TMPFILE | C.O_RDWR, 0o600);
  } catch {
    return null; // a file system without O_TMPFILE: the exit code alone is reported
  }
}

function lastLine(fd: number): string {
  const size = fstatSync(fd).size;
  const buf = Buffer.alloc(Math.min(size, 4096));
  readSync(fd, buf, 0, buf.length, size - buf.length);
  return (
    buf
      .toString('utf8')
      .trim()
      .split('\n')
      .at(-1)
      ?.replace(/^daemonkit: /, '') ?? ''
  );
}

/** Run `daemonkit ARGS`; `done` gets its result. */
export function runCli(args: readonly string[], done: (result: ActionResult) => void): void {
  const out = unnamedFile();
  const stdio = out === null ? 'ignore' : out;
  const child = spawn(process.execPath, ['--', process.argv[1]!, ...args], {
    stdio: ['ignore', stdio, stdio],
    detached: true,
  });
  let finished = false;
  const finish = (code: number | null, signal: string | null, error?: Error): void => {
    if (finished) return;
    finished = true;
    let line = error ? error.message : '';
    try {
      if (out !== null) {
        line ||= lastLine(out);
        closeSync(out);
      }
    } catch {
      // the file could not be read: the exit code says enough
    }
    const ok = code === 0;
    done({
      ok,
      line: line || (ok ? 'done' : signal ? `killed by ${signal}` : `failed (exit ${code})`),
    });
  };
  child.once('error', (error) => finish(null, null, error));
  child.once('exit', (code, signal) => finish(code, signal));
}
