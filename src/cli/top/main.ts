/**
 * `daemonkit top`: the loop. A refresh every interval (a timer, nothing between: no CPU spent
 * while it waits), a redraw on a key or a resize (SIGWINCH), the terminal restored on every way
 * out (terminal.ts). Only changed lines are rewritten (cheap over ssh).
 */
import { isatty } from 'node:tty';
import { daemonkitHome } from '../../config/paths.js';
import { statusLine } from '../../service/format.js';
import { EXIT } from '../../errors/exit-codes.js';
import { err } from '../print.js';
import { runCli } from './actions.js';
import { History } from './history.js';
import { decodeKeys, moveSelection, type Key } from './keys.js';
import { render, scrollFor, tableHeight, type View } from './layout.js';
import { sample, type Service } from './sample.js';
import { lastLines, logSource } from './tail.js';
import { Terminal } from './terminal.js';

export interface TopOptions {
  intervalMs: number;
  color: boolean;
}

const RUNNING = new Set(['running', 'starting', 'stopping', 'backoff']);
const SIGNALS = { SIGTERM: 15, SIGINT: 2, SIGHUP: 1 } as const;

export async function runTop(options: TopOptions): Promise<number> {
  if (!isatty(0) || !isatty(1)) {
    err(
      "daemonkit: top needs a terminal (its stdin and stdout); for scripts use 'daemonkit list' (--json)\n",
    );
    return EXIT.BAD_ARGS;
  }
  return new Promise<number>((resolve, reject) =>
    new Top(options, daemonkitHome(), resolve, reject).start(),
  );
}

class Top {
  private readonly term = new Terminal();
  private readonly history: History;
  private services: Service[] = [];
  private selected = 0;
  /** The selected service's name: the selection stays on it while others come and go. */
  private selectedName: string | null = null;
  private scroll = 0;
  private pane = false;
  private log: string[] = [];
  private message: View['message'] = null;
  private drawn: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private done = false;
  /** Services with an action (r, s) still running. */
  private readonly busy = new Set<string>();

  constructor(
    private readonly options: TopOptions,
    private readonly home: string,
    private readonly resolve: (code: number) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    this.history = new History(options.intervalMs);
  }

  /** Handlers first (a signal from the first moment restores the terminal), then the screen. */
  start(): void {
    for (const sig of Object.keys(SIGNALS)) process.on(sig, this.onSignal);
    process.on('uncaughtException', this.onCrash);
    this.term.enter();
    process.stdin.on('data', this.onData);
    process.stdout.on('resize', this.full);
    this.refresh();
  }

  private finish(code: number, error?: unknown): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.term.restore(); // before anything is said: the normal screen must get it
    process.stdout.removeListener('resize', this.full);
    for (const sig of Object.keys(SIGNALS)) process.removeListener(sig, this.onSignal);
    process.removeListener('uncaughtException', this.onCrash);
    process.stdin.removeListener('data', this.onData);
    if (error !== undefined) this.reject(error);
    else this.resolve(code);
  }

  private readonly onSignal = (sig: keyof typeof SIGNALS): void => this.finish(128 + SIGNALS[sig]);
  /** A fault outside our own callbacks: the terminal back first, then one line (main.ts). */
  private readonly onCrash = (error: unknown): void => this.finish(EXIT.GENERIC, error);

  /** `fn`, with a fault in it ending top as a crash does. */
  private guarded(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.finish(EXIT.GENERIC, error);
    }
  }

  private readonly refresh = (): void =>
    this.guarded(() => {
      if (this.done) return; // an action that ends after q: nothing more to draw
      const began = Date.now();
      try {
        this.services = sample(this.home, this.history, began);
      } catch (error) {
        this.message = {
          text: `cannot read the services: ${(error as Error).message}`,
          error: true,
        };
      }
      const at = this.services.findIndex((s) => s.status.name === this.selectedName);
      this.select(at >= 0 ? at : Math.min(this.selected, Math.max(0, this.services.length - 1)));
      this.draw();
      this.timer = setTimeout(
        this.refresh,
        Math.max(0, this.options.intervalMs - (Date.now() - began)),
      );
    });

  private readonly full = (): void =>
    this.guarded(() => {
      this.drawn = [];
      this.term.write('\x1b[H\x1b[2J');
      this.draw();
    });

  private readonly onData = (data: Buffer): void =>
    this.guarded(() => {
      for (const key of decodeKeys(data.toString('latin1'))) {
        if (key === 'quit') return this.finish(EXIT.OK);
        if (key === 'suspend') return this.term.suspend(this.full);
        if (key === 'redraw') this.full();
        else if (key === 'log') this.pane = !this.pane;
        else if (key === 'restart' || key === 'toggle') this.act(key);
        else
          this.select(
            moveSelection(
              key,
              this.selected,
              this.services.length,
              Math.max(1, this.tableHeight() - 1),
            ),
          );
      }
      this.draw();
    });

  private tableHeight(): number {
    return tableHeight({
      lines: this.term.lines,
      pane: this.pane,
      rows: this.services.map((s) => s.row),
    });
  }

  private select(index: number): void {
    this.selected = index;
    this.selectedName = this.services[index]?.status.name ?? null;
  }

  /** The selected service's last log line, or as many as the pane can show. */
  private readLog(): void {
    const s = this.services[this.selected];
    try {
      this.log = s?.paths ? lastLines(logSource(s.paths), this.pane ? this.term.lines : 1) : [];
    } catch (error) {
      this.log = [`(${(error as Error).message})`];
    }
  }

  private draw(): void {
    this.readLog();
    const { intervalMs } = this.options;
    const selected = this.services[this.selected];
    const view: View = {
      cols: this.term.cols,
      lines: this.term.lines,
      color: this.options.color,
      rows: this.services.map((s) => s.row),
      selected: this.selected,
      scroll: this.scroll,
      home: this.home,
      clock: `every ${intervalMs % 1000 === 0 ? `${intervalMs / 1000}s` : `${intervalMs}ms`}  ${new Date().toTimeString().slice(0, 8)}`,
      detail: selected ? statusLine(selected.status) : '',
      log: this.log,
      pane: this.pane,
      message: this.message,
      window: this.history.size,
    };
    this.scroll = view.scroll = scrollFor(
      this.selected,
      this.scroll,
      tableHeight(view),
      this.services.length,
    );
    const lines = render(view);
    let out = '';
    lines.forEach((line, i) => {
      if (this.drawn[i] !== line) out += `\x1b[${i + 1};1H${line}`;
    });
    this.drawn = lines;
    this.term.write(out);
  }

  /** r: restart; s: stop a running service, start (restart, as recorded) a stopped one. */
  private act(key: Key): void {
    const s = this.services[this.selected];
    if (!s) return;
    const name = s.status.name;
    if (!s.identity) {
      this.message = { text: `${name}: its files are another user's: not acted on`, error: true };
      return;
    }
    if (this.busy.has(name)) {
      this.message = { text: `${name}: still busy with the last key`, error: true };
      return;
    }
    const verb = key === 'restart' ? 'restart' : RUNNING.has(s.status.state) ? 'stop' : 'start';
    this.busy.add(name);
    this.message = {
      text: `${name}: ${{ restart: 'restarting', stop: 'stopping', start: 'starting' }[verb]}…`,
      error: false,
    };
    runCli([verb === 'stop' ? 'stop' : 'restart', ...s.identity], ({ ok, line }) =>
      this.guarded(() => {
        this.busy.delete(name);
        this.message = { text: line, error: !ok };
        clearTimeout(this.timer);
        this.refresh(); // at once: the new pid, the new state
      }),
    );
  }
}
