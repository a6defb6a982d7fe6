/**
 * Figures over time for the dashboard's charts: the drift ratio per
 * interval of a window, rebuilt from the drift episodes the store records
 * (an episode is open from detection to remediation), and the revisions
 * admitted in the window (chart annotations) with how long each took to
 * converge. An interval counts every resource drifted at any moment of it,
 * so a drift fixed in milliseconds still shows.
 */
import { namespaceOf } from '../auth/index.js';
import { DEFAULT_SOURCE } from './figures.js';
import type { ApiContext } from './context.js';

export interface DriftPoint {
  /** ISO time at which the interval ends. */
  time: string;
  /** Resources drifted at some moment of the interval. */
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
  /** Intervals across it. Defaults to 96. */
  points?: number;
  now?: number;
  /** Only resources of these namespaces (a scoped token). Defaults to all. */
  namespaces?: readonly string[];
}

export async function driftTrend(ctx: ApiContext, options: TrendOptions = {}): Promise<DriftTrend> {
  const store = await ctx.store();
  const to = options.now ?? Date.now();
  const from = to - (options.windowMs ?? 24 * 3600_000);
  const n = Math.max(1, options.points ?? 96);
  const scope = options.namespaces?.length ? new Set(options.namespaces) : undefined;
  const mine = (id: string) => !scope || scope.has(namespaceOf(id) ?? '');
  const summaries = await store.listResourceSummaries(DEFAULT_SOURCE);
  const resources = summaries.filter((s) => s.declared && mine(s.id)).length;
  const all = await store.listEpisodes({ limit: 10_000 });
  const episodes = all
    .filter((e) => mine(e.resourceId))
    .map((e) => ({
      start: Date.parse(e.detectedAt),
      end: e.remediatedAt ? Date.parse(e.remediatedAt) : Infinity,
      id: e.resourceId,
    }));
  const points: DriftPoint[] = [];
  for (let i = 0; i < n; i++) {
    const start = from + ((to - from) * i) / n;
    const end = from + ((to - from) * (i + 1)) / n;
    // A resource counts once even if two of its episodes overlap the interval (a re-detection).
    const open = new Set(episodes.filter((e) => e.start <= end && e.end >= start).map((e) => e.id));
    points.push({
      time: new Date(end).toISOString(),
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
