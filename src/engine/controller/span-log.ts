/**
 * Serve's reconcile spans, kept in the store per resource for the
 * dashboard's debug view: each reconcile with its phases (observe, diff,
 * plan, act, verify), outcome, revision and trace id. Written in batches
 * (every quarter second at most) off the reconcile path; a failed write is logged
 * and the batch dropped, never retried into the reconciles' way: spans are
 * diagnostics, not state.
 *
 * A reconcile that found a steady state (nothing to do, drift left alone,
 * held, waiting) is kept when its outcome differs from the resource's last
 * kept one, or when that one is older than REPEAT_EVERY_MS: a periodic
 * resync of 10,000 quiet resources does not write 10,000 rows each time.
 * Every reconcile that acted or failed is kept.
 */
import type { ResourceId } from '../../manifest/index.js';
import type { ReconcileSpan, Store } from '../../store/index.js';
import type { ReconcileContext } from '../../telemetry/context.js';
import type { Logger } from '../../telemetry/index.js';

/** A resource's repeated steady outcome is kept at most this often. */
export const REPEAT_EVERY_MS = 10 * 60_000;
/** Outcomes that say the same thing again at each resync; the others (applied, error…) are always kept. */
const STEADY = new Set(['noop', 'reported', 'held', 'conflict', 'waiting', 'awaiting-approval']);
/** Spans buffered before a write is forced. */
const BATCH = 500;
const FLUSH_MS = 250;

export class SpanLog {
  private buffer: ReconcileSpan[] = [];
  /** Per resource: its last kept steady outcome (with the planned action) and when; absent after anything else. */
  private readonly lastSteady = new Map<ResourceId, { key: string; at: number }>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Pick<Store, 'appendSpans'>,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The controller's onReconciled: one finished reconcile. */
  add(ctx: ReconcileContext, outcome: string, startedAt: string, durationMs: number): void {
    if (outcome === 'forgotten') return;
    if (STEADY.has(outcome)) {
      const key = `${outcome} ${ctx.action ?? ''}`;
      const last = this.lastSteady.get(ctx.resourceId);
      const now = this.now();
      if (last?.key === key && now - last.at < REPEAT_EVERY_MS) return;
      this.lastSteady.set(ctx.resourceId, { key, at: now });
    } else this.lastSteady.delete(ctx.resourceId);
    const trace = ctx.span?.spanContext();
    const span: ReconcileSpan = {
      resourceId: ctx.resourceId,
      reconcileId: ctx.reconcileId,
      outcome,
      startedAt,
      durationMs: Math.round(durationMs * 1000) / 1000,
      phases: ctx.phases ?? [],
    };
    // An all-zero id means the span was not sampled (no exporter): there is no trace to link to.
    if (trace && !/^0+$/.test(trace.traceId)) {
      span.traceId = trace.traceId;
      span.spanId = trace.spanId;
    }
    if (ctx.revisionId) span.revisionId = ctx.revisionId;
    if (ctx.action) span.action = ctx.action;
    if (ctx.error) span.error = ctx.error;
    this.buffer.push(span);
    if (this.buffer.length >= BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS).unref();
  }

  /** Writes what is buffered (one transaction). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length === 0) return this.writing;
    this.writing = this.writing.then(async () => {
      try {
        await this.store.appendSpans(batch);
      } catch (err) {
        this.logger.warn(
          { err: (err as Error).message, spans: batch.length },
          'cannot write reconcile spans; these are dropped',
        );
      }
    });
    return this.writing;
  }

  /** Writes the rest; called when the controller stops. */
  async stop(): Promise<void> {
    await this.flush();
  }
}
