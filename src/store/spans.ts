/**
 * The reconcile-span part of the store contract: per resource, its recent
 * reconciles with the time each phase took (observe, diff, plan, act,
 * verify), the outcome, the revision and, when spans are exported, the
 * OpenTelemetry trace id. Bounded twice: the newest SPANS_PER_RESOURCE per
 * resource are kept on every write, and retention prunes older ones with
 * the events.
 */
import type { ResourceId } from '../manifest/index.js';

/** Spans kept per resource: older ones are deleted as new ones are written. */
export const SPANS_PER_RESOURCE = 50;

/** The phases of one reconcile, in the order they run. */
export type ReconcilePhaseName = 'observe' | 'diff' | 'plan' | 'act' | 'verify';

export interface ReconcilePhase {
  name: ReconcilePhaseName;
  /** Milliseconds from the start of the reconcile. */
  startMs: number;
  durationMs: number;
  /** The phase threw: its message. */
  error?: string;
}

export interface ReconcileSpan {
  id?: number;
  resourceId: ResourceId;
  /** The reconcile id that its log lines carry. */
  reconcileId: string;
  /** The OpenTelemetry trace (and span) of the reconcile, when tracing exports spans. */
  traceId?: string;
  spanId?: string;
  revisionId?: string;
  /** The planned action: noop | create | update | replace | delete. */
  action?: string;
  /** noop | applied | reported | awaiting-approval | held | conflict | waiting | error | terminal… */
  outcome: string;
  startedAt: string;
  durationMs: number;
  phases: ReconcilePhase[];
  /** Why it failed, for the error and terminal outcomes. */
  error?: string;
}

export interface SpanStore {
  /** Appends spans; each resource written keeps only its newest SPANS_PER_RESOURCE. */
  appendSpans(spans: readonly ReconcileSpan[]): Promise<void>;
  /** A resource's spans, newest first. Defaults to SPANS_PER_RESOURCE. */
  listSpans(resourceId: ResourceId, options?: { limit?: number }): Promise<ReconcileSpan[]>;
}

/** The JSON body of a stored span (the columns hold the rest). */
export function spanBody(s: ReconcileSpan): string {
  const { id: _id, resourceId: _r, startedAt: _t, ...body } = s;
  return JSON.stringify(body);
}

export function spanFromRow(r: {
  id: number | string;
  resource_id: string;
  started_at: string;
  data: string;
}): ReconcileSpan {
  return {
    id: Number(r.id),
    resourceId: r.resource_id,
    startedAt: r.started_at,
    ...(JSON.parse(r.data) as Omit<ReconcileSpan, 'id' | 'resourceId' | 'startedAt'>),
  };
}
