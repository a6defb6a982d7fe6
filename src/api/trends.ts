/**
 * Figures over time for the dashboard's charts: the drift ratio at evenly
 * spaced moments of a window, rebuilt from the drift episodes the store
 * records (an episode is open from detection to remediation), and the
 * revisions admitted in the window (chart annotations) with how long each
 * took to converge.
 */
import { namespaceOf } from '../auth/index.js';
import { DEFAULT_SOURCE } from './figures.js';
import type { ApiContext } from './context.js';

export interface DriftPoint {
  /** ISO time of the sample. */
  time: string;
  /** Resources with an open drift episode at that time. */
  drifted: number;
  /** drifted / resources declared now (the resource count of the past is not recorded). */
  ratio: number;
}

export interface DriftTrend {
  from: string;
  to: string;
  /** Resources declared now: the denominator of every ratio. */
  resources: number;
  points: DriftPoint[];
  revisions: Array<{ id: string; admittedAt: string; convergedAt?: string; convergenceSeconds?: number }>;
}

export interface TrendOptions {
  /** The window, ending now. Defaults to 24 h. */
  windowMs?: number;
  /** Samples across it. Defaults to 96. */
  points?: number;
  now?: number;
  /** Only resources of these namespaces (a scoped token). Defaults to all. */
  namespaces?: readonly string[];
}

export async function driftTrend(ctx: ApiContext, options: TrendOptions = {}): Promise<DriftTrend> {
  const store = await ctx.store();
  const to = options.now ?? Date.now();
  const from = to - (options.windowMs ?? 24 * 3600_000);
  const n = Math.max(2, options.points ?? 96);
  const scope = options.namespaces?.length ? new Set(options.namespaces) : undefined;
  const mine = (id: string) => !scope || scope.has(namespaceOf(id) ?? '');
  const summaries = await store.listResourceSummaries(DEFAULT_SOURCE);
  const resources = summaries.filter((s) => s.declared && mine(s.id)).length;
  const all = await store.listEpisodes({ limit: 10_000 });
  const episodes = all.filter((e) => mine(e.resourceId)).map((e) => ({
    start: Date.parse(e.detectedAt),
    end: e.remediatedAt ? Date.parse(e.remediatedAt) : Infinity,
    id: e.resourceId,
  }));
  const points: DriftPoint[] = [];
  for (let i = 0; i < n; i++) {
    const t = from + ((to - from) * i) / (n - 1);
    // A resource counts once even if two of its episodes overlap (a re-detection).
    const open = new Set(episodes.filter((e) => e.start <= t && t < e.end).map((e) => e.id));
    points.push({
      time: new Date(t).toISOString(),
      drifted: open.size,
      ratio: resources ? open.size / resources : 0,
    });
  }
  const revisions = (await store.listRevisions({ limit: 200 }))
    .filter((r) => r.admitted && Date.parse(r.createdAt) >= from)
    .map((r) => ({
      id: r.id,
      admittedAt: r.createdAt,
      convergedAt: r.convergedAt,
      convergenceSeconds: r.convergedAt
        ? (Date.parse(r.convergedAt) - Date.parse(r.createdAt)) / 1000
        : undefined,
    }))
    .reverse();
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), resources, points, revisions };
}
