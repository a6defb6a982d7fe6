/**
 * The controller: workers take keys from the work queue and reconcile them.
 * One handler maps each outcome to a queue action and a metric label
 * (controller-runtime's reconcileHandler): success forgets the key's
 * failures; requeue-after schedules it; a thrown error requeues with backoff;
 * a TerminalError waits until something else touches the key. A throw is
 * counted, never lost. Each run carries a reconcile id into logs and runs
 * in its own span (telemetry/trace.ts).
 */
import { randomUUID } from 'node:crypto';
import type { ResourceId } from '../../manifest/index.js';
import type { Priority } from '../../manifest/index.js';
import { WorkQueue } from '../../queue/index.js';
import type { Logger } from '../../telemetry/index.js';
import type { Metrics } from '../../telemetry/metrics.js';
import { traceReconcile } from '../../telemetry/trace.js';
import type { ReconcileContext } from '../../telemetry/context.js';
import { ProviderError } from '../../provider/errors.js';
import type { Reconciler, Trigger } from './reconciler.js';

/** Why a key was queued; user work goes ahead of events, events ahead of resyncs. */
export type TriggerClass = 'user' | 'event' | 'resync';

const CLASS_RANK: Record<TriggerClass, number> = { user: 0, event: 1, resync: 2 };
const PRIORITY_RANK: Record<Priority, number> = { critical: 0, high: 1, normal: 2, low: 3 };

/** Critical resources first; within a priority, user-triggered work, then events, then resyncs. */
export function queuePriority(priority: Priority | undefined, trigger: TriggerClass): number {
  return PRIORITY_RANK[priority ?? 'normal'] * 3 + CLASS_RANK[trigger];
}

export interface ControllerOptions {
  reconciler: Pick<Reconciler, 'reconcile'>;
  /** Workers reconciling at once. */
  workers: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  logger: Logger;
  metrics?: Metrics;
  priorityOf(id: ResourceId): Priority | undefined;
  /** Called when the last queued key is done and nothing is queued or in flight. */
  onIdle?(): void;
  /** Awaited before taking each key: workers wait while it is pending (serve cannot act safely). */
  gate?(signal: AbortSignal): Promise<void>;
  /** After each reconcile: its context (revision, action, phases, span), outcome label, start and duration. */
  onReconciled?(ctx: ReconcileContext, label: string, startedAt: string, durationMs: number): void;
}

export class Controller {
  readonly queue: WorkQueue<ResourceId>;
  /** The earliest unprocessed detection time per key (for detection latency). */
  private readonly triggers = new Map<ResourceId, Trigger>();
  private workers: Promise<void>[] = [];
  private readonly abort = new AbortController();

  constructor(private readonly options: ControllerOptions) {
    const m = options.metrics;
    this.queue = new WorkQueue<ResourceId>({
      baseDelayMs: options.backoffBaseMs,
      maxDelayMs: options.backoffMaxMs,
      onAdd: () => m?.queueDepth.set(this.queue.len()),
      onGet: (_key, waitedMs) => {
        m?.queueDepth.set(this.queue.len());
        m?.queueInFlight.set(this.queue.processing());
        m?.queueWaitSeconds.observe(waitedMs / 1000);
      },
      onDone: (_key, workedMs) => {
        m?.queueInFlight.set(this.queue.processing());
        m?.queueDepth.set(this.queue.len());
        m?.queueWorkSeconds.observe(workedMs / 1000);
      },
      onRetry: () => m?.queueRetries.inc(),
    });
  }

  /** Queues a key; detection times and user flags of coalesced adds are merged. */
  enqueue(id: ResourceId, trigger: TriggerClass, detectedAt?: number): void {
    const t = this.triggers.get(id) ?? {};
    if (detectedAt !== undefined && (t.detectedAt === undefined || detectedAt < t.detectedAt))
      t.detectedAt = detectedAt;
    if (trigger === 'user') t.user = true;
    this.triggers.set(id, t);
    this.options.metrics?.queueAdds.inc({ trigger });
    this.queue.add(id, { priority: queuePriority(this.options.priorityOf(id), trigger) });
  }

  start(): void {
    for (let i = 0; i < this.options.workers; i++) this.workers.push(this.work());
  }

  private async work(): Promise<void> {
    for (;;) {
      await this.options.gate?.(this.abort.signal);
      const item = await this.queue.get(this.abort.signal);
      if (!item) return;
      const trigger = this.triggers.get(item.key) ?? {};
      this.triggers.delete(item.key);
      await this.handle(item.key, item.priority, trigger);
      this.queue.done(item.key);
      if (this.queue.len() === 0 && this.queue.processing() === 0) this.options.onIdle?.();
    }
  }

  /** Reconciles one key and maps the outcome to a queue action and a metric label. */
  private async handle(id: ResourceId, priority: number, trigger: Trigger): Promise<void> {
    const { metrics } = this.options;
    const reconcileId = randomUUID().slice(0, 8);
    const started = performance.now();
    const startedAt = new Date().toISOString();
    // One span per reconcile; log lines inside carry the reconcile id; phases are timed into ctx.
    const ctx: ReconcileContext = { reconcileId, resourceId: id, phases: [], startedAt: started };
    const label = await traceReconcile(ctx, () => this.outcome(id, priority, trigger, ctx));
    const durationMs = performance.now() - started;
    metrics?.reconciles.inc({ result: label });
    metrics?.reconcileSeconds.observe(durationMs / 1000);
    this.options.onReconciled?.(ctx, label, startedAt, durationMs);
  }

  private async outcome(
    id: ResourceId,
    priority: number,
    trigger: Trigger,
    ctx: ReconcileContext,
  ): Promise<string> {
    const { reconcileId } = ctx;
    const { reconciler, logger, metrics } = this.options;
    let label: string;
    try {
      const result = await reconciler.reconcile(id, trigger);
      label = result.outcome;
      if (result.requeueAfterMs !== undefined) {
        this.queue.forget(id);
        this.queue.addAfter(id, result.requeueAfterMs, { priority });
      } else this.queue.forget(id);
      if (label !== 'noop' && label !== 'forgotten')
        logger.debug({ resourceId: id, reconcileId, outcome: label }, 'reconciled');
    } catch (err) {
      if ((err as { terminal?: boolean }).terminal) {
        label = 'terminal';
        ctx.error = (err as Error).message;
        this.queue.forget(id);
        logger.warn(
          { resourceId: id, reconcileId, err: (err as Error).message },
          'reconcile stopped until something changes',
        );
      } else {
        label = 'error';
        const reason =
          err instanceof ProviderError
            ? err.code
            : ((err as { code?: string }).code ?? 'SETPOINT_RECONCILE_FAILED');
        metrics?.reconcileErrors.inc({ reason });
        ctx.error = (err as Error).message;
        this.queue.addRateLimited(id, { priority });
        logger.warn(
          {
            resourceId: id,
            reconcileId,
            reason,
            failures: this.queue.failures(id),
            err: (err as Error).message,
          },
          'reconcile failed; retrying with backoff',
        );
      }
    }
    return label;
  }

  /** Stops taking work, lets in-flight reconciles finish. */
  async stop(): Promise<void> {
    this.queue.shutDown();
    this.abort.abort();
    await this.queue.drain();
    await Promise.all(this.workers);
  }
}
