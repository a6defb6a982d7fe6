/**
 * The PostgreSQL store: the same contract, tables and numbered migrations as
 * the SQLite store (../sqlite/), shared by every replica of setpoint. Records
 * are JSON text next to the columns that queries filter on. Writes are
 * fenced transactions (./writes.ts, ./leases.ts); the pool rides out a
 * server restart (./pool.ts). Open it with `PostgresStore.open(url)`.
 */
import { randomBytes } from 'node:crypto';
import type { HeldReason, SyncStatus } from '../../health/index.js';
import { ChainVerifier } from '../audit-chain.js';
import type {
  ActionIntent,
  ApprovalRecord,
  ApprovalState,
  AuditEntry,
  AuditInput,
  AuditQuery,
  AuditVerification,
  DriftEpisode,
  EventQuery,
  EventRecord,
  Fence,
  Lease,
  Nudge,
  ResourceFilter,
  ResourceRecord,
  ResourceSummary,
  RevisionRecord,
  RunRecord,
  RunResult,
  PruneCounts,
  RetentionCutoffs,
  SourceState,
  Store,
  StoreBatch,
  StoreProblem,
  TokenRecord,
} from '../types.js';
import {
  callerMetaKey,
  auditFromRow,
  episodeFromRow,
  eventFromRow,
  nudgeFromRow,
  runFromRow,
  tokenData,
  type AuditRow,
} from '../rows.js';
import { PgPool, type PgPoolOptions } from './pool.js';
import { PgLeases } from './leases.js';
import { PgWrites } from './writes.js';
import { migratePostgres } from './migrate.js';
import { PgAlertStore } from './alerts.js';
import { PgFleetStore } from './nodes.js';
import { PgViolationStore } from './violations.js';
import { PgRolloutStore } from './rollouts.js';
import { DelegatingStore } from '../delegates.js';
import { PgSpanStore } from './spans.js';

export type PostgresStoreOptions = PgPoolOptions;

/** Where clauses with numbered parameters. */
class Where {
  readonly parts: string[] = [];
  readonly args: unknown[] = [];
  add(sql: (p: string) => string, value: unknown): void {
    this.args.push(value);
    this.parts.push(sql(`$${this.args.length}`));
  }
  param(value: unknown): string {
    this.args.push(value);
    return `$${this.args.length}`;
  }
  get sql(): string {
    return this.parts.length ? 'WHERE ' + this.parts.join(' AND ') : '';
  }
}

export class PostgresStore extends DelegatingStore implements Store {
  readonly db: PgPool;
  private readonly leases: PgLeases;
  private readonly writes: PgWrites;
  protected readonly alerting: PgAlertStore;
  protected readonly violations: PgViolationStore;
  protected readonly spans: PgSpanStore;
  protected readonly rollouts: PgRolloutStore;

  private constructor(db: PgPool) {
    super();
    this.db = db;
    this.leases = new PgLeases(db);
    this.writes = new PgWrites(db, this.leases);
    this.alerting = new PgAlertStore(db, this.writes);
    this.violations = new PgViolationStore(db, this.writes);
    this.rollouts = new PgRolloutStore(db, this.writes);
    this.spans = new PgSpanStore(db, this.writes);
  }

  /** Connects, brings the schema up to date and returns the store. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const db = new PgPool(url, options);
    try {
      await db.query('SELECT 1');
      await migratePostgres(db);
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
    return new PostgresStore(db);
  }

  /** The location without its password. */
  get location(): string {
    return this.db.shown;
  }

  async salt(): Promise<string> {
    const read = async () =>
      (await this.db.query<{ value: string }>("SELECT value FROM meta WHERE key = 'salt'")).rows[0]?.value;
    const existing = await read();
    if (existing) return existing;
    const salt = randomBytes(32).toString('hex');
    await this.writes.write((c) =>
      c.query("INSERT INTO meta (key, value) VALUES ('salt', $1) ON CONFLICT (key) DO NOTHING", [salt]),
    );
    return await read();
  }

  async putRevision(rev: RevisionRecord): Promise<void> {
    await this.writes.write((c) =>
      c.query(
        `INSERT INTO revisions (id, source, created_at, admitted, data) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET source = excluded.source, created_at = excluded.created_at,
           admitted = excluded.admitted, data = excluded.data`,
        [rev.id, rev.source, rev.createdAt, rev.admitted ? 1 : 0, JSON.stringify(rev)],
      ),
    );
  }

