/**
 * What the dashboard's debug and on-call views need beyond the records:
 * a resource's reconcile spans (phases with durations, linked to traces),
 * what is known of a resource that no longer exists (when, by which action
 * and revision it went, when it was last seen), and the convergence time
 * (drift detected -> in sync again) per critical resource.
 */
import { namespaceOf } from '../auth/index.js';
import type { ResourceId } from '../manifest/index.js';
import type { ReconcileSpan } from '../store/index.js';
import type { ApiContext } from './context.js';
import { percentiles } from './figures.js';
import type { Percentiles } from './types.js';

export type SpanView = ReconcileSpan & {
  /** The trace in the tracing UI (settings `telemetry.traceUrl`), when it has a trace id. */
  traceUrl?: string;
};

/** A resource's reconcile spans, newest first. */
export async function spans(
  ctx: ApiContext,
  id: string,
  options: { limit?: number } = {},
): Promise<SpanView[]> {
  const template = ctx.settings.tracing.traceUrl;
  const items = await (await ctx.store()).listSpans(ctx.normalizeId(id), options);
  return items.map((s) =>
    template && s.traceId ? { ...s, traceUrl: template.replaceAll('{traceId}', s.traceId) } : s,
  );
}

/** The audited actions that end a resource's record. */
const GONE = /^(apply|serve|run)\.delete$|^state\.rm$/;

export interface ResourceFate {
  id: ResourceId;
  /** Its record is in the state now. */
  exists: boolean;
  /** The last time setpoint recorded anything of it: a reconcile, an event or an audited action. */
  lastSeen?: string;
  /** How its record ended, when it no longer exists and the audit log says. */
  deletion?: {
    at: string;
    /** The audited action: serve.delete, apply.delete (the target deleted) or state.rm (forgotten). */
    action: string;
    actor: string;
    /** The revision in force when it was deleted. */
    revisionId?: string;
    result: string;
  };
}

/** Whether a resource exists, and if not, when and how it went (from the audit log, events and spans). */
export async function fate(ctx: ApiContext, rawId: string): Promise<ResourceFate> {
  const id = ctx.normalizeId(rawId);
  const store = await ctx.store();
  const [record, audit, events, lastSpans] = await Promise.all([
    store.getResource(id),
    store.listAudit({ resourceId: id, limit: 200 }),
    store.listEvents({ resourceId: id, limit: 1 }),
    store.listSpans(id, { limit: 1 }),
  ]);
  const times = [audit.at(-1)?.time, events.at(-1)?.time, lastSpans[0]?.startedAt].filter(
    (t): t is string => t !== undefined,
  );
  const out: ResourceFate = { id, exists: record !== undefined };
  if (times.length > 0) out.lastSeen = times.sort().at(-1);
  if (record) return out;
  const gone = [...audit]
    .reverse()
    .find((a) => GONE.test(a.action) && (a.result === 'succeeded' || a.result === 'forgotten'));
  if (gone)
    out.deletion = {
      at: gone.time,
      action: gone.action,
      actor: gone.actor,
      result: gone.result,
      ...(gone.revisionId ? { revisionId: gone.revisionId } : {}),
    };
  return out;
}

export interface CriticalConvergence {
  /** The window looked at, ending now. */
  from: string;
  to: string;
  /** How a resource is critical: `lifecycle.priority: critical`. */
  rule: string;
  items: Array<{
    id: ResourceId;
    sync: string;
    /** Drift episodes that ended in the window: their time from detection to in sync again, in ms. */
    convergenceMs: Percentiles;
    /** Drifted now: the open episode's detection time. */
    driftingSince?: string;
    lastDetectedAt?: string;
  }>;
}

/**
 * Convergence (drift detected -> in sync again) per critical resource over a
 * window, from the recorded drift episodes; worst p99 first, then by id.
 */
export async function criticalConvergence(
  ctx: ApiContext,
  options: {
    windowMs?: number;
    now?: number;
    namespaces?: readonly string[];
    /** The critical resources' ids when the caller knows them (serve's desired state): only their records are read. */
    ids?: readonly ResourceId[];
  } = {},
): Promise<CriticalConvergence> {
  const store = await ctx.store();
  const to = options.now ?? Date.now();
  const from = to - (options.windowMs ?? 7 * 86_400_000);
  const scope = options.namespaces?.length ? new Set(options.namespaces) : undefined;
  const records = options.ids
    ? options.ids.length > 0
      ? await store.listResources({ ids: [...options.ids] })
      : []
    : await store.listResources();
  const critical = records.filter(
    (r) => r.lifecycle.priority === 'critical' && (!scope || scope.has(namespaceOf(r.id) ?? '')),
  );
  const ids = new Set(critical.map((r) => r.id));
  const episodes = (await store.listEpisodes({ limit: 10_000 })).filter((e) => ids.has(e.resourceId));
  const items = critical.map((r) => {
    const mine = episodes.filter((e) => e.resourceId === r.id);
    const closed = mine.filter((e) => e.remediatedAt && Date.parse(e.remediatedAt) >= from);
    const open = mine.filter((e) => !e.remediatedAt).at(-1);
    const item: CriticalConvergence['items'][number] = {
      id: r.id,
      sync: r.sync,
      convergenceMs: percentiles(closed.map((e) => Date.parse(e.remediatedAt!) - Date.parse(e.detectedAt))),
    };
    if (open) item.driftingSince = open.detectedAt;
    const last = mine.at(-1);
    if (last) item.lastDetectedAt = last.detectedAt;
    return item;
  });
  items.sort(
    (a, b) =>
      (b.convergenceMs.p99 ?? -1) - (a.convergenceMs.p99 ?? -1) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    rule: 'lifecycle.priority: critical',
    items,
  };
}
