/**
 * A log's blocks as whole lines (pure): for showing several services' logs interleaved, where a
 * line must reach the output whole or another service's would land inside it. The part of a
 * line not yet ended is held until its end comes — at most MAX_HELD bytes: a service that writes
 * without a newline cannot grow our memory; past that, what is held is given as a line of its
 * own (ended by a newline we add).
 */
const NEWLINE = 0x0a;
export const MAX_HELD = 1 << 20;

export class LineSplitter {
  private held: Buffer[] = [];
  private heldBytes = 0;

  /** The lines `chunk` ends, each with its newline (the first begun by earlier chunks). */
  push(chunk: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let from = 0;
    for (let at = chunk.indexOf(NEWLINE); at >= 0; at = chunk.indexOf(NEWLINE, from)) {
      const piece = chunk.subarray(from, at + 1);
      lines.push(this.heldBytes > 0 ? Buffer.concat([...this.held, piece]) : piece);
      this.held = [];
      this.heldBytes = 0;
      from = at + 1;
    }
    let rest = chunk.subarray(from);
    while (rest.length > 0) {
      const room = MAX_HELD - this.heldBytes;
      this.held.push(rest.subarray(0, room));
      this.heldBytes += Math.min(room, rest.length);
      rest = rest.subarray(room);
      if (this.heldBytes === MAX_HELD) lines.push(this.end()!);
    }
    return lines;
  }

  /** What is held, ended by a newline (the log ended inside a line); null when nothing is. */
  end(): Buffer | null {
    if (this.heldBytes === 0) return null;
    const line = Buffer.concat([...this.held, Buffer.from('\n')]);
    this.held = [];
    this.heldBytes = 0;
    return line;
  }
}
