/**
 * The report side of the loop. Every action outcome becomes an event, a
 * counter increment, a log line (with resource id and revision id) and an
 * audit entry; records, events and audit entries are written to the store in
 * batches (every 250 ms and at the end) so a 10,000-action run does not pay
 * for 30,000 transactions. Everything passes the redactor on the way out.
 */
import { createHash } from 'node:crypto';
import type { Change } from '../diff/index.js';
import type { ResourceId } from '../manifest/index.js';
import { redactor } from '../secrets/index.js';
import type { AuditInput, EventRecord, EventType, ResourceRecord, Store } from '../store/index.js';
import { Counter, type Logger } from '../telemetry/index.js';

export interface RecorderOptions {
  store: Store;
  logger: Logger;
  actor: string;
  revisionId?: string;
  runId?: string;
  /** Defaults to 250 ms. */
  flushIntervalMs?: number;
  /** Called after each flush that wrote something, with what it wrote (e.g. to stream status changes). */
  onFlushed?: (written: Flushed) => void;
  /** A periodic flush failed (what it did not write is kept for the next). Defaults to a warning in the log. */
  onFlushError?: (err: Error) => void;
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
  private records = new Map<ResourceId, ResourceRecord>();
  private deletes = new Set<ResourceId>();
  private timer: NodeJS.Timeout | undefined;
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

  start(): void {
    this.timer ??= setInterval(
      () =>
        void this.flush().catch((err: Error) =>
          this.options.onFlushError
            ? this.options.onFlushError(err)
            : this.options.logger.warn({ err: err.message }, 'cannot write records; retrying'),
        ),
      this.options.flushIntervalMs ?? 250,
    );
    this.timer.unref();
  }

  event(type: EventType, reason: string, message: string, resourceId?: ResourceId): void {
    const clean = redactor.redact(message);
    this.events.push({
      time: new Date().toISOString(),
      type,
      reason,
      message: clean,
      resourceId,
      revisionId: this.options.revisionId,
      runId: this.options.runId,
    });
    runCounters.events.inc({ type, reason });
    const line = { resourceId, revisionId: this.options.revisionId, runId: this.options.runId, reason };
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
      detail: input.detail ? redactor.redactValue(input.detail) : undefined,
    });
  }

  /** An action's outcome: event, counter, log line and audit entry. */
  action(outcome: {
    id: ResourceId;
    kind: string;
    op: string;
    result: 'succeeded' | 'failed' | 'skipped';
    message: string;
    changes: readonly Change[];
    pruned?: boolean;
  }): void {
    const reason =
      outcome.result === 'succeeded'
        ? pastTense(outcome.op)
        : outcome.result === 'failed'
          ? 'ApplyFailed'
          : 'Skipped';
    this.event(outcome.result === 'succeeded' ? 'Normal' : 'Warning', reason, outcome.message, outcome.id);
    runCounters.actions.inc({ kind: outcome.kind, op: outcome.op, result: outcome.result });
    this.audit({
      action: `apply.${outcome.op}`,
      resourceId: outcome.id,
      diffDigest: changeDigest(outcome.changes),
      result: outcome.result,
      detail:
        outcome.result === 'succeeded' && !outcome.pruned
          ? undefined
          : {
              pruned: outcome.pruned || undefined,
              message: outcome.result === 'succeeded' ? undefined : outcome.message,
            },
    });
  }

  record(record: ResourceRecord): void {
    this.deletes.delete(record.id);
    this.records.set(record.id, record);
  }

  forget(id: ResourceId): void {
    this.records.delete(id);
    this.deletes.add(id);
  }

  /** Writes what is buffered. Calls never overlap; a failed one keeps what it could not write for the next. */
  flush(): Promise<void> {
    this.flushing = this.flushing.catch(() => undefined).then(() => this.write());
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Records being written by the flush in progress (still newer than the store until it commits). */
  private writing: Map<ResourceId, ResourceRecord> | undefined;

  private async write(): Promise<void> {
    const { store } = this.options;
    this.writing = this.records;
    const records = [...this.records.values()];
    const deletes = [...this.deletes];
    const events = this.events;
    const audits = this.audits;
    this.records = new Map();
    this.deletes = new Set();
    this.events = [];
    this.audits = [];
    let written = 0;
    try {
      if (records.length) await store.putResources(records);
      written = 1;
      if (deletes.length) await store.deleteResources(deletes);
      written = 2;
      if (events.length) await store.appendEvents(events);
      written = 3;
      if (audits.length) await store.appendAudit(audits);
    } catch (err) {
      this.keepUnwritten(written, records, deletes, events, audits);
      throw err;
    } finally {
      this.writing = undefined;
    }
    if (this.options.onFlushed && (records.length || deletes.length || events.length))
      this.options.onFlushed({ records, deletes, events: events.length });
  }

  /** What a failed write did not get to goes back under what was buffered since (the newer record wins). */
  private keepUnwritten(
    written: number,
    records: ResourceRecord[],
    deletes: ResourceId[],
    events: EventRecord[],
    audits: AuditInput[],
  ): void {
    if (written < 1)
      for (const r of records)
        if (!this.records.has(r.id) && !this.deletes.has(r.id)) this.records.set(r.id, r);
    if (written < 2) for (const id of deletes) if (!this.records.has(id)) this.deletes.add(id);
    if (written < 3) this.events = [...events, ...this.events].slice(-MAX_UNWRITTEN_EVENTS);
    this.audits = [...audits, ...this.audits];
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
