/**
 * A memo kept for the length of one command's work, shared by every lazy bundle's copy of the
 * module that asks for it (scripts/bundle.mjs gives each bundle its own copy, so it lives on
 * globalThis under a registered symbol). Held while any keeper holds it; the last release drops it.
 */
type Held<T> = { value: T; keepers: number };
const store = globalThis as { [key: symbol]: Held<unknown> | undefined };

/** Hold the memo under `key` (made by `make` if none is held) until the returned function is
 *  called (again: nothing more). */
export function keep<T>(key: symbol, make: () => T): () => void {
  const held = (store[key] ??= { value: make(), keepers: 0 });
  held.keepers++;
  let done = false;
  return () => {
    if (done) return;
    done = true;
    if (--held.keepers === 0) delete store[key];
  };
}

/** The memo under `key` while someone holds it. */
export const kept = <T>(key: symbol): T | undefined => store[key]?.value as T | undefined;
