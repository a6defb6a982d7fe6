/**
 * The write side of records, events, the audit chain, runs and action
 * intents, as synchronous steps with prepared statements, so one transaction
 * can hold an action's record, event and audit entry together (see
 * StoreBatch). Every failure comes out as a StoreError naming the file.
 */
import type Database from 'better-sqlite3';
import { cached } from './statements.js';
import { chainEntries, GENESIS_HASH } from '../audit-chain.js';
import { storeError } from '../errors.js';
import { auditColumns, eventColumns, recordColumns, runColumns } from '../rows.js';
import {
  type ActionIntent,
  type AuditEntry,
  type AuditInput,
  type EventRecord,
  type ResourceRecord,
  type RunRecord,
  type StoreBatch,
} from '../types.js';

export class SqliteWrites {
  private readonly putResource: Database.Statement;
  private readonly deleteResource: Database.Statement;
  private readonly insertEvent: Database.Statement;
  private readonly insertAudit: Database.Statement;
  private readonly lastAudit: Database.Statement;
  private readonly readHead: Database.Statement;
  private readonly writeHead: Database.Statement;
  private readonly upsertRun: Database.Statement;
  private readonly insertIntent: Database.Statement;
  private readonly deleteIntent: Database.Statement;
  private readonly batchTx: (batch: StoreBatch) => AuditEntry[];

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
  ) {
    this.putResource = db.prepare(
      `INSERT OR REPLACE INTO resources (id, kind, namespace, name, source, sync, health, managed, declared, signature, data, held)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.deleteResource = db.prepare('DELETE FROM resources WHERE id = ?');
    this.insertEvent = db.prepare(
      'INSERT INTO events (time, type, reason, message, resource_id, revision_id, run_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertAudit = db.prepare(
      `INSERT INTO audit (seq, time, actor, action, resource_id, revision_id, diff_digest, result, detail, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.lastAudit = db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
    this.readHead = db.prepare("SELECT value FROM meta WHERE key = 'audit_head'");
    this.writeHead = db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('audit_head', ?)");
    this.upsertRun = db.prepare(
      'INSERT OR REPLACE INTO runs (id, command, revision_id, actor, started_at, finished_at, result, summary, holder) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertIntent = db.prepare(
      'INSERT OR REPLACE INTO action_intents (holder, resource_id, data) VALUES (?, ?, ?)',
    );
    this.deleteIntent = db.prepare('DELETE FROM action_intents WHERE holder = ? AND resource_id = ?');
    const tx = db.transaction((batch: StoreBatch) => this.writeBatch(batch));
    // IMMEDIATE: two processes appending audit entries at once serialise on the write lock, so the chain never forks.
    this.batchTx = (batch) => tx.immediate(batch);
  }

  /** Runs `fn`, turning SQLite's failures into a StoreError that names the file. */
  guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw storeError(this.path, err);
    }
  }

  commit(batch: StoreBatch): AuditEntry[] {
    return this.guard(() => this.batchTx(batch));
  }

  /**
   * Runs `fn` in one IMMEDIATE transaction (as `commit`), with `write` to add
   * batches to it: a caller's own statements and the batches commit together.
   */
  transact<T>(fn: (write: (batch: StoreBatch) => AuditEntry[]) => T): T {
    return this.guard(() => this.db.transaction(() => fn((b) => this.writeBatch(b))).immediate());
  }

  listIntents(): ActionIntent[] {
    const rows = cached(this.db, 'SELECT data FROM action_intents ORDER BY rowid').all() as Array<{
      data: string;
    }>;
    return rows.map((r) => JSON.parse(r.data) as ActionIntent);
  }

  auditHead(): { seq: number; hash: string } | undefined {
    const row = this.readHead.get() as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as { seq: number; hash: string }) : undefined;
  }

  private writeBatch(batch: StoreBatch): AuditEntry[] {
    for (const r of batch.records ?? []) this.writeRecord(r);
    for (const id of batch.deletes ?? []) this.deleteResource.run(id);
    for (const e of batch.events ?? []) this.writeEvent(e);
    const entries = batch.audits?.length ? this.appendAudit(batch.audits) : [];
    for (const i of batch.intentsDone ?? []) this.deleteIntent.run(i.holder, i.resourceId);
    for (const i of batch.intents ?? []) this.insertIntent.run(i.holder, i.resourceId, JSON.stringify(i));
    for (const run of batch.runs ?? []) this.writeRun(run);
    return entries;
  }

  private writeRecord(r: ResourceRecord): void {
    this.putResource.run(...recordColumns(r));
  }

  private writeEvent(e: EventRecord): void {
    this.insertEvent.run(...eventColumns(e));
  }

  /** Chains and inserts entries; call inside a transaction. */
  private appendAudit(inputs: readonly AuditInput[]): AuditEntry[] {
    const last = this.lastAudit.get() as { seq: number; hash: string } | undefined;
    const head = this.auditHead();
    const lastSeq = Math.max(last?.seq ?? 0, head?.seq ?? 0);
    const entries = chainEntries(lastSeq, last?.hash ?? GENESIS_HASH, inputs);
    for (const e of entries) this.insertAudit.run(...auditColumns(e));
    const tail = entries[entries.length - 1];
    this.writeHead.run(JSON.stringify({ seq: tail.seq, hash: tail.hash }));
    return entries;
  }

  private writeRun(run: RunRecord): void {
    this.upsertRun.run(...runColumns(run));
  }
}
