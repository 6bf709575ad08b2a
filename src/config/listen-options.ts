/** --listen and --listen-mode, checked with the other start options (pure). */
import { printable } from './paths.js';
import type { Problems, StartOptions, ValidStart } from './options.js';
import { MAX_FDS } from '../sys/limits.js';
import {
  DEFAULT_LISTEN_MODE,
  describeListen,
  parseListen,
  parseListenMode,
} from './listen-addr.js';

export function validateListen(opts: StartOptions, out: ValidStart, problems: Problems): void {
  out.listen = [];
  out.listenMode = DEFAULT_LISTEN_MODE;
  const seen = new Map<string, string>();
  for (const text of opts.listen ?? []) {
    const addr = parseListen(text);
    if (typeof addr === 'string') {
      problems.add(`invalid --listen '${printable(text)}': ${addr}`);
      continue;
    }
    const key = describeListen(addr);
    const before = seen.get(key);
    if (before !== undefined)
      problems.add(
        `invalid --listen '${printable(text)}': the same address as --listen '${printable(before)}'`,
      );
    seen.set(key, text);
    out.listen.push(addr);
  }
  if (out.listen.length > MAX_FDS - 3)
    problems.add(`too many --listen sockets (${out.listen.length}): at most ${MAX_FDS - 3}`);
  if (opts.listenMode !== undefined) {
    const text =
      typeof opts.listenMode === 'number' ? opts.listenMode.toString(8) : opts.listenMode;
    const mode = parseListenMode(text);
    if (typeof mode === 'string')
      problems.add(`invalid --listen-mode '${printable(text)}': ${mode}`);
    else out.listenMode = mode;
    if (!out.listen.some((a) => a.kind === 'unix'))
      problems.add('--listen-mode needs a --listen unix:PATH');
  }
  // The sockets are fds 3, 4, …: a readiness fd must come after them.
  const first = 3 + out.listen.length;
  if (out.ready?.kind === 'fd' && out.listen.length > 0 && out.ready.fd < first)
    problems.add(
      `invalid --ready fd:${out.ready.fd}: fds 3 to ${first - 1} are the --listen sockets (use fd:${first} or above)`,
    );
}
