/**
 * Exit at once, without node's teardown: it joins its worker and thread-pool threads one by one
 * (~3 ms measured on the stop path, docs/decisions.md). Only for a process whose writes are
 * synchronous (nothing is buffered in node) and whose files are closed or written. The 'exit'
 * listeners still run. Where node's teardown has work of its own to do (a --cpu-prof profile,
 * coverage for NODE_V8_COVERAGE), or the native module is not loaded (it is never loaded just to
 * exit: `daemonkit --help` needs none), it exits the usual way.
 */

/** _exit(2), set by native.ts once the module is loaded (a bundle may hold its own copy of
 *  native.ts: one slot for all). */
const EXIT_NOW = Symbol.for('daemonkit.exitNow');
type Slot = { [EXIT_NOW]?: (code: number) => never };

export function offerExitNow(exitNow: (code: number) => never): void {
  (globalThis as Slot)[EXIT_NOW] = exitNow;
}

const TEARDOWN_FLAGS = /^--(cpu-prof|heap-prof|prof)/;

function teardownWanted(): boolean {
  if (process.env.NODE_V8_COVERAGE) return true;
  const options = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  return options.split(/\s+/).some((flag) => TEARDOWN_FLAGS.test(flag));
}

export function exitFast(code: number): never {
  const exitNow = (globalThis as Slot)[EXIT_NOW];
  if (!exitNow || teardownWanted()) return process.exit(code);
  process.exitCode = code;
  process.emit('exit', code);
  return exitNow(code);
}
