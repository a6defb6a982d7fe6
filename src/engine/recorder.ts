/**
 * The report side of the loop, and the one place that applies record
 * transitions for one-shot apply and serve alike. An action writes its
 * intent before it acts (`intend`); its outcome (`outcome`) becomes the
 * resource's record, an event, an audit entry, a counter increment and a log
 * line, and the record, event and audit entry are committed in one
 * transaction together with the removal of the intent, before the next
 * action depending on it starts. So a kill -9 or a full disk never leaves a
 * change unaudited: either its outcome is committed, or its intent is left
 * and the next start audits it as interrupted (runs.ts).
 *
 * What needs no audit — no-op records, observation events — is buffered and
 * written at most 250 ms later (the flush interval) and at the end, so a
 * no-op run over 10,000 resources does not pay for 10,000 transactions. The
 * flush timer runs only while something waits: an idle process is not woken.
 * Everything passes the redactor on the way out.
 */
import { createHash } from 'node:crypto';
import type { Change } from '../diff/index.js';
import type { ResourceId } from '../manifest/index.js';
import { redactor } from '../secrets/index.js';
import type {
  ActionIntent,
  AuditInput,
  EventRecord,
  EventType,
  ResourceRecord,
  Store,
  StoreBatch,
} from '../store/index.js';
import { Counter, type Logger } from '../telemetry/index.js';
import { holderId } from '../store/lock.js';

export interface RecorderOptions {
  store: Store;
  logger: Logger;
  actor: string;
  /** The serve replica acting (`host:pid serve <id>`): recorded in every audit entry's detail. Defaults to none. */
  replica?: string;
  revisionId?: string;
  runId?: string;
  /** The longest a buffered record, event or audit entry waits to be written (after start). Defaults to 250 ms. */
  flushIntervalMs?: number;
  /** Called after each flush that wrote something, with what it wrote (e.g. to stream status changes). */
  onFlushed?: (written: Flushed) => void;
  /** A periodic flush failed (the store is full or gone); what it did not write is kept for the next. Defaults to a warning in the log. */
  onFlushError?: (err: Error) => void;
}

/** Who acts through an outcome: `apply` (one-shot) or `serve`; the audit action is `<via>.<op>`. */
export type ActingVia = 'apply' | 'serve';

/** One action's outcome, as `Recorder.outcome` records it. */
export interface OutcomeInput {
  id: ResourceId;
  kind: string;
  op: string;
  result: 'succeeded' | 'failed' | 'skipped';
  /** A sentence: what was done, or why not (the event message). */
  message: string;
  changes: readonly Change[];
  via: ActingVia;
  /** The record afterwards; null: forget it (deleted or pruned); undefined: leave it. */
  record: ResourceRecord | null | undefined;
  /** The event reason; defaults to Created/Updated/…, ApplyFailed or Skipped. */
  reason?: string;
  /** No event (the provider reported what happened itself, e.g. a restart). Defaults to false. */
  quiet?: boolean;
  /** Defaults to the recorder's actor. */
  actor?: string;
  revisionId?: string;
  /** The audit entry's detail. */
  detail?: Record<string, unknown>;
  /** The intent `intend` wrote: removed in the same transaction. */
  intent?: ActionIntent;
}

/** What one flush wrote to the store. */
export interface Flushed {
  records: readonly ResourceRecord[];
  deletes: readonly ResourceId[];
  events: number;
}

export const runCounters = {
  actions: new Counter('setpoint_actions_total', 'Actions performed, by kind, operation and result.'),
  events: new Counter('setpoint_events_total', 'Events recorded, by type and reason.'),
};

