/**
 * The terminal for `top`: the alternate screen, no cursor, no autowrap (a line too wide is cut
 * by the terminal, never wrapped into the next), raw keys; and all of it undone on every way out:
 * `q`, Ctrl-C, SIGTERM/SIGINT/SIGHUP, an exception, process.exit from anywhere ('exit' runs
 * restore; it is synchronous). Only SIGKILL leaves the terminal as it was (`reset` repairs it).
 */
import { writeSync } from 'node:fs';

const ENTER = '\x1b[?1049h\x1b[?25l\x1b[?7l\x1b[H\x1b[2J';
/** Attributes off, autowrap and cursor back, the normal screen. */
export const LEAVE = '\x1b[0m\x1b[?7h\x1b[?25h\x1b[?1049l';

export class Terminal {
  private active = false;
  private readonly onExit = (): void => this.restore();

  get cols(): number {
    return process.stdout.columns || 80;
  }

  get lines(): number {
    return process.stdout.rows || 24;
  }

  enter(): void {
    process.once('exit', this.onExit);
    process.stdin.setRawMode(true);
    this.active = true;
    this.write(ENTER);
  }

  /** Undo enter(); again is a no-op. Never throws (the terminal may be gone: EIO). */
  restore(): void {
    if (!this.active) return;
    this.active = false;
    process.removeListener('exit', this.onExit);
    try {
      writeAll(LEAVE);
    } catch {
      // nothing to restore it on
    }
    try {
      process.stdin.setRawMode(false);
    } catch {
      // ditto
    }
    process.stdin.pause();
  }

  /** Ctrl-Z: give the terminal back, stop; on SIGCONT take it again (the caller redraws). */
  suspend(resumed: () => void): void {
    this.restore();
    process.once('SIGCONT', () => {
      this.enter();
      process.stdin.resume();
      resumed();
    });
    process.kill(process.pid, 'SIGSTOP');
  }

  write(text: string): void {
    if (this.active) writeAll(text);
  }
}

/** Write all of `text` to fd 1 now (the tty is blocking; EAGAIN only if someone made it not). */
function writeAll(text: string): void {
  const data = Buffer.from(text);
  for (let done = 0; done < data.length; ) {
    try {
      done += writeSync(1, data, done);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}
