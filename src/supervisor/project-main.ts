#!/usr/bin/env node
/**
 * The shared supervisor's entry: its program (project-program.ts) loaded as a lazy bundle with a
 * V8 code cache, as the service supervisor's (main.ts): a project's service stops through this
 * process, whose stop and exit paths compiled from source on each stop without one
 * (docs/decisions.md, "A stop's fifth pass"). The cache is written at the process's end by a
 * supervisor that found none (partial if no service of it was stopped: sys/cache-mark.ts).
 *
 * Nothing but the loader comes before the program's handlers (its first lines): a signal before
 * them takes its default action, as during node's own boot, and the launcher waits for the
 * program's word that it is ready.
 */
import { cachePaths, installLazyLoader, saveCompileCache } from '../sys/compile-cache.js';
import { stopRan } from '../sys/cache-mark.js';

const { lazyDir, dir } = cachePaths();
installLazyLoader(lazyDir, process.env.DAEMONKIT_DISABLE_COMPILE_CACHE ? null : dir);
process.on('exit', () => saveCompileCache(stopRan()));
void import('./project-program.js');
