import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FailureLimiter } from './rate-limit.js';

describe('FailureLimiter', () => {
  it('allows `burst` failures per address, then asks to retry after the refill time; addresses are independent', () => {
    let now = 0;
    const l = new FailureLimiter({ burst: 3, perMinute: 6, now: () => now });
    for (let i = 0; i < 3; i++) {
      assert.equal(l.retryAfter('a'), 0);
      l.fail('a');
    }
    assert.equal(l.retryAfter('a'), 10, 'one failure forgiven every 10 s');
    assert.equal(l.retryAfter('b'), 0);
    now += 4_000;
    assert.equal(l.retryAfter('a'), 6);
    now += 6_000;
    assert.equal(l.retryAfter('a'), 0);
    l.fail('a');
    assert.ok(l.retryAfter('a') > 0, 'the refilled failure is used up');
    now += 60_000;
    assert.equal(l.retryAfter('a'), 0, 'fully refilled: forgotten');
  });

  it('keeps at most maxAddresses, forgetting the oldest', () => {
    const l = new FailureLimiter({ burst: 1, perMinute: 1, maxAddresses: 2, now: () => 0 });
    l.fail('a');
    l.fail('b');
    l.fail('c');
    assert.equal(l.retryAfter('a'), 0, 'a was forgotten');
    assert.ok(l.retryAfter('b') > 0 && l.retryAfter('c') > 0);
  });
});
