import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryLog } from './replay.js';

describe('webhook delivery log', () => {
  it('refuses a key seen within the window, by any of its keys, and forgets it after the window', () => {
    let now = 0;
    const log = new DeliveryLog({ windowMs: 1_000, maxEntries: 100, now: () => now });
    assert.equal(log.admit(['body:a', 'id:1']), undefined);
    assert.equal(log.admit(['body:a', 'id:2']), 'body:a', 'same body, new id');
    assert.equal(log.admit(['body:b', 'id:1']), 'id:1', 'same id, new body');
    assert.equal(log.admit(['body:b', 'id:2']), undefined, 'a refused delivery was not recorded');
    now = 999;
    assert.equal(log.admit(['body:a']), 'body:a');
    now = 1_000;
    assert.equal(log.admit(['body:a']), undefined, 'forgotten after the window');
  });

  it('keeps at most maxEntries keys, forgetting the oldest first', () => {
    const log = new DeliveryLog({ windowMs: 60_000, maxEntries: 3 });
    for (const k of ['a', 'b', 'c', 'd']) assert.equal(log.admit([k]), undefined);
    assert.equal(log.size, 3);
    assert.equal(log.admit(['a']), undefined, 'the oldest was forgotten');
    assert.equal(log.admit(['d']), 'd');
  });
});
