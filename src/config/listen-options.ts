/** --listen and --listen-mode, checked with the other start options by their rows (pure). */
import type { Problems, StartOptions, ValidStart } from './options.js';
import { MAX_FDS } from '../sys/limits.js';
import { DEFAULT_LISTEN_MODE, type ListenAddr } from './listen-addr.js';
import { checkList, checkOption, optionRow } from './table/index.js';

export function validateListen(opts: StartOptions, out: ValidStart, problems: Problems): void {
  const listen = checkList(optionRow('listen'), opts.listen ?? []);
  for (const why of listen.whys) problems.add(why);
  out.listen = listen.values as ListenAddr[];
  out.listenMode = DEFAULT_LISTEN_MODE;
  if (out.listen.length > MAX_FDS - 3)
    problems.add(`too many --listen sockets (${out.listen.length}): at most ${MAX_FDS - 3}`);
  if (opts.listenMode !== undefined) {
    out.listenMode =
      checkOption<number>('listen-mode', opts.listenMode, problems) ?? out.listenMode;
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
