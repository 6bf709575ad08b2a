/** `start`'s options as the parser gave them, turned into the library's StartOptions. */
import type { StartOptions } from '../config/options.js';
import type { ParsedArgs } from './args.js';

export function startOptions(args: ParsedArgs): StartOptions {
  const f = args.flags;
  const o: StartOptions = {};
  if (f.chdir) o.chdir = f.chdir[0]!;
  // in the foreground: where it is run (docs/cli.md#run)
  else if (args.command === 'run') o.chdir = '.';
  if (f.umask) o.umask = f.umask[0]!;
  if (f.stdin) o.stdin = f.stdin[0]!;
  if (f.stdout) o.stdout = f.stdout[0]!;
  if (f.stderr) o.stderr = f.stderr[0]!;
  if (f.env) o.env = f.env;
  if (f.grace) o.graceMs = f.grace[0]!;
  if (f.restart) o.restart = f.restart[0]!;
  if (f.limit) o.limit = f.limit;
  if (f.nice) o.nice = f.nice[0]!;
  if (f['env-file']) o.envFile = f['env-file'][0]!;
  if (f['clear-env']) o.clearEnv = true;
  if (f['restart-delay']) o.restartDelay = f['restart-delay'][0]!;
  if (f['restart-max-delay']) o.restartMaxDelay = f['restart-max-delay'][0]!;
  if (f['min-uptime']) o.minUptime = f['min-uptime'][0]!;
  if (f['max-restarts']) o.maxRestarts = f['max-restarts'][0]!;
  if (f['restart-window']) o.restartWindow = f['restart-window'][0]!;
  if (f['log-timestamps']) o.logTimestamps = true;
  if (f['log-max-size']) o.logMaxSize = f['log-max-size'][0]!;
  if (f['log-keep']) o.logKeep = f['log-keep'][0]!;
  if (f['log-compress']) o.logCompress = true;
  if (f.ready) o.ready = f.ready[0]!;
  if (f['ready-timeout']) o.readyTimeout = f['ready-timeout'][0]!;
  if (f.user) o.user = f.user[0]!;
  if (f.group) o.group = f.group[0]!;
  return o;
}
