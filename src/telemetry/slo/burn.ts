/**
 * Error-budget arithmetic, pure. An SLO with objective 99% allows 1% bad
 * events; the burn rate is the observed bad share divided by that allowance
 * (1 = the budget lasts exactly the window; 14.4 over 1h = 2% of a 30-day
 * budget gone in that hour). A multi-window alert fires only when both its
 * long and its short window burn faster than its factor: the long window
 * makes it significant, the short one makes it stop soon after the burn does.
 */
import type { BurnWindow } from './schema.js';

export interface Counts {
  good: number;
  total: number;
}

/** The share of bad events; 0 when there were none. */
export function errorRate(c: Counts): number {
  return c.total > 0 ? (c.total - c.good) / c.total : 0;
}

/** Bad share / allowed bad share. `objective` is 0..1. */
export function burnRate(c: Counts, objective: number): number {
  return errorRate(c) / (1 - objective);
}

export interface Budget {
  good: number;
  total: number;
  /** good / total; undefined without events. */
  sli?: number;
  /** Bad events the objective allows over these events. */
  allowedBad: number;
  bad: number;
  /** 1 - bad / allowedBad: 1 untouched, 0 spent, below 0 overspent. 1 without events. */
  remaining: number;
}

export function errorBudget(c: Counts, objective: number): Budget {
  const bad = c.total - c.good;
  const allowedBad = (1 - objective) * c.total;
  return {
    good: c.good,
    total: c.total,
    sli: c.total > 0 ? c.good / c.total : undefined,
    allowedBad,
    bad,
    remaining: c.total === 0 ? 1 : 1 - bad / allowedBad,
  };
}

export interface BurnFiring {
  window: BurnWindow;
  longRate: number;
  shortRate: number;
}

/** The burn windows whose long and short rates both exceed their factor. */
export function firingBurnWindows(
  windows: readonly BurnWindow[],
  objective: number,
  countsOver: (ms: number) => Counts,
): BurnFiring[] {
  const out: BurnFiring[] = [];
  for (const w of windows) {
    const longRate = burnRate(countsOver(w.longMs), objective);
    const shortRate = burnRate(countsOver(w.shortMs), objective);
    if (longRate > w.factor && shortRate > w.factor) out.push({ window: w, longRate, shortRate });
  }
  return out;
}

/** Events of timed buckets within the last `ms` before `now` (bucket time `at` in ms). */
export function countsWithin(
  buckets: ReadonlyArray<{ at: number; good: number; total: number }>,
  now: number,
  ms: number,
): Counts {
  const from = now - ms;
  let good = 0;
  let total = 0;
  for (const b of buckets)
    if (b.at >= from && b.at <= now) {
      good += b.good;
      total += b.total;
    }
  return { good, total };
}
