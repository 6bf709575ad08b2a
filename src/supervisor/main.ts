#!/usr/bin/env node
/**
 * The supervisor's entry: its program (program.ts) loaded as a lazy bundle with a V8 code cache
 * (sys/compile-cache.ts), as the CLI's commands are. A supervisor compiled its code from source
 * at each boot, and its stop and exit paths, cold, when a `stop` came: ~1 ms of every stop
 * (docs/decisions.md, "A stop's fourth pass"). The cache is written at the process's end (after
 * the lock went: no `stop` waits for it) by a supervisor that found none, so it holds what a
 * whole life ran, the stop included (a life without a stop makes a partial one, which the next
 * supervisor that stops replaces: sys/cache-mark.ts).
 *
 * Nothing but the loader comes before the program's handlers (its first lines): a signal before
 * them takes its default action, as during node's own boot, and a `stop` does not signal before
 * the state says they are in place.
 */
import { cachePaths, installLazyLoader, saveCompileCache } from '../sys/compile-cache.js';
import { stopRan } from '../sys/cache-mark.js';

const { lazyDir, dir } = cachePaths();
installLazyLoader(lazyDir, process.env.DAEMONKIT_DISABLE_COMPILE_CACHE ? null : dir);
// At the end (exitFast emits 'exit' before its _exit): the caches this run made, partial if its
// service was never stopped (sys/cache-mark.ts).
process.on('exit', () => saveCompileCache(stopRan()));
void import('./program.js');
