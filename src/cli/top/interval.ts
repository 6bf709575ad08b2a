/** `top --interval`: how often it refreshes (pure). Its range (100ms to 1h: faster would cost a
 *  core on 200 services, see docs/decisions.md; slower is not "live") is its row's. */
import type { Problems } from '../../config/options.js';
import { checkOption, optionRow } from '../../config/table/index.js';

const row = optionRow('interval');
const parsedDefault = row.kind.parse(row.default!);
export const DEFAULT_INTERVAL_MS = parsedDefault.ok ? (parsedDefault.value as number) : 1000;

export function validateInterval(text: string | undefined, problems: Problems): number {
  if (text === undefined) return DEFAULT_INTERVAL_MS;
  return checkOption<number>('interval', text, problems) ?? DEFAULT_INTERVAL_MS;
}
