// The dependency order of a services file (pure): levels to start in parallel, each after the
// one before it; a cycle named, never an order.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dependencyLevels, only, withDependencies } from '../../dist/project/order.js';

const g = (obj) => new Map(Object.entries(obj));

describe('dependencyLevels', () => {
  const table = [
    ['no services', {}, { levels: [] }],
    ['independent ones: one level, in the file order', { b: [], a: [] }, { levels: [['b', 'a']] }],
    [
      'a chain',
      { web: ['db'], db: [], worker: ['web'] },
      { levels: [['db'], ['web'], ['worker']] },
    ],
    [
      'a diamond: a level is one above the highest dependency',
      { db: [], cache: [], web: ['db', 'cache'], worker: ['db'], cron: ['web', 'worker'] },
      { levels: [['db', 'cache'], ['web', 'worker'], ['cron']] },
    ],
    ['a service after itself', { a: ['a'] }, { cycle: ['a', 'a'] }],
    ['two in a cycle', { a: ['b'], b: ['a'] }, { cycle: ['a', 'b', 'a'] }],
    [
      'a cycle behind a sound part: only the cycle is named',
      { db: [], x: ['db', 'z'], y: ['x'], z: ['y'], w: ['x'] },
      { cycle: ['x', 'z', 'y', 'x'] },
    ],
  ];
  for (const [what, graph, want] of table)
    it(what, () => assert.deepEqual(dependencyLevels(g(graph)), want));
});

describe('withDependencies and only', () => {
  const graph = g({ db: [], cache: [], web: ['db'], worker: ['web', 'cache'] });
  it('a service brings what it starts after, transitively', () => {
    assert.deepEqual([...withDependencies(graph, ['worker'])].sort(), [
      'cache',
      'db',
      'web',
      'worker',
    ]);
    assert.deepEqual([...withDependencies(graph, ['web'])].sort(), ['db', 'web']);
  });
  it('levels restricted to some services drop the empty ones', () => {
    assert.deepEqual(only([['db', 'cache'], ['web'], ['worker']], new Set(['db', 'worker'])), [
      ['db'],
      ['worker'],
    ]);
  });
});
