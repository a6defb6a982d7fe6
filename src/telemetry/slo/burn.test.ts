/** Error-budget arithmetic: burn rates, budgets and multi-window burn alerts (SRE workbook numbers). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { burnRate, countsWithin, errorBudget, errorRate, firingBurnWindows } from './burn.js';
import { DEFAULT_BURN_RATES, sloSpecs } from './schema.js';

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: expected ${expected}, got ${actual}`);

describe('burn rate', () => {
  it('is the bad share over the allowed bad share', () => {
    close(burnRate({ good: 99, total: 100 }, 0.99), 1, '1% bad against a 1% budget');
    close(burnRate({ good: 856, total: 1000 }, 0.99), 14.4, '14.4% bad against a 1% budget');
    close(burnRate({ good: 70, total: 100 }, 0.95), 6, '30% bad against a 5% budget');
    close(burnRate({ good: 100, total: 100 }, 0.999), 0, 'nothing bad');
  });

  it('is 0 without events (no data is not an outage)', () => {
    assert.equal(errorRate({ good: 0, total: 0 }), 0);
    assert.equal(burnRate({ good: 0, total: 0 }, 0.99), 0);
  });

  it('14.4 for an hour spends 2% of a 30-day budget', () => {
    // 30 days = 720 hours; a rate of 14.4 for 1 hour spends 14.4/720 of the budget.
    close(14.4 / 720, 0.02, 'share of the budget');
  });
});

describe('error budget', () => {
  it('says how much of the budget is left', () => {
    const b = errorBudget({ good: 995, total: 1000 }, 0.99);
    close(b.allowedBad, 10, 'allowed bad events');
    assert.equal(b.bad, 5);
    close(b.remaining, 0.5, 'remaining');
    close(b.sli!, 0.995, 'sli');
  });

  it('goes below zero when overspent, and is whole without events', () => {
    close(errorBudget({ good: 970, total: 1000 }, 0.99).remaining, -2, 'three budgets spent');
    const empty = errorBudget({ good: 0, total: 0 }, 0.99);
    assert.equal(empty.remaining, 1);
    assert.equal(empty.sli, undefined);
  });
});

describe('multi-window burn alerts', () => {
  const HOUR = 3_600_000;
  const byWindow = (rates: Record<number, { good: number; total: number }>) => (ms: number) =>
    rates[ms] ?? { good: 1, total: 1 };

  it('fire only when the long and the short window both exceed the factor', () => {
    const fast = firingBurnWindows(
      DEFAULT_BURN_RATES,
      0.99,
      byWindow({ [HOUR]: { good: 80, total: 100 }, [5 * 60_000]: { good: 80, total: 100 } }),
    );
    assert.deepEqual(
      fast.map((f) => [f.window.longMs / HOUR, f.window.severity]),
      [[1, 'page']],
    );
    close(fast[0].longRate, 20, 'long rate');
  });

  it('stay quiet when the burn has stopped (short window clean) or was a blip (long window clean)', () => {
    assert.deepEqual(
      firingBurnWindows(
        DEFAULT_BURN_RATES,
        0.99,
        byWindow({ [HOUR]: { good: 80, total: 100 }, [5 * 60_000]: { good: 100, total: 100 } }),
      ),
      [],
    );
    assert.deepEqual(
      firingBurnWindows(
        DEFAULT_BURN_RATES,
        0.99,
        byWindow({ [HOUR]: { good: 990, total: 1000 }, [5 * 60_000]: { good: 0, total: 10 } }),
      ),
      [],
    );
  });

  it('a factor is exceeded, not reached: exactly 14.4 does not page', () => {
    const exact = { good: 856, total: 1000 };
    assert.deepEqual(
      firingBurnWindows([DEFAULT_BURN_RATES[0]], 0.99, () => exact),
      [],
    );
  });

  it('a slow steady burn opens a ticket, not a page', () => {
    const steady = () => ({ good: 98, total: 100 }); // 2x
    assert.deepEqual(
      firingBurnWindows(DEFAULT_BURN_RATES, 0.99, steady).map((f) => f.window.severity),
      ['ticket'],
    );
  });
});

describe('counts within a window', () => {
  it('sums the buckets from now - window up to now', () => {
    const now = 10 * 60_000;
    const buckets = [
      { at: 0, good: 1, total: 2 },
      { at: 5 * 60_000, good: 3, total: 3 },
      { at: 9 * 60_000, good: 0, total: 1 },
    ];
    assert.deepEqual(countsWithin(buckets, now, 5 * 60_000), { good: 3, total: 4 });
    assert.deepEqual(countsWithin(buckets, now, 10 * 60_000), { good: 4, total: 6 });
    assert.deepEqual(countsWithin(buckets, now, 30_000), { good: 0, total: 0 });
  });
});

describe('SLO specs', () => {
  it('turn percentages and durations into numbers, with the default windows', () => {
    const [s] = sloSpecs([{ name: 'fast', sli: 'convergence', objective: 95, threshold: '60s' }]);
    assert.equal(s.objective, 0.95);
    assert.equal(s.thresholdMs, 60_000);
    assert.equal(s.windowMs, 30 * 24 * 3_600_000);
    assert.deepEqual(s.burnRates, [...DEFAULT_BURN_RATES]);
  });
});
