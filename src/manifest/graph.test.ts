import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dependencyClosure, findCycles } from './graph.js';

describe('findCycles', () => {
  it('finds no cycle in a DAG', () => {
    const edges = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', []],
    ]);
    assert.deepEqual(findCycles(edges.keys(), edges), []);
  });

  it('reports each cycle with its members', () => {
    const edges = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['d']],
      ['e', ['a']],
    ]);
    const cycles = findCycles(edges.keys(), edges).map((c) => [...c].sort());
    assert.deepEqual(cycles.sort(), [['a', 'b', 'c'], ['d']]);
  });

  it('ignores dependencies on unknown ids', () => {
    const edges = new Map([['a', ['missing']]]);
    assert.deepEqual(findCycles(edges.keys(), edges), []);
  });

  it('handles a chain of 100,000 without overflowing the stack', () => {
    const edges = new Map<string, string[]>();
    for (let i = 0; i < 100_000; i++) edges.set(`n${i}`, i > 0 ? [`n${i - 1}`] : ['n99999']);
    const cycles = findCycles(edges.keys(), edges);
    assert.equal(cycles.length, 1);
    assert.equal(cycles[0].length, 100_000);
  });
});

describe('dependencyClosure', () => {
  it('includes transitive dependencies', () => {
    const edges = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', []],
      ['d', []],
    ]);
    assert.deepEqual([...dependencyClosure(['a'], edges)].sort(), ['a', 'b', 'c']);
  });
});
