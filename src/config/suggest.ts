/**
 * "did you mean …?" for a mistyped option or command (pure). The distance is Damerau's
 * (optimal string alignment): a swap of two neighbours counts one, so `--restart-dealy` is one
 * edit from `--restart-delay`, as a typo usually is.
 */

/** Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [
    i,
    ...Array<number>(b.length).fill(0),
  ]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate closest to `given`, or null when none is close enough to be a typo of it: at
 * most a third of its length in edits (at least 1, so `--nmae` finds `--name`); or a candidate
 * that `given` (3 characters or more) begins (`--foll` → `--follow`). Ties go to the first in
 * `candidates`' order. Case is ignored (`--Name` → `--name`).
 */
export function closest(given: string, candidates: readonly string[]): string | null {
  const word = given.toLowerCase();
  if (word.length === 0) return null;
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | null = null;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    let score = editDistance(word, c);
    // Begun but not finished: as close as a typo can be, and closer than one of the same length.
    if (word.length >= 3 && c.startsWith(word)) score = Math.min(score, limit - 0.5);
    if (score <= limit && score < bestScore) [best, bestScore] = [candidate, score];
  }
  return best;
}
