/**
 * The command line's first steps: help, the arguments parsed and validated, the command run. A
 * lazy bundle of its own (scripts/bundle.mjs) with the commands' module (one bundle, not two: the
 * modules both import were in each, initialized twice, ~1 ms of every command), loaded by main.ts
 * with the code cache: the CLI's first bundle, which node compiles without one, stays small.
 */
import { parseArgs, unknownCommand, type ParsedArgs } from './args.js';
import { runCommand } from './commands.js';
import { EXIT } from '../errors/exit-codes.js';
import { err, out } from './print.js';
import { terminalSafe } from '../service/format.js';

const USAGE = `usage:
  daemonkit start   [options] -- COMMAND [ARG...]
  daemonkit stop    [options]
  daemonkit restart [options] [-- COMMAND [ARG...]]
  daemonkit status  [options] [--json]
  daemonkit reload  [options] [--signal NAME]
  daemonkit run     [options] -- COMMAND [ARG...]
  daemonkit reopen  [options]                         (close and reopen the log files)
  daemonkit logs    [options] [-n N] [-f]
  daemonkit list    [--json]                          (alias: ls)
  daemonkit rm      [options]                         (remove a stopped service's files)
  daemonkit export systemd [--name NAME] [--user] [options] [-- COMMAND [ARG...]]
  daemonkit top     [--interval DURATION]             (a live view of every service)
  daemonkit completion bash|zsh|fish                  (a completion script)
  daemonkit up      [-f FILE] [SERVICE...]            (the services of daemonkit.toml)
  daemonkit down    [-f FILE] [SERVICE...]
identity: --name NAME | --pidfile PATH (or the NAME alone where no COMMAND is given)
COMMAND --help lists its options; docs/cli.md has every option and exit code`;

/** An unknown command word, also where help for it was asked: one line, exit 2. */
function unknown(word: string): number {
  err(`daemonkit: ${terminalSafe(unknownCommand(word))}\n`);
  return EXIT.BAD_ARGS;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    const asked = argv[0] === 'help' && argv[1] !== 'help' ? argv[1] : undefined; // help COMMAND
    const help = asked !== undefined ? (await import('./help.js')).commandHelp(asked) : null;
    if (asked !== undefined && help === null) return unknown(asked);
    out(help ?? `${USAGE}\n`);
    return argv.length === 0 ? EXIT.BAD_ARGS : EXIT.OK;
  }
  const beforeCommand = argv.indexOf('--') < 0 ? argv : argv.slice(0, argv.indexOf('--'));
  if (beforeCommand.includes('--help') || beforeCommand.includes('-h')) {
    const { commandHelp } = await import('./help.js'); // COMMAND --help: its own options
    const help = commandHelp(argv[0]);
    if (help === null && !argv[0]!.startsWith('-')) return unknown(argv[0]!); // `bogus --help`: as `bogus`
    out(help ?? `${USAGE}\n`);
    return EXIT.OK;
  }
  const { args, problems } = parseArgs(argv);
  if (!args) {
    for (const p of problems) err(`daemonkit: ${terminalSafe(p)}\n`);
    return EXIT.BAD_ARGS;
  }
  // The options are validated too, so that every problem is reported at once.
  return runCommand(args as ParsedArgs, problems);
}
