/**
 * The token bucket on real timers: burst, rate over a window (generous
 * bounds), FIFO among waiters, tryTake not overtaking, and abort.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { QueueError } from './errors.js';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('starts full and gives exactly `burst` tokens at once', () => {
    const bucket = new TokenBucket({ rate: 1, burst: 5 });
    const taken = Array.from({ length: 8 }, () => bucket.tryTake());
    assert.deepEqual(taken, [true, true, true, true, true, false, false, false]);
  });

  it('defaults to 50 tokens a second and a burst of 100', () => {
    const bucket = new TokenBucket();
    assert.equal(bucket.rate, 50);
    assert.equal(bucket.burst, 100);
    let n = 0;
    while (bucket.tryTake()) n++;
    assert.ok(n >= 100 && n <= 101, `${n} tokens`);
  });

  it('refills at `rate` tokens a second', async () => {
    const bucket = new TokenBucket({ rate: 200, burst: 1 });
    let taken = 0;
    const started = performance.now();
    while (performance.now() - started < 500) {
      await bucket.take();
      taken++;
    }
    const elapsed = (performance.now() - started) / 1000;
    // Never more than `rate` a second plus the burst it starts with; a busy machine may take fewer, so
    // the lower side only asks that refills happened at all (no timing assertion on a shared CPU).
    assert.ok(taken <= 1 + Math.ceil(200 * elapsed) + 1, `${taken} tokens in ${elapsed.toFixed(3)} s`);
    assert.ok(taken > 1, 'the bucket refilled');
  });

  it('never holds more than `burst` tokens after a quiet spell', async () => {
    const bucket = new TokenBucket({ rate: 1000, burst: 3 });
    await sleep(30);
    assert.ok(bucket.available() <= 3);
    let n = 0;
    while (bucket.tryTake()) n++;
    assert.equal(n, 3);
  });

  it('serves waiters first come, first served, and tryTake does not overtake them', async () => {
    const bucket = new TokenBucket({ rate: 100, burst: 1 });
    assert.ok(bucket.tryTake());
    const order: number[] = [];
    const waiters = [1, 2, 3, 4].map((n) => bucket.take().then(() => order.push(n)));
    await sleep(5);
    assert.equal(bucket.waiting(), 4);
    assert.equal(bucket.tryTake(), false);
    await Promise.all(waiters);
    assert.deepEqual(order, [1, 2, 3, 4]);
    assert.equal(bucket.waiting(), 0);
  });

  it('rejects an aborted take with the reason, takes no token, and still serves the others', async () => {
    const bucket = new TokenBucket({ rate: 20, burst: 1 });
    assert.ok(bucket.tryTake());
    const controller = new AbortController();
    const first = bucket.take(controller.signal);
    const second = bucket.take();
    controller.abort(new Error('stopping'));
    await assert.rejects(first, /stopping/);
    const started = performance.now();
    await second;
    // The aborted waiter took nothing: the second got the next token, about 50 ms after the first was taken.
    assert.ok(performance.now() - started < 200);
    await assert.rejects(bucket.take(AbortSignal.abort(new Error('already'))), /already/);
  });

  it('refuses a rate or burst that cannot work', () => {
    for (const bad of [{ rate: 0 }, { rate: -1 }, { burst: 0.5 }, { rate: Number.NaN }]) {
      assert.throws(
        () => new TokenBucket(bad),
        (err: unknown) => err instanceof QueueError && err.code === 'SETPOINT_QUEUE_INVALID_OPTION',
      );
    }
  });
});
