/**
 * `top`'s screen as lines (pure): a header, the table of services, the selected one's status
 * and last log line (or its log in a pane), a message and the key help. Every line is exactly
 * `cols` cells wide; text from services is made printable (terminalSafe) here, before it is
 * measured and drawn. Colour only for states; the selected row is in reverse video and marked
 * `>` (so it shows without colour too).
 */
import { formatDuration, terminalSafe } from '../../service/format.js';
import { paintState } from '../color.js';
import { compactBytes, compactPercent, sparkline } from './history.js';
import { fit } from './width.js';

export interface Row {
  name: string;
  state: string;
  pid: number | null;
  uptimeMs: number | null;
  restarts: number;
  cpuPct: number | null;
  memBytes: number | null;
  cpuHistory: readonly (number | null)[];
  memHistory: readonly (number | null)[];
}

export interface View {
  cols: number;
  lines: number;
  color: boolean;
  rows: readonly Row[];
  selected: number;
  /** The first row shown (kept so the selection stays in sight: see scrollFor). */
  scroll: number;
  /** Left of the header: where the services live. */
  home: string;
  /** Right of the header: the refresh interval and the time. */
  clock: string;
  /** The selected service's status line. */
  detail: string;
  /** The selected service's last log lines (the last one, or the pane's). */
  log: readonly string[];
  pane: boolean;
  /** Samples in a sparkline's minute (History.size). */
  window: number;
  message: { text: string; error: boolean } | null;
}

export const MIN_COLS = 50;
export const MIN_LINES = 10;
export const HELP = '↑/↓ j/k select  r restart  s stop/start  l log  q quit';
/** Fixed columns: STATE, PID, UPTIME, RST, CPU%, MEM, after the name (with its 2-cell mark). */
const FIXED: readonly [head: string, width: number][] = [
  ['STATE', 8],
  ['PID', 7],
  ['UPTIME', 6],
  ['RST', 4],
  ['CPU%', 5],
  ['MEM', 6],
];
const FIXED_CELLS = 2 + FIXED.reduce((sum, [, w]) => sum + 1 + w, 0);

/** The name's and each sparkline's width for `cols` (sparklines go first when it is narrow). */
export function columns(cols: number): { name: number; spark: number } {
  const rest = cols - FIXED_CELLS;
  const spark = Math.min(30, Math.floor((rest - 2 - 14) / 2));
  if (spark < 4) return { name: Math.max(4, rest), spark: 0 };
  return { name: rest - 2 - 2 * spark, spark };
}

/** Rows for the table: the rest of the screen, or less than half of it with the log pane open. */
export function tableHeight(view: Pick<View, 'lines' | 'pane' | 'rows'>): number {
  const room = view.lines - 5; // header, heading, detail, message, help
  if (!view.pane) return room - 1; // and the log line
  return Math.max(3, Math.min(view.rows.length, Math.floor((room - 1) * 0.4)));
}

/** The first row to show so that `selected` is in sight, moving as little as it can. */
export function scrollFor(selected: number, scroll: number, height: number, count: number): number {
  let top = Math.min(scroll, Math.max(0, count - height));
  if (selected < top) top = selected;
  if (selected >= top + height) top = selected - height + 1;
  return Math.max(0, top);
}

const inverse = (text: string): string => `\x1b[7m${text}\x1b[27m`;
const dash = (v: number | null, f: (n: number) => string): string => (v === null ? '-' : f(v));

function rowLine(
  row: Row,
  selected: boolean,
  w: { name: number; spark: number },
  color: boolean,
  window: number,
): string {
  const cells = [
    fit(`${selected ? '>' : ' '} ${terminalSafe(row.name)}`, w.name + 2),
    paintState(
      row.state,
      fit(row.state === 'never-started' ? 'never' : row.state, 8),
      color && !selected,
    ),
    fit(dash(row.pid, String), 7, 'right'),
    fit(dash(row.uptimeMs, formatDuration), 6, 'right'),
    fit(String(row.restarts), 4, 'right'),
    fit(dash(row.cpuPct, compactPercent), 5, 'right'),
    fit(dash(row.memBytes, compactBytes), 6, 'right'),
    ...(w.spark > 0
      ? [
          sparkline(row.cpuHistory, w.spark, { window, floor: 100 }),
          sparkline(row.memHistory, w.spark, { window, span: 0.1 }),
        ]
      : []),
  ];
  const line = cells.join(' ');
  return selected ? inverse(line) : line;
}

export function render(view: View): string[] {
  const { cols, lines } = view;
  if (cols < MIN_COLS || lines < MIN_LINES) {
    const out = Array<string>(lines).fill(' '.repeat(Math.max(0, cols)));
    out[0] = fit(`terminal ${cols}x${lines}: top needs ${MIN_COLS}x${MIN_LINES} (q quits)`, cols);
    return out;
  }
  const w = columns(cols);
  const running = view.rows.filter((r) =>
    ['running', 'starting', 'stopping', 'backoff'].includes(r.state),
  ).length;
  const failed = view.rows.filter((r) => r.state === 'failed' || r.state === 'dead').length;
  const summary = `daemonkit top: ${view.rows.length} service${view.rows.length === 1 ? '' : 's'}, ${running} running${failed ? `, ${failed} failed` : ''}  ${terminalSafe(view.home)}`;
  const clockWidth = Math.min(view.clock.length, cols - 10);
  const out = [`${fit(summary, cols - clockWidth - 1)} ${fit(view.clock, clockWidth, 'right')}`];
  const heading = [
    fit('  NAME', w.name + 2),
    ...FIXED.map(([h, width], i) => fit(h, width, i === 0 ? 'left' : 'right')),
    ...(w.spark > 0 ? [fit('CPU 1m', w.spark), fit('MEM 1m', w.spark)] : []),
  ].join(' ');
  out.push(inverse(fit(heading, cols)));
  const height = tableHeight(view);
  for (let i = 0; i < height; i++) {
    const row = view.rows[view.scroll + i];
    out.push(
      row
        ? rowLine(row, view.scroll + i === view.selected, w, view.color, view.window)
        : ' '.repeat(cols),
    );
  }
  if (view.rows.length === 0) out[2] = fit(`  no services under ${terminalSafe(view.home)}`, cols);
  out.push(fit(terminalSafe(view.detail), cols));
  const safeLog = view.log.map((l) => terminalSafe(l));
  if (view.pane) {
    const name = view.rows[view.selected]?.name ?? '';
    out.push(inverse(fit(` log of ${terminalSafe(name)} (l closes) `, cols)));
    const room = lines - out.length - 2;
    const shown = safeLog.slice(-room);
    for (let i = 0; i < room; i++) out.push(fit(shown[i] ?? '', cols));
  } else {
    out.push(fit(`log: ${safeLog.at(-1) ?? ''}`, cols));
  }
  const msg = view.message ? terminalSafe(view.message.text) : '';
  out.push(
    view.message?.error && view.color ? `\x1b[31m${fit(msg, cols)}\x1b[39m` : fit(msg, cols),
  );
  out.push(inverse(fit(` ${HELP}`, cols)));
  return out;
}