export class Recorder {
  private events: EventRecord[] = [];
  private audits: AuditInput[] = [];
  private intentsDone: Array<Pick<ActionIntent, 'holder' | 'resourceId'>> = [];
  private intents: ActionIntent[] = [];
  private soon: Promise<void> | undefined;
  private intentsNext: Promise<void> | undefined;
  private intentsFlushing: Promise<void> = Promise.resolve();
  private records = new Map<ResourceId, ResourceRecord>();
  private deletes = new Set<ResourceId>();
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly options: RecorderOptions) {}

  get revisionId(): string | undefined {
    return this.options.revisionId;
  }

  /** Events and audit entries from now on carry this revision (serve admits new ones). */
  setRevision(revisionId: string): void {
    this.options.revisionId = revisionId;
  }

  /**
   * The latest record of `id` as this recorder knows it: buffered and not yet
   * written, or `null` when a delete is buffered; undefined = ask the store.
   * Read-your-writes for reconcilers that run again before the next flush.
   */
  peek(id: ResourceId): ResourceRecord | null | undefined {
    if (this.deletes.has(id)) return null;
    return this.records.get(id) ?? this.writing?.get(id);
  }

  /** From now on, what is buffered is written within the flush interval (and what a failed write kept, retried). */
  start(): void {
    this.started = true;
    this.flushLater();
  }

  /**
   * Arms the flush timer when started and none is armed. Called whenever
   * something is buffered: a timer that ticked while nothing waited would
   * wake an idle agent for nothing (the bound on the wait is the same).
   */
  private flushLater(): void {
    if (!this.started || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch((failure: unknown) => {
        const err = failure instanceof Error ? failure : new Error(String(failure));
        if (this.options.onFlushError) this.options.onFlushError(err);
        else this.options.logger.warn({ err: err.message }, 'cannot write records; retrying');
      });
    }, this.options.flushIntervalMs ?? 250);
    this.timer.unref();
  }

  event(
    type: EventType,
    reason: string,
    message: string,
    resourceId?: ResourceId,
    /** Defaults to the recorder's current revision. */
    revisionId = this.options.revisionId,
  ): void {
    const clean = redactor.redact(message);
    this.events.push({
      time: new Date().toISOString(),
      type,
      reason,
      message: clean,
      resourceId,
      revisionId,
      runId: this.options.runId,
    });
    this.flushLater();
    runCounters.events.inc({ type, reason });
    const line = { resourceId, revisionId, runId: this.options.runId, reason };
    if (type === 'Warning') this.options.logger.warn(line, clean);
    else this.options.logger.info(line, clean);
  }

  /** Buffers an audit entry; the actor defaults to the recorder's (serve passes the approver of an approved action). */
  audit(
    input: Omit<AuditInput, 'time' | 'actor' | 'revisionId'> & { revisionId?: string; actor?: string },
  ): void {
    this.audits.push({
      time: new Date().toISOString(),
      ...input,
      actor: input.actor ?? this.options.actor,
      revisionId: input.revisionId ?? this.options.revisionId,
      detail: this.withReplica(input.detail ? redactor.redactValue(input.detail) : undefined),
    });
    this.flushLater();
  }

  private withReplica(detail: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
    const replica = this.options.replica;
    return replica ? { ...detail, replica } : detail;
  }

  /**
   * Writes that `id` is about to act, before it acts (with the intents of the
   * actions starting in the same turn); throws (StoreError) when that cannot
   * be written, and then the action must not run.
   */
  async intend(input: {
    id: ResourceId;
    op: string;
    via: ActingVia;
    changes: readonly Change[];
    actor?: string;
    revisionId?: string;
  }): Promise<ActionIntent> {
    const intent: ActionIntent = {
      resourceId: input.id,
      holder: holderId(),
      runId: this.options.runId,
      action: `${input.via}.${input.op}`,
      actor: input.actor ?? this.options.actor,
      revisionId: input.revisionId ?? this.options.revisionId,
      diffDigest: changeDigest(input.changes),
      startedAt: new Date().toISOString(),
    };
    this.intents.push(intent);
    await this.intentsSoon();
    return intent;
  }

  /**
   * Intents have a commit chain of their own: they touch nothing else the
   * outcomes write (no record, no audit entry), so the actions starting now
   * need not wait behind the outcomes of those that just finished. Each
   * intent is still committed before its action acts, and its removal (with
   * the outcome) comes after, since the action runs between the two.
   */
  private intentsSoon(): Promise<void> {
    return (this.intentsNext ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.intentsNext = undefined;
      const next = this.intentsFlushing.catch(() => undefined).then(() => this.writeIntents());
      this.intentsFlushing = next;
      return next;
    }));
  }

  private async writeIntents(): Promise<void> {
    const intents = this.intents;
    if (!intents.length) return;
    this.intents = [];
    // Not put back on failure: whoever wrote them was told it failed and does not act.
    await this.options.store.commit({ intents });
  }

  /**
   * Applies an action's outcome: the record, an event, a counter, a log line
   * and an audit entry, committed in one transaction with what is buffered
   * (so the order holds) and the removal of its intent. Rejects when the
   * store cannot take it; what was not written stays buffered.
   */
  outcome(
    o: OutcomeInput,
    metric?: (kind: string, op: string, result: OutcomeInput['result']) => void,
  ): Promise<void> {
    const reason =
      o.reason ??
      (o.result === 'succeeded' ? pastTense(o.op) : o.result === 'failed' ? 'ApplyFailed' : 'Skipped');
    if (!o.quiet) this.event(o.result === 'succeeded' ? 'Normal' : 'Warning', reason, o.message, o.id);
    runCounters.actions.inc({ kind: o.kind, op: o.op, result: o.result });
    metric?.(o.kind, o.op, o.result);
    this.audit({
      action: `${o.via}.${o.op}`,
      actor: o.actor,
      resourceId: o.id,
      revisionId: o.revisionId,
      diffDigest: changeDigest(o.changes),
      result: o.result,
      detail: o.detail,
    });
    if (o.record === null) this.forget(o.id);
    else if (o.record) this.record(o.record);
    if (o.intent) this.intentsDone.push({ holder: o.intent.holder, resourceId: o.intent.resourceId });
    return this.flushSoon();
  }

  /**
   * A group commit: everything buffered by the end of this turn of the event
   * loop (e.g. the outcomes of actions that finish together), and all that
   * comes in while the commit before it runs, goes in one transaction.
   */
  private flushSoon(): Promise<void> {
    return (this.soon ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.soon = undefined;
      return this.flush();
    }));
  }

  record(record: ResourceRecord): void {
    this.deletes.delete(record.id);
    this.records.set(record.id, record);
    this.flushLater();
  }

  forget(id: ResourceId): void {
    this.records.delete(id);
    this.deletes.add(id);
    this.flushLater();
  }

  /** Writes what is buffered, in one transaction. Calls never overlap; one that fails does not stop the next. */
  flush(): Promise<void> {
    const next = this.flushing.catch(() => undefined).then(() => this.write());
    this.flushing = next;
    return next;
  }

  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.intentsFlushing.catch(() => undefined);
    await this.flush();
  }

  /** Records being written by the flush in progress (still newer than the store until it commits). */
  private writing: Map<ResourceId, ResourceRecord> | undefined;

  private async write(): Promise<void> {
    const taken = this.records;
    const batch: StoreBatch = {
      records: [...taken.values()],
      deletes: [...this.deletes],
      events: this.events,
      audits: this.audits,
      intentsDone: this.intentsDone,
    };
    if (
      !batch.records!.length &&
      !batch.deletes!.length &&
      !batch.events!.length &&
      !batch.audits!.length &&
      !batch.intentsDone!.length
    )
      return;
    this.writing = taken;
    this.records = new Map();
    this.deletes = new Set();
    this.events = [];
    this.audits = [];
    this.intentsDone = [];
    try {
      await this.options.store.commit(batch);
    } catch (err) {
      this.putBack(taken, batch);
      throw err;
    } finally {
      this.writing = undefined;
    }
    if (this.options.onFlushed && (batch.records!.length || batch.deletes!.length || batch.events!.length))
      this.options.onFlushed({
        records: batch.records!,
        deletes: batch.deletes!,
        events: batch.events!.length,
      });
  }

  /** A failed write's batch goes back in front of what was buffered since (newer records win). */
  private putBack(records: Map<ResourceId, ResourceRecord>, batch: StoreBatch): void {
    for (const [id, r] of records)
      if (!this.records.has(id) && !this.deletes.has(id)) this.records.set(id, r);
    for (const id of batch.deletes!) if (!this.records.has(id)) this.deletes.add(id);
    this.events = [...batch.events!, ...this.events].slice(-MAX_UNWRITTEN_EVENTS);
    this.audits = [...batch.audits!, ...this.audits];
    this.intentsDone = [...batch.intentsDone!, ...this.intentsDone];
    // Retried at the next tick, as when the timer ticked whether or not anything waited.
    this.flushLater();
  }
}

/** Events kept in memory at most while the state cannot be written (records and audit entries are all kept). */
const MAX_UNWRITTEN_EVENTS = 10_000;

function pastTense(op: string): string {
  return { create: 'Created', update: 'Updated', replace: 'Replaced', delete: 'Deleted' }[op] ?? 'Applied';
}

/** sha256 of the change set an action acted on (paths and values, secrets excluded). */
export function changeDigest(changes: readonly Change[]): string {
  const h = createHash('sha256');
  for (const c of changes)
    h.update(JSON.stringify([c.path, c.sensitive ? null : c.old, c.sensitive ? null : c.new]));
  return h.digest('hex');
}

/** What an approver saw: the change set and the operation. */
export function approvalDigest(action: { changes: readonly Change[]; op: string }): string {
  return changeDigest(action.changes) + ':' + action.op;
}
