/**
 * How fast one notify listener reads. A sender in a loop is read at most BUDGET datagrams per
 * WINDOW_MS (1,000 a second): beyond that the next receive waits for the window's end, and the
 * sender blocks on the full socket queue, as sd_notify's senders do. Unbounded, a flood of
 * ~20,000 a second cost a supervisor 15-30 % of a core; a service's few messages a second are
 * never held back.
 */
const BUDGET = 100;
const WINDOW_MS = 100;

export class ReadBudget {
  private window = { start: 0, count: 0 };

  /** Wait, if this window's datagrams are read, for the next window. */
  async wait(): Promise<void> {
    const now = Date.now();
    if (now - this.window.start >= WINDOW_MS) this.window = { start: now, count: 0 };
    else if (this.window.count >= BUDGET) {
      await new Promise((resolve) => setTimeout(resolve, this.window.start + WINDOW_MS - now));
      this.window = { start: Date.now(), count: 0 };
    }
  }

  /** `n` datagrams were read. */
  spend(n: number): void {
    this.window.count += n;
  }
}
