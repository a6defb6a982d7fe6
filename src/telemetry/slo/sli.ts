/**
 * Where each SLI's events come from, as timed buckets of good/total:
 *
 * - convergence: admitted revisions (store). Good when it converged within
 *   the threshold; bad when it took longer, or has been unconverged longer
 *   (still current, or superseded after more than the threshold). A revision
 *   younger than the threshold, or superseded before it, is not counted yet.
 * - remediation: drift episodes fixed by setpoint (auto or approved); good
 *   when fixed within the threshold.
 * - reconcile-success: per-minute samples that serve writes from its
 *   reconcile counter (failures: error, terminal, failed-retry).
 *
 * Held on purpose is not failing: time a resource is held (a change window,
 * `alert` mode, a rejected approval) is no error. A current revision whose
 * only unsynced resources are held is not counted as unconverged (the engine
 * counts it converged when everything not held is in sync); a drift episode
 * that was held before its repair is left out of the remediation SLI (its
 * latency is the freeze's, not setpoint's); a held reconcile is no event.
 */
import type { Store } from '../../store/index.js';
import { queryNumber } from '../../util/prometheus.js';
import type { Counts } from './burn.js';
import { WINDOW_PLACEHOLDER, type SloSpec } from './schema.js';
import { windowName } from './window-name.js';

export interface Bucket {
  at: number;
  good: number;
  total: number;
}

export const RECONCILE_SLI = 'reconcile-success';

/** Reconcile outcomes that count as failures for reconcile-success. */
export const FAILED_OUTCOMES: ReadonlySet<string> = new Set(['error', 'terminal', 'failed-retry']);
/** Outcomes that are not a reconcile of a managed resource, or a resource held on purpose (not counted). */
export const UNCOUNTED_OUTCOMES: ReadonlySet<string> = new Set(['forgotten', 'held']);

/** The event reason the recorder writes when a resource becomes Held. */
export const HELD_EVENT = 'Held';
/** The sync state of a resource held on purpose. */
const HELD_SYNC: string = 'Held';

/** The SLI's events from `from` (epoch ms) until `now`. */
export async function sliBuckets(store: Store, slo: SloSpec, from: number, now: number): Promise<Bucket[]> {
  switch (slo.sli) {
    case 'convergence':
      return convergence(store, slo.thresholdMs ?? 0, from, now);
    case 'remediation':
      return remediation(store, slo.thresholdMs ?? 0, from);
    case 'prometheus':
      // Prometheus counts over whole windows (prometheusCounts), not in buckets.
      return [];
    case 'reconcile-success':
      return (await store.listSliSamples(RECONCILE_SLI, Math.floor(from / 60_000))).map((s) => ({
        at: s.minute * 60_000,
        good: s.good,
        total: s.total,
      }));
  }
}

async function convergence(store: Store, thresholdMs: number, from: number, now: number): Promise<Bucket[]> {
  const revisions = (await store.listRevisions({ limit: 10_000 })).filter((r) => r.admitted);
  // Newest first per source: the next newer revision of the same source supersedes one.
  const newer = new Map<string, number>();
  const out: Bucket[] = [];
  for (const r of revisions) {
    const admitted = Date.parse(r.createdAt);
    const supersededAt = newer.get(r.source);
    newer.set(r.source, admitted);
    if (admitted < from) continue;
    if (r.convergedAt) {
      out.push({ at: admitted, good: Date.parse(r.convergedAt) - admitted <= thresholdMs ? 1 : 0, total: 1 });
      continue;
    }
    const unconvergedFor = (supersededAt ?? now) - admitted;
    if (unconvergedFor <= thresholdMs) continue;
    // Still current, and all it waits for is held on purpose (a freeze): not an error, not counted yet.
    if (supersededAt === undefined && (await onlyHeldLeft(store, r.source))) continue;
    out.push({ at: admitted, good: 0, total: 1 });
  }
  return out;
}

/** Whether every declared resource of `source` that is not in sync is Held (and at least one is). */
async function onlyHeldLeft(store: Store, source: string): Promise<boolean> {
  const waiting = (await store.listResourceSummaries(source)).filter(
    (s) => s.declared && s.sync !== 'InSync',
  );
  return waiting.length > 0 && waiting.every((s) => s.sync === HELD_SYNC);
}

async function remediation(store: Store, thresholdMs: number, from: number): Promise<Bucket[]> {
  const episodes = await store.listEpisodes({ since: new Date(from).toISOString(), limit: 100_000 });
  const out: Bucket[] = [];
  for (const e of episodes) {
    if (!e.remediatedAt || (e.resolution !== 'auto' && e.resolution !== 'approved')) continue;
    const recorded = Date.parse(e.recordedAt);
    const remediated = Date.parse(e.remediatedAt);
    const good = remediated - recorded <= thresholdMs;
    // Only a slow repair can owe its time to a hold; a fast one is good either way.
    if (!good && (await heldDuring(store, e.resourceId, recorded, remediated))) continue;
    out.push({ at: recorded, good: good ? 1 : 0, total: 1 });
  }
  return out;
}

/**
 * Whether `resourceId` was held on purpose between `from` and `to` (epoch
 * ms), by its events: it became Held in between, or its last event before
 * `from` was becoming Held (it was still held when the drift was recorded).
 */
async function heldDuring(store: Store, resourceId: string, from: number, to: number): Promise<boolean> {
  const events = (await store.listEvents({ resourceId, limit: 1000 }))
    .map((ev) => ({ at: Date.parse(ev.time), held: ev.reason === HELD_EVENT, seq: ev.seq ?? 0 }))
    .sort((a, b) => a.at - b.at || a.seq - b.seq);
  if (events.some((ev) => ev.held && ev.at >= from && ev.at <= to)) return true;
  return events.filter((ev) => ev.at < from).pop()?.held ?? false;
}

/**
 * Good and total events over each window from Prometheus (sli: prometheus):
 * the `good` and `total` queries with `$window` replaced by the window
 * ("1h", "30d"). A query that matches no series counts 0 events. Throws a
 * SetpointError when Prometheus cannot answer.
 */
export async function prometheusCounts(
  p: NonNullable<SloSpec['prometheus']>,
  windows: readonly number[],
): Promise<Map<number, Counts>> {
  const out = new Map<number, Counts>();
  await Promise.all(
    windows.map(async (ms) => {
      const q = (query: string) =>
        queryNumber(p.url, query.split(WINDOW_PLACEHOLDER).join(windowName(ms)), { empty: 0 });
      const [good, total] = await Promise.all([q(p.good), q(p.total)]);
      out.set(ms, { good: Math.min(good, total), total });
    }),
  );
  return out;
}
