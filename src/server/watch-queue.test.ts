import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WatchMessage } from './watch-hub.js';
import { WatchQueue } from './watch-queue.js';

const deleted = (id: string): WatchMessage => ({
  type: 'deleted',
  data: { id, time: '2026-01-01T00:00:00Z' },
});

describe('watch queue', () => {
  it('holds serialised messages in order and counts their bytes', () => {
    const q = new WatchQueue(10, 10_000);
    q.push(deleted('File/default/a'));
    q.push({ type: 'event', data: { seq: 7 } as never });
    assert.equal(q.length, 2);
    const first = q.shift()!;
    assert.deepEqual(first, {
      event: 'deleted',
      data: JSON.stringify(deleted('File/default/a').data),
      id: undefined,
    });
    assert.equal(q.bytes, JSON.stringify({ seq: 7 }).length);
    assert.equal(q.shift()!.id, '7');
    assert.equal(q.bytes, 0);
  });

  it('overflows past its byte bound and drops what it held', () => {
    const size = JSON.stringify(deleted('File/default/a').data).length;
    const q = new WatchQueue(1_000, size * 3);
    for (let i = 0; i < 3; i++) q.push(deleted('File/default/a'));
    assert.equal(q.overflowed, false);
    q.push(deleted('File/default/a'));
    assert.equal(q.overflowed, true);
    assert.equal(q.length, 0);
    assert.equal(q.bytes, 0);
    q.push(deleted('File/default/b'));
    assert.equal(q.length, 0, 'nothing is queued once overflown');
  });

  it('overflows past its message bound', () => {
    const q = new WatchQueue(2, 1_000_000);
    for (let i = 0; i < 3; i++) q.push(deleted(`File/default/${i}`));
    assert.equal(q.overflowed, true);
  });
});