  async getRevision(id: string): Promise<RevisionRecord | undefined> {
    const exact = await this.db.query<{ data: string }>('SELECT data FROM revisions WHERE id = $1', [id]);
    const row =
      exact.rows[0] ??
      (
        await this.db.query<{ data: string }>(
          'SELECT data FROM revisions WHERE starts_with(id, $1) ORDER BY created_at DESC LIMIT 1',
          [id],
        )
      ).rows[0];
    return row ? (JSON.parse(row.data) as RevisionRecord) : undefined;
  }

  async listRevisions(options: { source?: string; limit?: number } = {}): Promise<RevisionRecord[]> {
    const w = new Where();
    if (options.source) w.add((p) => `source = ${p}`, options.source);
    const limit = w.param(options.limit ?? 100);
    const { rows } = await this.db.query<{ data: string }>(
      `SELECT data FROM revisions ${w.sql} ORDER BY created_at DESC, ord DESC LIMIT ${limit}`,
      w.args,
    );
    return rows.map((r) => JSON.parse(r.data) as RevisionRecord);
  }

  async markConverged(revisionId: string, at: string): Promise<void> {
    const rev = await this.getRevision(revisionId);
    if (!rev || rev.convergedAt) return;
    await this.putRevision({ ...rev, convergedAt: at });
  }

  async getResource(id: string): Promise<ResourceRecord | undefined> {
    const { rows } = await this.db.query<{ data: string }>('SELECT data FROM resources WHERE id = $1', [id]);
    return rows[0] ? (JSON.parse(rows[0].data) as ResourceRecord) : undefined;
  }

  async listResources(filter: ResourceFilter = {}): Promise<ResourceRecord[]> {
    const w = new Where();
    for (const [col, value] of [
      ['kind', filter.kind],
      ['namespace', filter.namespace],
      ['source', filter.source],
      ['sync', filter.sync],
      ['health', filter.health],
    ] as const)
      if (value !== undefined) w.add((p) => `${col} = ${p}`, value);
    if (filter.ids) w.add((p) => `id = ANY(${p}::text[])`, filter.ids);
    if (filter.namespaces) w.add((p) => `namespace = ANY(${p}::text[])`, filter.namespaces);
    if (filter.after !== undefined) w.add((p) => `id > ${p}`, filter.after);
    for (const [k, v] of Object.entries(filter.labels ?? {})) {
      const key = w.param(k);
      w.add((p) => `(data::jsonb -> 'labels' ->> ${key}) = ${p}`, v);
    }
    const limit = filter.limit !== undefined ? ` LIMIT ${w.param(filter.limit)}` : '';
    const { rows } = await this.db.query<{ data: string }>(
      `SELECT data FROM resources ${w.sql} ORDER BY id${limit}`,
      w.args,
    );
    return rows.map((r) => JSON.parse(r.data) as ResourceRecord);
  }

