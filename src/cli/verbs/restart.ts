/** `restart`: the library's (src/restart.ts), with its stop's notes and its outcome said. */
import { EXIT } from '../../errors/exit-codes.js';
import { restartSpec, stopAndStart } from '../../ops/restart.js';
import { say, warn } from '../report.js';
import type { VerbCall } from './verb.js';

export async function restart({ args, paths, valid, quiet }: VerbCall): Promise<number> {
  const spec = await restartSpec(
    paths,
    valid.start!,
    valid.plan!,
    args.rest,
    Boolean(args.flags['update-env']),
  );
  if (args.flags.rolling) {
    const { rollingRestart } = await import('../../ops/roll.js');
    const rolled = await rollingRestart(paths, spec, valid.schedule!, { block: true });
    if (!quiet)
      say(
        rolled.rolled
          ? `${paths.display}: restarted (rolling), command pid ${rolled.pid ?? 'unknown'}`
          : `${paths.display}: was not running; started, pid ${rolled.pid ?? 'unknown'}`,
      );
    return EXIT.OK;
  }
  // Blocking, as `stop`: the CLI has nothing else to do meanwhile.
  const result = await stopAndStart(paths, spec, valid.schedule!, {
    block: true,
    stopped: (stopped) => {
      for (const note of stopped.notes) warn(note);
    },
  });
  if (!quiet)
    say(
      `${paths.display}: ${result.started ? 'restarted' : 'already running'}, pid ${result.pid ?? 'unknown'}`,
    );
  return EXIT.OK;
}
