#!/usr/bin/env -S node --
// `node --`: Node 20 takes an `--env-file` anywhere in its argv — even after the script — for
// its own; after `--` everything is the script's, so `daemonkit start --env-file F` is ours.
/**
 * daemonkit's command line: the only layer that prints or sets exit codes. It parses,
 * validates once, and loads only the module the command needs (start-up is paid by every call).
 */
import { exitFast } from '../sys/exit.js';
import { actOnCaughtSignals, catchSignals } from '../sys/signals.js';
import { cachePaths, installLazyLoader, saveCompileCache } from '../sys/compile-cache.js';
import { EXIT } from '../errors/exit-codes.js';
import { err, out } from './print.js';
import { terminalSafe } from '../service/format.js';

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

function version(): number {
  out('daemonkit 0.1.0\n');
  return EXIT.OK;
}

// Exit as soon as the command is done (our writes are synchronous: print.ts): scripts that call
// us in a loop should not wait for the event loop to wind down.
// A signal caught while the command ran is acted on before we exit (unrouted, it ends us by it).
const argv = process.argv.slice(2);
// `--version` needs none of the commands' code (the next bundle: ~1 ms); `stop` has an entry
// with its own module inside (entry-stop.ts), the others load theirs lazily.
(argv[0] === '--version'
  ? Promise.resolve(version())
  : (argv[0] === 'stop' ? import('./entry-stop.js') : import('./entry.js')).then(({ main }) =>
      main(argv),
    )
).then(
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