  async listResourceSummaries(source: string): Promise<ResourceSummary[]> {
    // Array rows: no per-row object with column names; this runs on every plan.
    const rows = await this.db.queryArrays<[string, SyncStatus, number, number, string, HeldReason | null]>(
      'SELECT id, sync, managed, declared, signature, held FROM resources WHERE source = $1',
      [source],
    );
    const out = new Array<ResourceSummary>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      out[i] = { id: r[0], sync: r[1], managed: r[2] === 1, declared: r[3] === 1, signature: r[4] };
      if (r[5]) out[i].held = r[5];
    }
    return out;
  }

  async putResources(records: readonly ResourceRecord[]): Promise<void> {
    if (records.length > 0) await this.writes.commit({ records });
  }

  async deleteResources(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.writes.commit({ deletes: ids });
  }

  async prune(c: RetentionCutoffs): Promise<PruneCounts> {
    return this.writes.write(async (client) => {
      const run = async (sql: string, arg: string | number) => (await client.query(sql, [arg])).rowCount ?? 0;
      return {
        events: await run('DELETE FROM events WHERE time < $1', c.events),
        violations: await run('DELETE FROM policy_violations WHERE time < $1', c.events),
        spans: await run('DELETE FROM reconcile_spans WHERE started_at < $1', c.events),
        runs: await run('DELETE FROM runs WHERE finished_at IS NOT NULL AND started_at < $1', c.runs),
        driftEpisodes: await run('DELETE FROM drift_episodes WHERE recorded_at < $1', c.runs),
        alerts: await run('DELETE FROM alerts WHERE resolved_at IS NOT NULL AND resolved_at < $1', c.alerts),
        sliSamples: await run('DELETE FROM sli_samples WHERE minute < $1', c.sliMinute),
      };
    });
  }

  async appendEvents(events: readonly EventRecord[]): Promise<void> {
    if (events.length > 0) await this.writes.commit({ events });
  }

  commit(batch: StoreBatch): Promise<AuditEntry[]> {
    return this.writes.commit(batch);
  }

  async listIntents(): Promise<ActionIntent[]> {
    const { rows } = await this.db.query<{ data: string }>('SELECT data FROM action_intents ORDER BY ord');
    return rows.map((r) => JSON.parse(r.data) as ActionIntent);
  }

  async listEvents(query: EventQuery = {}): Promise<EventRecord[]> {
    const w = new Where();
    if (query.resourceId) w.add((p) => `resource_id = ${p}`, query.resourceId);
    if (query.runId) w.add((p) => `run_id = ${p}`, query.runId);
    if (query.afterSeq !== undefined) w.add((p) => `seq > ${p}`, query.afterSeq);
    const limit = w.param(query.limit ?? 100);
    // After a sequence number: the next page (oldest first). Otherwise: the newest N, in order.
    const sql =
      query.afterSeq !== undefined
        ? `SELECT * FROM events ${w.sql} ORDER BY seq LIMIT ${limit}`
        : `SELECT * FROM (SELECT * FROM events ${w.sql} ORDER BY seq DESC LIMIT ${limit}) e ORDER BY seq`;
    const { rows } = await this.db.query(sql, w.args);
    return rows.map(eventFromRow);
  }

  async appendAudit(inputs: readonly AuditInput[]): Promise<AuditEntry[]> {
    return inputs.length === 0 ? [] : this.writes.commit({ audits: inputs });
  }

  async listAudit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const w = new Where();
    if (query.since) w.add((p) => `time >= ${p}`, query.since);
    if (query.resourceId) w.add((p) => `resource_id = ${p}`, query.resourceId);
    if (query.actor) w.add((p) => `actor = ${p}`, query.actor);
    if (query.action) w.add((p) => `action = ${p}`, query.action);
    if (query.afterSeq !== undefined) w.add((p) => `seq > ${p}`, query.afterSeq);
    const limit = w.param(query.limit ?? 1000);
    const sql =
      query.afterSeq !== undefined
        ? `SELECT * FROM audit ${w.sql} ORDER BY seq LIMIT ${limit}`
        : `SELECT * FROM (SELECT * FROM audit ${w.sql} ORDER BY seq DESC LIMIT ${limit}) a ORDER BY seq`;
    const { rows } = await this.db.query<AuditRow>(sql, w.args);
    return rows.map(auditFromRow);
  }

  async verifyAudit(): Promise<AuditVerification> {
    // Page through the chain so a long one is never held in memory at once.
    const head = await this.writes.auditHead();
    const db = this.db;
    async function* entries(): AsyncGenerator<AuditEntry> {
      let after = 0;
      for (;;) {
        const { rows } = await db.query<AuditRow>(
          'SELECT * FROM audit WHERE seq > $1 ORDER BY seq LIMIT 5000',
          [after],
        );
        for (const r of rows) yield auditFromRow(r);
        if (rows.length < 5000) return;
        after = rows[rows.length - 1].seq;
      }
    }
    const verifier = new ChainVerifier();
    for await (const e of entries()) {
      const bad = verifier.push(e);
      if (bad) return { ok: false, entries: verifier.count, firstBad: bad };
    }
    return verifier.finish(head);
  }

  async getMeta(key: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ value: string }>('SELECT value FROM meta WHERE key = $1', [
      callerMetaKey(key),
    ]);
    return rows[0]?.value;
  }

  async putMeta(key: string, value: string): Promise<void> {
    await this.writes.write((c) =>
      c.query(
        'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        [callerMetaKey(key), value],
      ),
    );
  }

  async recordAuditExport(head: { seq: number; hash: string }, file?: string): Promise<void> {
    // The anchor file of the SQLite store is per host; with PostgreSQL the export head is kept in the database.
    await this.writes.write((c) =>
      c.query(
        `INSERT INTO meta (key, value) VALUES ('audit_exported', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [JSON.stringify({ ...head, at: new Date().toISOString(), file })],
      ),
    );
  }

  async getSource(name: string): Promise<SourceState | undefined> {
    const { rows } = await this.db.query<{ data: string }>('SELECT data FROM sources WHERE name = $1', [
      name,
    ]);
    return rows[0] ? (JSON.parse(rows[0].data) as SourceState) : undefined;
  }

  async updateSource(name: string, change: (state: SourceState) => SourceState): Promise<SourceState> {
    return this.writes.write(async (c) => {
      // Creates the row first, so FOR UPDATE has a row to lock even for a new source.
      await c.query('INSERT INTO sources (name, data) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [
        name,
        JSON.stringify({ name }),
      ]);
      const { rows } = await c.query<{ data: string }>(
        'SELECT data FROM sources WHERE name = $1 FOR UPDATE',
        [name],
      );
      const next = { ...change(JSON.parse(rows[0].data) as SourceState), name };
      await c.query('UPDATE sources SET data = $2 WHERE name = $1', [name, JSON.stringify(next)]);
      return next;
    });
  }

  async listSources(): Promise<SourceState[]> {
    const { rows } = await this.db.query<{ data: string }>('SELECT data FROM sources ORDER BY name');
    return rows.map((r) => JSON.parse(r.data) as SourceState);
  }

  async createToken(t: TokenRecord): Promise<boolean> {
    const r = await this.writes.write((c) =>
      c.query(
        `INSERT INTO api_tokens (name, hash, role, revoked_at, data) VALUES ($1, $2, $3, NULL, $4)
         ON CONFLICT (name) DO UPDATE SET hash = excluded.hash, role = excluded.role, revoked_at = NULL, data = excluded.data
         WHERE api_tokens.revoked_at IS NOT NULL`,
        [t.name, t.hash, t.role, tokenData(t)],
      ),
    );
    return r.rowCount === 1;
  }

  async listTokens(): Promise<TokenRecord[]> {
    const { rows } = await this.db.query<{ data: string }>('SELECT data FROM api_tokens ORDER BY name');
    return rows.map((r) => JSON.parse(r.data) as TokenRecord);
  }

  async revokeToken(name: string, at: string, by: string): Promise<boolean> {
    return this.writes.write(async (c) => {
      const { rows } = await c.query<{ data: string }>(
        'SELECT data FROM api_tokens WHERE name = $1 AND revoked_at IS NULL FOR UPDATE',
        [name],
      );
      if (!rows[0]) return false;
      const t: TokenRecord = { ...(JSON.parse(rows[0].data) as TokenRecord), revokedAt: at, revokedBy: by };
      await c.query('UPDATE api_tokens SET revoked_at = $1, data = $2 WHERE name = $3', [
        at,
        JSON.stringify(t),
        name,
      ]);
      return true;
    });
  }

  async putApproval(a: ApprovalRecord): Promise<void> {
    await this.writes.write((c) =>
      c.query(
        `INSERT INTO approvals (id, resource_id, state, created_at, data) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET resource_id = excluded.resource_id, state = excluded.state,
           created_at = excluded.created_at, data = excluded.data`,
        [a.id, a.resourceId, a.state, a.createdAt, JSON.stringify(a)],
      ),
    );
  }

  async updateApproval(
    id: string,
    change: (current: ApprovalRecord | undefined) => ApprovalRecord | undefined,
  ): Promise<ApprovalRecord | undefined> {
    return this.writes.write(async (c) => {
      // READ COMMITTED: when another writer creates the row between our read and our insert, the
      // insert does nothing, and the next read (a new statement) sees and locks that row.
      for (;;) {
        const { rows } = await c.query<{ data: string }>(
          'SELECT data FROM approvals WHERE id = $1 FOR UPDATE',
          [id],
        );
        const current = rows[0] ? (JSON.parse(rows[0].data) as ApprovalRecord) : undefined;
        const next = change(current);
        if (!next) return undefined;
        if (next.id !== id) throw new Error(`updateApproval(${id}) returned approval ${next.id}`);
        const values = [next.id, next.resourceId, next.state, next.createdAt, JSON.stringify(next)];
        if (current) {
          await c.query(
            'UPDATE approvals SET resource_id = $2, state = $3, created_at = $4, data = $5 WHERE id = $1',
            values,
          );
          return next;
        }
        const made = await c.query(
          `INSERT INTO approvals (id, resource_id, state, created_at, data) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (id) DO NOTHING`,
          values,
        );
        if (made.rowCount === 1) return next;
      }
    });
  }

  async getApproval(id: string): Promise<ApprovalRecord | undefined> {
    const exact = await this.db.query<{ data: string }>('SELECT data FROM approvals WHERE id = $1', [id]);
    if (exact.rows[0]) return JSON.parse(exact.rows[0].data) as ApprovalRecord;
    const { rows } = await this.db.query<{ data: string }>(
      'SELECT data FROM approvals WHERE starts_with(id, $1) LIMIT 2',
      [id],
    );
    return rows.length === 1 ? (JSON.parse(rows[0].data) as ApprovalRecord) : undefined;
  }

  async listApprovals(
    filter: { state?: ApprovalState; resourceId?: string } = {},
  ): Promise<ApprovalRecord[]> {
    const w = new Where();
    if (filter.state) w.add((p) => `state = ${p}`, filter.state);
    if (filter.resourceId) w.add((p) => `resource_id = ${p}`, filter.resourceId);
    const { rows } = await this.db.query<{ data: string }>(
      `SELECT data FROM approvals ${w.sql} ORDER BY created_at`,
      w.args,
    );
    return rows.map((r) => JSON.parse(r.data) as ApprovalRecord);
  }

  async appendNudge(n: Nudge): Promise<number> {
    const { rows } = await this.writes.write((c) =>
      c.query<{ seq: number }>(
        'INSERT INTO nudges (resource_id, reason, actor, at) VALUES ($1, $2, $3, $4) RETURNING seq',
        [n.resourceId ?? null, n.reason, n.actor, n.at],
      ),
    );
    return rows[0].seq;
  }

  async listNudges(afterSeq: number): Promise<Nudge[]> {
    const { rows } = await this.db.query('SELECT * FROM nudges WHERE seq > $1 ORDER BY seq', [afterSeq]);
    return rows.map(nudgeFromRow);
  }

  async openEpisode(e: DriftEpisode): Promise<number> {
    const { rows } = await this.writes.write((c) =>
      c.query<{ id: number }>(
        'INSERT INTO drift_episodes (resource_id, kind, detected_at, recorded_at) VALUES ($1, $2, $3, $4) RETURNING id',
        [e.resourceId, e.kind, e.detectedAt, e.recordedAt],
      ),
    );
    return rows[0].id;
  }

  async closeEpisode(id: number, remediatedAt: string, resolution: string): Promise<void> {
    await this.writes.write((c) =>
      c.query(
        'UPDATE drift_episodes SET remediated_at = $1, resolution = $2 WHERE id = $3 AND remediated_at IS NULL',
        [remediatedAt, resolution, id],
      ),
    );
  }

  async listEpisodes(options: { since?: string; limit?: number } = {}): Promise<DriftEpisode[]> {
    const { rows } = await this.db.query(
      'SELECT * FROM (SELECT * FROM drift_episodes WHERE recorded_at >= $1 ORDER BY id DESC LIMIT $2) d ORDER BY id',
      [options.since ?? '', options.limit ?? 10_000],
    );
    return rows.map(episodeFromRow);
  }

  async changeCounter(): Promise<number> {
    // One row bumped by every write transaction at its end: a primary-key read.
    const { rows } = await this.db.query<{ n: number }>('SELECT n FROM change_counter WHERE id = 1');
    return rows[0].n;
  }

  async putRun(run: RunRecord): Promise<void> {
    await this.writes.commit({ runs: [run] });
  }

  async listRuns(options: { limit?: number; result?: RunResult } = {}): Promise<RunRecord[]> {
    const w = new Where();
    if (options.result) w.add((p) => `result = ${p}`, options.result);
    const limit = w.param(options.limit ?? 50);
    const { rows } = await this.db.query(
      `SELECT * FROM runs ${w.sql} ORDER BY started_at DESC LIMIT ${limit}`,
      w.args,
    );
    return rows.map(runFromRow);
  }

  acquireLease(
    name: string,
    holder: string,
    ttlMs: number,
    takeFrom?: Pick<Lease, 'holder' | 'term'>,
  ): Promise<Lease | undefined> {
    return this.leases.acquire(name, holder, ttlMs, takeFrom);
  }

  renewLease(name: string, holder: string, term: number, ttlMs: number): Promise<boolean> {
    return this.leases.renew(name, holder, term, ttlMs);
  }

  releaseLease(name: string, holder: string): Promise<void> {
    return this.leases.release(name, holder);
  }

  getLease(name: string): Promise<Lease | undefined> {
    return this.leases.get(name);
  }

  setFence(fence: Fence | undefined): void {
    this.leases.setFence(fence);
  }

  assertCanAct(): Promise<void> {
    return this.leases.assertCanAct();
  }

  problem(): StoreProblem | undefined {
    // No file that can be deleted under us; an unreachable server shows as StoreErrors on use.
    return undefined;
  }

  onProblem(_listener: (problem: StoreProblem) => void): () => void {
    return () => undefined;
  }

  // The fleet (migration 10), in ./nodes.ts.
  private fleetImpl: PgFleetStore | undefined;
  protected get fleet(): PgFleetStore {
    return (this.fleetImpl ??= new PgFleetStore(this.db, this.writes));
  }
  async close(): Promise<void> {
    await this.db.close();
  }
}
