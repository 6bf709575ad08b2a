/**
 * `daemonkit top`: the loop. A refresh every interval (a timer, nothing between: no CPU spent
 * while it waits), a redraw on a key or a resize (SIGWINCH), the terminal restored on every way
 * out (terminal.ts). Only changed lines are rewritten (cheap over ssh).
 */
import { isatty } from 'node:tty';
import { daemonkitHome } from '../../paths.js';
import { statusLine } from '../../format.js';
import { EXIT } from '../../exit-codes.js';
import { err } from '../print.js';
import { runCli } from './actions.js';
import { History } from './history.js';
import { decodeKeys, moveSelection, type Key } from './keys.js';
import { render, scrollFor, tableHeight, type View } from './layout.js';
import { sample, type Service } from './sample.js';
import { lastLines, logPath } from './tail.js';
import { Terminal } from './terminal.js';

export interface TopOptions {
  intervalMs: number;
  color: boolean;
}

const RUNNING = new Set(['running', 'starting', 'stopping', 'backoff']);
const SIGNALS = { SIGTERM: 15, SIGINT: 2, SIGHUP: 1 } as const;

export async function runTop(options: TopOptions): Promise<number> {
  if (!isatty(0) || !isatty(1)) {
    err('daemonkit: top needs a terminal (its stdin and stdout); for scripts use \'daemonkit list\' (--json)\n');
    return EXIT.BAD_ARGS;
  }
  const home = daemonkitHome();
  const term = new Terminal();
  const history = new History(options.intervalMs);
  let services: Service[] = [];
  let selectedName: string | null = null;
  let selected = 0;
  let scroll = 0;
  let pane = false;
  let log: string[] = [];
  let message: View['message'] = null;
  let drawn: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const busy = new Set<string>();

  return new Promise<number>((resolve, reject) => {
    const finish = (code: number, error?: unknown): void => {
      clearTimeout(timer);
      term.restore(); // before anything is said: the normal screen must get it
      process.stdout.removeListener('resize', full);
      for (const sig of Object.keys(SIGNALS)) process.removeListener(sig, onSignal);
      process.removeListener('uncaughtException', onCrash);
      process.stdin.removeListener('data', onData);
      if (error !== undefined) reject(error);
      else resolve(code);
    };
    const onSignal = (sig: keyof typeof SIGNALS): void => finish(128 + SIGNALS[sig]);
    // A fault outside our own callbacks: the terminal back first, then one line (main.ts).
    const onCrash = (error: unknown): void => finish(EXIT.GENERIC, error);
    const guard = <A extends unknown[]>(fn: (...args: A) => void) => (...args: A): void => {
      try {
        fn(...args);
      } catch (error) {
        finish(EXIT.GENERIC, error);
      }
    };

    const readLog = (): void => {
      const s = services[selected];
      try {
        log = s?.paths ? lastLines(logPath(s.paths), pane ? term.lines : 1) : [];
      } catch (error) {
        log = [`(${(error as Error).message})`];
      }
    };
    const draw = (): void => {
      const view: View = {
        cols: term.cols, lines: term.lines, color: options.color, rows: services.map((s) => s.row), selected, scroll, home,
        clock: `every ${options.intervalMs % 1000 === 0 ? `${options.intervalMs / 1000}s` : `${options.intervalMs}ms`}  ${new Date().toTimeString().slice(0, 8)}`,
        detail: services[selected] ? statusLine(services[selected]!.status) : '', log, pane, message, window: history.size,
      };
      scroll = view.scroll = scrollFor(selected, scroll, tableHeight(view), services.length);
      const lines = render(view);
      let out = '';
      lines.forEach((line, i) => {
        if (drawn[i] !== line) out += `\x1b[${i + 1};1H${line}`;
      });
      drawn = lines;
      term.write(out);
    };
    const full = guard((): void => {
      drawn = [];
      term.write('\x1b[H\x1b[2J');
      draw();
    });
    const refresh = guard((): void => {
      const began = Date.now();
      try {
        services = sample(home, history, began);
      } catch (error) {
        message = { text: `cannot read the services: ${(error as Error).message}`, error: true };
      }
      // The selection stays on its service while others come and go.
      const at = services.findIndex((s) => s.status.name === selectedName);
      selected = at >= 0 ? at : Math.min(selected, Math.max(0, services.length - 1));
      selectedName = services[selected]?.status.name ?? null;
      readLog();
      draw();
      timer = setTimeout(refresh, Math.max(0, options.intervalMs - (Date.now() - began)));
    });
    const act = (key: Key): void => {
      const s = services[selected];
      if (!s) return;
      const name = s.status.name;
      if (!s.identity) {
        message = { text: `${name}: its files are another user's: not acted on`, error: true };
        return;
      }
      if (busy.has(name)) {
        message = { text: `${name}: still busy with the last key`, error: true };
        return;
      }
      const verb = key === 'restart' ? 'restart' : RUNNING.has(s.status.state) ? 'stop' : 'start';
      // A start is a restart of a stopped service: its COMMAND and options as recorded.
      const args = [verb === 'stop' ? 'stop' : 'restart', ...s.identity];
      busy.add(name);
      message = { text: `${name}: ${verb === 'stop' ? 'stopping' : verb === 'start' ? 'starting' : 'restarting'}…`, error: false };
      runCli(args, guard(({ ok, line }) => {
        busy.delete(name);
        message = { text: line, error: !ok };
        clearTimeout(timer);
        refresh();
      }));
    };
    const onData = guard((data: Buffer | string): void => {
      for (const key of decodeKeys(data.toString('latin1'))) {
        if (key === 'quit') return finish(EXIT.OK);
        if (key === 'suspend') return term.suspend(full);
        if (key === 'redraw') full();
        else if (key === 'log') pane = !pane;
        else if (key === 'restart' || key === 'toggle') act(key);
        else {
          selected = moveSelection(key, selected, services.length, Math.max(1, tableHeight({ lines: term.lines, pane, rows: services.map((s) => s.row) }) - 1));
          selectedName = services[selected]?.status.name ?? null;
        }
      }
      readLog();
      draw();
    });

    for (const sig of Object.keys(SIGNALS)) process.on(sig, onSignal);
    process.on('uncaughtException', onCrash);
    term.enter();
    process.stdin.on('data', onData);
    process.stdout.on('resize', full);
    refresh();
  });
}
