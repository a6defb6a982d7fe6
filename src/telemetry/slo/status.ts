/**
 * The state of each SLO now: events and error budget over its window, burn
 * rates over each alert window, and which burn-rate alerts hold. Shown by
 * `setpoint status` (and the API) and evaluated by serve's alert rules.
 */
import type { Store } from '../../store/index.js';
import { formatDuration } from '../../util/duration.js';
import {
  burnRate,
  countsWithin,
  errorBudget,
  firingBurnWindows,
  type Budget,
  type BurnFiring,
} from './burn.js';
import type { SloSpec } from './schema.js';
import { sliBuckets } from './sli.js';

export interface SloStatus {
  spec: SloSpec;
  /** Over the SLO's window. */
  budget: Budget;
  /** Burn rate per alert window, by window name ("5m", "1h"...). */
  burnRates: Record<string, number>;
  /** Burn-rate alerts whose both windows exceed their factor. */
  firing: BurnFiring[];
}

/** "1h", "30m", "3d": the short names used as the `window` label. */
export function windowName(ms: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return formatDuration(ms);
}

export async function sloStatus(store: Store, spec: SloSpec, now: number): Promise<SloStatus> {
  const longest = Math.max(spec.windowMs, ...spec.burnRates.map((b) => b.longMs));
  const buckets = await sliBuckets(store, spec, now - longest, now);
  const countsOver = (ms: number) => countsWithin(buckets, now, ms);
  const burnRates: Record<string, number> = {};
  const windows = [...new Set(spec.burnRates.flatMap((b) => [b.shortMs, b.longMs]))].sort((a, b) => a - b);
  for (const ms of windows) burnRates[windowName(ms)] = burnRate(countsOver(ms), spec.objective);
  return {
    spec,
    budget: errorBudget(countsOver(spec.windowMs), spec.objective),
    burnRates,
    firing: firingBurnWindows(spec.burnRates, spec.objective, countsOver),
  };
}

export async function sloStatuses(
  store: Store,
  specs: readonly SloSpec[],
  now: number,
): Promise<SloStatus[]> {
  const out: SloStatus[] = [];
  for (const spec of specs) out.push(await sloStatus(store, spec, now));
  return out;
}

/** One line for `setpoint status`. */
export function describeSlo(s: SloStatus): string {
  const { spec, budget } = s;
  const goal = `${+(spec.objective * 100).toFixed(3)}%`;
  const what =
    spec.sli === 'reconcile-success'
      ? `${goal} of reconciles succeed`
      : `${goal} of ${spec.sli === 'convergence' ? 'revisions converge' : 'drift is fixed'} within ${windowName(spec.thresholdMs ?? 0)}`;
  const now =
    budget.sli === undefined
      ? 'no events yet'
      : `${(budget.sli * 100).toFixed(2)}% (${budget.good}/${budget.total})`;
  const rates = Object.entries(s.burnRates)
    .map(([w, r]) => `${w} ${r.toFixed(1)}x`)
    .join(', ');
  return `SLO ${spec.name}: ${what} over ${windowName(spec.windowMs)}: ${now}; error budget ${Math.round(budget.remaining * 100)}% left; burn ${rates}${s.firing.length ? ` — BURNING (${s.firing.map((f) => `${windowName(f.window.longMs)}/${windowName(f.window.shortMs)} > ${f.window.factor}x`).join(', ')})` : ''}`;
}
