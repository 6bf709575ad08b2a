/**
 * `stop`'s entry: entry.ts itself, bundled with the stop's module (ops/stop.ts) inside
 * (scripts/bundle.mjs), where other commands load that as a lazy bundle of its own. A stop is on
 * the path of every restart and shutdown, and its caller waits: one bundle read and one code
 * cache deserialized fewer, the modules both share initialized once (docs/decisions.md, "A
 * stop's fifth pass"). main.ts picks it when the first argument is `stop`; it does all that
 * entry.ts does, so any command run through it runs alike.
 */
export { main } from './entry.js';
