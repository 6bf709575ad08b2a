/** `start`. */
import { isDaemonError } from '../../errors/errors.js';
import { EXIT } from '../../errors/exit-codes.js';
import { printable } from '../../config/paths.js';
import type { CommandSpec } from '../../config/spec.js';
import { quoted, shellWord, strandedArgs } from '../relative-args.js';
import { report, say, warn } from '../report.js';
import type { VerbCall } from './verb.js';

export async function start({ args, paths, valid, quiet }: VerbCall): Promise<number> {
  const { buildCommandSpec } = await import('../../config/resolve.js');
  const { startService, runningPid } = await import('../../ops/start.js');
  const { inspectService } = await import('../../service/inspect.js');
  // Bad arguments (a COMMAND not found, --stdout a directory) are an error even when the
  // service runs; already running is success (LSB) whatever this caller may not write.
  let spec: CommandSpec | undefined;
  try {
    spec = buildCommandSpec(args.rest!, valid.start!, paths);
  } catch (error) {
    if (!isDaemonError(error) || error.code !== 'NO_PERMISSION' || !inspectService(paths).running)
      throw error;
  }
  const runningNow = inspectService(paths).running ? await runningPid(paths) : null;
  if (runningNow !== null) {
    if (!quiet) say(`${paths.display}: already running, pid ${runningNow}`);
    return EXIT.OK;
  }
  // the lock went meanwhile: say why we cannot
  spec ??= buildCommandSpec(args.rest!, valid.start!, paths);
  let result: Awaited<ReturnType<typeof startService>>;
  try {
    result = await startService(paths, spec);
  } catch (error) {
    const code = report('start', error, paths);
    const hint = args.flags.chdir ? null : chdirHint(error, args.rest!, spec.chdir);
    if (hint) warn(hint); // after the stderr tail: the last line read
    return code;
  }
  if (result.started && result.logError)
    warn(`${paths.display}: ${result.logError}; output waits in the pipe until it can be written`);
  if (!quiet) {
    say(
      result.started
        ? `${paths.display}: started, pid ${result.pid}${result.childPid ? ` (command pid ${result.childPid})` : ''}`
        : `${paths.display}: already running, pid ${result.pid ?? 'unknown'}`,
    );
  }
  return EXIT.OK;
}

/** A COMMAND that ended within its grace, started without --chdir from a directory where an
 *  argument names a file that / lacks (`node server.js`): most likely it wanted to run here. */
function chdirHint(error: unknown, command: readonly string[], chdir: string): string | null {
  if (!isDaemonError(error) || error.code !== 'START_FAILED' || error.details.exit === undefined)
    return null;
  const stranded = strandedArgs(command, process.cwd(), chdir);
  if (stranded.length === 0) return null;
  return `hint: the COMMAND runs in ${chdir}, where ${quoted(stranded)} ${stranded.length > 1 ? 'do' : 'does'} not exist: did you mean --chdir ${printable(shellWord(process.cwd()))}?`;
}
