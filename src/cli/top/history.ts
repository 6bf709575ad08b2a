/**
 * The last minute of each service's CPU and memory (pure): one sample per refresh, and a
 * sparkline of them. CPU % is the COMMAND's process group's CPU time over the refresh's wall
 * time (100 % is one core); a COMMAND seen for the first time, or a new one (a restart), has
 * no CPU % until its second sample.
 */

export const WINDOW_MS = 60_000;
const BARS = '▁▂▃▄▅▆▇█';

export interface GroupSample {
  /** The COMMAND's pid, or null when there is none (not running, in a backoff wait). */
  commandPid: number | null;
  /** CPU time of its process group's live members and of their reaped children, in ms. */
  cpuMs: number;
  rssBytes: number;
}

interface Track {
  cpu: (number | null)[];
  mem: (number | null)[];
  last: { commandPid: number; cpuMs: number; at: number } | null;
}

export class History {
  private readonly tracks = new Map<string, Track>();
  /** Samples in a minute at this refresh interval. */
  readonly size: number;

  constructor(intervalMs: number) {
    this.size = Math.max(1, Math.round(WINDOW_MS / intervalMs));
  }

  /** Record a refresh's sample of `name` taken at `at` (ms); returns its CPU % (null: not known
   *  yet). */
  add(name: string, sample: GroupSample | null, at: number): number | null {
    let track = this.tracks.get(name);
    if (!track) this.tracks.set(name, (track = { cpu: [], mem: [], last: null }));
    let cpu: number | null = null;
    const last = track.last;
    const pid = sample?.commandPid ?? null;
    if (pid !== null && last && last.commandPid === pid && at > last.at) {
      // A member that left the group took its time with it: never below 0.
      cpu = Math.max(0, (sample!.cpuMs - last.cpuMs) / (at - last.at)) * 100;
    }
    track.last = pid !== null ? { commandPid: pid, cpuMs: sample!.cpuMs, at } : null;
    push(track.cpu, cpu, this.size);
    push(track.mem, pid !== null ? sample!.rssBytes : null, this.size);
    return cpu;
  }

  /** Forget services no longer listed. */
  keepOnly(names: ReadonlySet<string>): void {
    for (const name of this.tracks.keys()) if (!names.has(name)) this.tracks.delete(name);
  }

  cpu(name: string): readonly (number | null)[] {
    return this.tracks.get(name)?.cpu ?? [];
  }

  mem(name: string): readonly (number | null)[] {
    return this.tracks.get(name)?.mem ?? [];
  }
}

function push<T>(list: T[], value: T, size: number): void {
  list.push(value);
  if (list.length > size) list.splice(0, list.length - size);
}

export interface Scale {
  /** Samples in the whole window: each cell covers a fixed share of it, so the line grows from
   *  the right. */
  window: number;
  /** CPU: 0 to this or the highest value (100 %: an idle service stays low). */
  floor?: number;
  /** Memory: from the lowest value, spanning at least this share of the highest (0.1: a flat line
   *  stays at the bottom, a 10 % growth fills the height). */
  span?: number;
}

/**
 * A sparkline `width` cells wide of `values` (oldest first), right-aligned: the newest is at the
 * right edge. Each cell shows the highest of its run of samples (a spike stays visible). No
 * value (not running): a blank.
 */
export function sparkline(values: readonly (number | null)[], width: number, scale: Scale): string {
  if (width <= 0) return '';
  const per = Math.max(1, Math.ceil(Math.max(values.length, scale.window) / width));
  const cells: (number | null)[] = [];
  // Runs taken from the newest end, so the last cell always holds the latest sample.
  for (let end = values.length; end > 0 && cells.length < width; end -= per) {
    const run = values.slice(Math.max(0, end - per), end).filter((v): v is number => v !== null);
    cells.unshift(run.length ? Math.max(...run) : null);
  }
  const known = cells.filter((v): v is number => v !== null);
  const peak = Math.max(scale.floor ?? 0, ...known);
  const low = scale.span === undefined || known.length === 0 ? 0 : Math.min(...known);
  const high = scale.span === undefined ? peak : Math.max(peak, low + peak * scale.span);
  const level = (v: number): number =>
    high > low ? Math.min(7, Math.round(((v - low) / (high - low)) * 7)) : 0;
  return cells
    .map((v) => (v === null ? ' ' : BARS[level(v)]!))
    .join('')
    .padStart(width);
}

/** A size in at most 6 cells: 512B, 9.5K, 812M, 1.2G (binary units). */
export function compactBytes(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let value = bytes;
  let unit = 0;
  while (value >= 999.5 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit > 0 && value < 9.95 ? value.toFixed(1) : Math.round(value)}${units[unit]}`;
}

/** CPU % in at most 5 cells: 0.0 to 99.9, then whole numbers (several cores: 250). */
export const compactPercent = (pct: number): string =>
  pct < 99.95 ? pct.toFixed(1) : String(Math.round(pct));
