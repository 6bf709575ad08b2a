/** `stop`. */
import { EXIT } from '../../errors/exit-codes.js';
import { say, warn } from '../report.js';
import type { VerbCall } from './verb.js';

export async function stop({ paths, valid, quiet }: VerbCall): Promise<number> {
  const { stopService } = await import('../../ops/stop.js');
  // Blocking: the CLI has nothing else to do while it waits (no thread pool to start for it).
  const result = await stopService(paths, valid.schedule!, { block: true });
  for (const note of result.notes) warn(note);
  if (!quiet)
    say(result.wasRunning ? `${paths.display}: stopped` : `${paths.display}: not running`);
  return EXIT.OK;
}
