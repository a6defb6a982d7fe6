/** The project's figures from what the store recorded: convergence, drift episodes, SLOs. */
import { sloStatuses, type SloStatus } from '../telemetry/slo/status.js';
import type { ApiContext } from './context.js';
import type { ConvergenceFigures, Percentiles } from './types.js';

/** The source name of resources declared with -f or the project's manifests. */
export const DEFAULT_SOURCE = 'local';

export function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { count: 0 };
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  return { count: s.length, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

/** The seed's convergence figures, from what the store recorded. */
export async function convergence(
  ctx: ApiContext,
  options: { revisions?: number; since?: string } = {},
): Promise<ConvergenceFigures> {
  const store = await ctx.store();
  const revisions = (await store.listRevisions({ limit: options.revisions ?? 10 })).filter((r) => r.admitted);
  const episodes = await store.listEpisodes({ since: options.since, limit: 10_000 });
  const summaries = await store.listResourceSummaries(DEFAULT_SOURCE);
  const closed = episodes.filter((e) => e.remediatedAt);
  const remediation = closed
    .filter((e) => e.resolution === 'auto' || e.resolution === 'approved')
    .map((e) => Date.parse(e.remediatedAt!) - Date.parse(e.recordedAt));
  const detection = episodes.map((e) => Date.parse(e.recordedAt) - Date.parse(e.detectedAt));
  const drifted = summaries.filter((r) => r.sync === 'Drifted' || r.sync === 'Conflict').length;
  return {
    revisions: revisions.map((r) => ({
      id: r.id,
      admittedAt: r.createdAt,
      convergedAt: r.convergedAt,
      convergenceSeconds: r.convergedAt
        ? (Date.parse(r.convergedAt) - Date.parse(r.createdAt)) / 1000
        : undefined,
    })),
    driftEpisodes: episodes.length,
    detectionMs: percentiles(detection),
    remediationMs: percentiles(remediation),
    autoRemediationRatio: episodes.length
      ? episodes.filter((e) => e.resolution === 'auto').length / episodes.length
      : undefined,
    driftRatio: summaries.length ? drifted / summaries.length : undefined,
  };
}

/** Each SLO of setpoint.yaml: error budget over its window and burn rates now. */
export async function slos(ctx: ApiContext): Promise<SloStatus[]> {
  return sloStatuses(await ctx.store(), ctx.settings.slos, Date.now());
}
