/**
 * The CLI's output, written to fds 1 and 2 directly. The first touch of process.stdout or
 * process.stderr builds a stream and loads Node's stream modules: ~4.5 ms measured, more than all
 * of `status` costs otherwise, for one line. Writes are synchronous (as process.stdout's are on
 * Linux for files and pipes), so exiting right after loses nothing. An fd that takes only part of
 * the text now (a full pipe someone left non-blocking: EAGAIN) or fails gets the rest through the
 * stream, as every write went before.
 */
import { writeSync } from 'node:fs';

function print(fd: 1 | 2, text: string): void {
  const data = Buffer.from(text);
  let done = 0;
  try {
    for (let n = 1; n > 0 && done < data.length; done += n) n = writeSync(fd, data, done);
  } catch {
    // the stream below takes it from here
  }
  if (done < data.length) (fd === 1 ? process.stdout : process.stderr).write(data.subarray(done));
}

export const out = (text: string): void => print(1, text);
export const err = (text: string): void => print(2, text);
