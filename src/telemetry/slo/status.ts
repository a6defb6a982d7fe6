/**
 * The state of each SLO now: events and error budget over its window, burn
 * rates over each alert window, and which burn-rate alerts hold. Shown by
 * `setpoint status` (and the API) and evaluated by serve's alert rules.
 */
import type { Store } from '../../store/index.js';
import {
  burnRate,
  countsWithin,
  errorBudget,
  firingBurnWindows,
  type Budget,
  type BurnFiring,
  type Counts,
} from './burn.js';
import type { SloSpec } from './schema.js';
import { prometheusCounts, sliBuckets } from './sli.js';
import { windowName } from './window-name.js';
import { exhausted } from '../../windows/budget.js';

export interface SloStatus {
  spec: SloSpec;
  /** Over the SLO's window. */
  budget: Budget;
  /** Burn rate per alert window, by window name ("5m", "1h"...). */
  burnRates: Record<string, number>;
  /** Burn-rate alerts whose both windows exceed their factor. */
  firing: BurnFiring[];
  /** For an SLO with a gate: whether it holds changes now (budget at or below `gate.below`). */
  gate?: { closed: boolean };
  /** Why the SLI could not be read now (e.g. Prometheus unreachable); the budget then shows no events. */
  error?: string;
}

export { windowName } from './window-name.js';

export async function sloStatus(store: Store, spec: SloSpec, now: number): Promise<SloStatus> {
  const windows = [...new Set([spec.windowMs, ...spec.burnRates.flatMap((b) => [b.shortMs, b.longMs])])];
  let countsOver: (ms: number) => Counts;
  try {
    countsOver = await countsFor(store, spec, windows, now);
  } catch (err) {
    // An SLI that cannot be read is unknown, not good or bad: no budget change, no alert, the error shown.
    return {
      spec,
      budget: errorBudget({ good: 0, total: 0 }, spec.objective),
      burnRates: {},
      firing: [],
      error: (err as Error).message,
    };
  }
  const burnRates: Record<string, number> = {};
  const alertWindows = [...new Set(spec.burnRates.flatMap((b) => [b.shortMs, b.longMs]))].sort(
    (a, b) => a - b,
  );
  for (const ms of alertWindows) burnRates[windowName(ms)] = burnRate(countsOver(ms), spec.objective);
  const budget = errorBudget(countsOver(spec.windowMs), spec.objective);
  return {
    spec,
    budget,
    burnRates,
    firing: firingBurnWindows(spec.burnRates, spec.objective, countsOver),
    ...(spec.gate
      ? { gate: { closed: exhausted(spec.gate, { remaining: budget.remaining, at: now }) } }
      : {}),
  };
}

/** Events over any of `windows` before `now`: from the store's buckets, or from Prometheus. */
async function countsFor(
  store: Store,
  spec: SloSpec,
  windows: readonly number[],
  now: number,
): Promise<(ms: number) => Counts> {
  if (spec.sli === 'prometheus') {
    const counts = await prometheusCounts(spec.prometheus!, windows);
    return (ms) => counts.get(ms) ?? { good: 0, total: 0 };
  }
  const buckets = await sliBuckets(store, spec, now - Math.max(...windows), now);
  return (ms) => countsWithin(buckets, now, ms);
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
    spec.sli === 'prometheus'
      ? `${goal} of events good (Prometheus)`
      : spec.sli === 'reconcile-success'
        ? `${goal} of reconciles succeed`
        : `${goal} of ${spec.sli === 'convergence' ? 'revisions converge' : 'drift is fixed'} within ${windowName(spec.thresholdMs ?? 0)}`;
  if (s.error)
    return `SLO ${spec.name}: ${what} over ${windowName(spec.windowMs)}: cannot be read: ${s.error}`;
  const now =
    budget.sli === undefined
      ? 'no events yet'
      : `${(budget.sli * 100).toFixed(2)}% (${budget.good}/${budget.total})`;
  const rates = Object.entries(s.burnRates)
    .map(([w, r]) => `${w} ${r.toFixed(1)}x`)
    .join(', ');
  const gate = s.gate ? `; gate ${s.gate.closed ? 'CLOSED (changes wait)' : 'open'}` : '';
  return `SLO ${spec.name}: ${what} over ${windowName(spec.windowMs)}: ${now}; error budget ${Math.round(budget.remaining * 100)}% left${gate}; burn ${rates}${s.firing.length ? ` — BURNING (${s.firing.map((f) => `${windowName(f.window.longMs)}/${windowName(f.window.shortMs)} > ${f.window.factor}x`).join(', ')})` : ''}`;
}
