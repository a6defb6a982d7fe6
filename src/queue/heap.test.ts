/** The indexed heap under the queue: pop order, and moving an improved entry up in place. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Heap } from './heap.js';

interface Item {
  rank: number;
  heapIndex: number;
}

const item = (rank: number): Item => ({ rank, heapIndex: -1 });

describe('Heap', () => {
  it('pops in rank order whatever the push order', () => {
    const heap = new Heap<Item>((a, b) => a.rank < b.rank);
    const ranks = Array.from({ length: 500 }, (_, i) => (i * 7919) % 500);
    for (const r of ranks) heap.push(item(r));
    const out: number[] = [];
    for (let x = heap.pop(); x; x = heap.pop()) out.push(x.rank);
    assert.deepEqual(
      out,
      [...ranks].sort((a, b) => a - b),
    );
    assert.equal(heap.size, 0);
  });

  it('moves an entry up when its rank improves', () => {
    const heap = new Heap<Item>((a, b) => a.rank < b.rank);
    const entries = [10, 20, 30, 40, 50].map(item);
    for (const e of entries) heap.push(e);
    entries[4].rank = 5;
    heap.improved(entries[4]);
    assert.deepEqual([heap.pop()?.rank, heap.pop()?.rank], [5, 10]);
  });
});
