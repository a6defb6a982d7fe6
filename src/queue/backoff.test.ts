/** The backoff formula: doubling from the base, the cap, the jitter bounds, and refused options. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import { QueueError } from './errors.js';

describe('backoffDelay', () => {
  it('doubles from the base delay with each failure', () => {
    const delays = [0, 1, 2, 3, 4].map((f) => backoffDelay(f, { baseDelayMs: 10, jitter: 0 }));
    assert.deepEqual(delays, [10, 20, 40, 80, 160]);
  });

  it('caps the delay, even after very many failures', () => {
    const options = { baseDelayMs: 10, maxDelayMs: 50, jitter: 0 };
    assert.deepEqual(
      [2, 3, 10, 1000, 1e9].map((f) => backoffDelay(f, options)),
      [40, 50, 50, 50, 50],
    );
  });

  it('uses 100 ms, 5 minutes and 20% jitter by default', () => {
    assert.equal(DEFAULT_BACKOFF.baseDelayMs, 100);
    assert.equal(DEFAULT_BACKOFF.maxDelayMs, 300_000);
    assert.equal(DEFAULT_BACKOFF.jitter, 0.2);
    assert.equal(backoffDelay(0, { random: () => 0.5 }), 100);
    assert.equal(backoffDelay(40, { random: () => 0.5 }), 300_000);
  });

  it('keeps jitter within ± the fraction and actually spreads the delays', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const failures = i % 12;
      const capped = Math.min(1000, 10 * 2 ** failures);
      const d = backoffDelay(failures, { baseDelayMs: 10, maxDelayMs: 1000, jitter: 0.25 });
      assert.ok(d >= capped * 0.75 && d <= capped * 1.25, `${d} outside ${capped} ± 25%`);
      if (failures === 3) seen.add(Math.round(d));
    }
    // 80 ms ± 25% spans 60..100: uniform draws must hit many distinct values.
    assert.ok(seen.size > 30, `only ${seen.size} distinct delays`);
  });

  it('reaches both ends of the jitter range', () => {
    assert.equal(backoffDelay(1, { baseDelayMs: 100, jitter: 0.2, random: () => 0 }), 160);
    assert.ok(Math.abs(backoffDelay(1, { baseDelayMs: 100, jitter: 0.2, random: () => 1 }) - 240) < 1e-9);
  });

  it('refuses nonsense options with a code and a hint', () => {
    for (const bad of [
      { jitter: 1.5 },
      { baseDelayMs: -1 },
      { maxDelayMs: Number.NaN },
      { baseDelayMs: 10, maxDelayMs: 5 },
    ]) {
      assert.throws(
        () => backoffDelay(0, bad),
        (err: unknown) =>
          err instanceof QueueError &&
          err.code === 'SETPOINT_QUEUE_INVALID_OPTION' &&
          /hint:/.test(err.message),
        JSON.stringify(bad),
      );
    }
  });
});
