/** Log sizes for --log-max-size (pure): `10M`, `256K`, `1G`, `512` (bytes); binary units. */

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/** Rotation below this would rotate on almost every line: refuse it as a mistake. */
export const MIN_LOG_SIZE = 4096;

/** Bytes, or null when `text` is not a size. */
export function parseSize(text: string): number | null {
  const m = /^([0-9]{1,12})(?:\.([0-9]{1,3}))?\s*([a-zA-Z]*)$/.exec(text.trim());
  if (!m) return null;
  const unit = UNITS[m[3]!.toLowerCase()];
  if (unit === undefined) return null;
  if (m[2] !== undefined && unit === 1) return null; // half a byte
  const value = Math.floor(Number(`${m[1]}.${m[2] ?? '0'}`) * unit);
  return Number.isSafeInteger(value) ? value : null;
}

export function formatSize(bytes: number): string {
  for (const [unit, size] of [
    ['G', 1024 ** 3],
    ['M', 1024 ** 2],
    ['K', 1024],
  ] as const) {
    if (bytes >= size) return `${(bytes / size).toFixed(bytes % size === 0 ? 0 : 1)}${unit}`;
  }
  return `${bytes}B`;
}
