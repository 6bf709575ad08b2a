/**
 * The order services start and stop in (pure): levels of a dependency graph, each level's
 * services independent of each other (started in parallel), every service after the ones it
 * names in `after`. Stops run the levels in reverse. A cycle has no order: it is named instead.
 */

/** service → the services it starts after (each a key of the graph). */
export type Graph = ReadonlyMap<string, readonly string[]>;

export type Order = { levels: string[][] } | { cycle: string[] };

/**
 * Kahn's algorithm by levels: a service's level is one above the highest of those it comes after.
 * Within a level, names keep the graph's order (the file's). A cycle: `{ cycle: [a, b, a] }`.
 */
export function dependencyLevels(graph: Graph): Order {
  const level = new Map<string, number>();
  const levels: string[][] = [];
  let placed = 0;
  while (placed < graph.size) {
    const now: string[] = [];
    for (const [name, after] of graph) {
      if (level.has(name)) continue;
      if (after.every((dep) => level.has(dep))) now.push(name);
    }
    if (now.length === 0) return { cycle: findCycle(graph, level) };
    for (const name of now) level.set(name, levels.length);
    levels.push(now);
    placed += now.length;
  }
  return { levels };
}

/** A cycle among the services not placed: followed from one of them until a name comes back. */
function findCycle(graph: Graph, placed: ReadonlyMap<string, number>): string[] {
  const left = [...graph.keys()].filter((name) => !placed.has(name));
  const path: string[] = [];
  const seen = new Map<string, number>();
  let at = left[0]!;
  while (!seen.has(at)) {
    seen.set(at, path.length);
    path.push(at);
    // Every unplaced service comes after at least one unplaced one: follow that.
    at = graph.get(at)!.find((dep) => !placed.has(dep))!;
  }
  return [...path.slice(seen.get(at)), at];
}

/** The names given and every service they come after, transitively (what `up web` must start). */
export function withDependencies(graph: Graph, names: readonly string[]): Set<string> {
  const out = new Set<string>();
  const visit = (name: string): void => {
    if (out.has(name)) return;
    out.add(name);
    for (const dep of graph.get(name) ?? []) visit(dep);
  };
  for (const name of names) visit(name);
  return out;
}

/** The levels restricted to some services (empty levels dropped). */
export function only(levels: readonly string[][], names: ReadonlySet<string>): string[][] {
  return levels.map((l) => l.filter((n) => names.has(n))).filter((l) => l.length > 0);
}
