#!/usr/bin/env -S node --
// `node --`: Node 20 takes an `--env-file` anywhere in its argv — even after the script — for
// its own; after `--` everything is the script's, so `daemonkit start --env-file F` is ours.
/**
 * daemonkit's command line: the only layer that prints or sets exit codes. It parses,
 * validates once, and loads only the module the command needs (start-up is paid by every call).
 */
import { exitFast } from '../sys/exit.js';
import { actOnCaughtSignals, catchSignals } from '../sys/signals.js';
import { cachePaths, installLazyLoader, saveCompileCache } from './compile-cache.js';
import { parseArgs, unknownCommand, type ParsedArgs } from './args.js';
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

// First thing: every signal a command documents is caught from here on and acted on from the
// event loop — by the command's route once it has one (run, logs -f), else by ending us with it
// (sys/signals.ts). So no command is cut between two steps that belong together (fork and hand
// over, a stop request and its signal), and none ever starts anything unguarded: node's own boot,
// before this line, is the one moment a signal takes its default action, and nothing has been
// started then.
catchSignals();

// Before the first lazy bundle loads (the commands): see compile-cache.ts.
// DAEMONKIT_DISABLE_COMPILE_CACHE=1 goes without (as NODE_DISABLE_COMPILE_CACHE does for node's).
const { lazyDir, dir } = cachePaths();
installLazyLoader(lazyDir, process.env.DAEMONKIT_DISABLE_COMPILE_CACHE ? null : dir);

/** An unknown command word, also where help for it was asked: one line, exit 2. */
function unknown(word: string): number {
  err(`daemonkit: ${terminalSafe(unknownCommand(word))}\n`);
  return EXIT.BAD_ARGS;
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    const asked = argv[0] === 'help' && argv[1] !== 'help' ? argv[1] : undefined; // help COMMAND
    const help = asked !== undefined ? (await import('./help.js')).commandHelp(asked) : null;
    if (asked !== undefined && help === null) return unknown(asked);
    out(help ?? `${USAGE}\n`);
    return argv.length === 0 ? EXIT.BAD_ARGS : EXIT.OK;
  }
  if (argv[0] === '--version') {
    out('daemonkit 0.1.0\n');
    return EXIT.OK;
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
  const { runCommand } = await import('./commands.js');
  return runCommand(args as ParsedArgs, problems);
}

// Exit as soon as the command is done (our writes are synchronous: print.ts): scripts that call
// us in a loop should not wait for the event loop to wind down.
// A signal caught while the command ran is acted on before we exit (unrouted, it ends us by it).
main(process.argv.slice(2)).then(
  async (code) => {
    await actOnCaughtSignals();
    saveCompileCache();
    exitFast(code);
  },
  (error: unknown) => {
    // Never a stack trace for the user: one line, and a generic failure code — for status
    // "unknown" (LSB), since its 1 says "dead" (e.g. the native module is missing: native-load.ts).
    err(`daemonkit: ${terminalSafe((error as Error)?.message ?? String(error))}\n`);
    process.exit(process.argv[2] === 'status' ? EXIT.STATUS_UNKNOWN : EXIT.GENERIC);
  },
);
