/**
 * The embedded SQLite store (better-sqlite3, WAL). The default at
 * `.setpoint/state.db`. Records are stored as JSON next to the columns that
 * queries filter on, so the record shape can grow without a migration.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { cached } from './statements.js';
import type { HeldReason, SyncStatus } from '../../health/index.js';
import { verifyChain } from '../audit-chain.js';
import { storeError } from '../errors.js';
import type {
  ActionIntent,
  RunResult,
  StoreBatch,
  SourceState,
  TokenRecord,
  ApprovalRecord,
  ApprovalState,
  DriftEpisode,
  Nudge,
  AuditEntry,
  AuditInput,
  AuditQuery,
  AuditVerification,
  EventQuery,
  EventRecord,
  Fence,
  Lease,
  ResourceFilter,
  ResourceRecord,
  ResourceSummary,
  RevisionRecord,
  PruneCounts,
  RetentionCutoffs,
  RunRecord,
  Store,
  StoreProblem,
} from '../types.js';
import {
  auditFromRow,
  callerMetaKey,
  episodeFromRow,
  eventFromRow,
  nudgeFromRow,
  runFromRow,
  tokenData,
  type AuditRow,
} from '../rows.js';
import { MIGRATIONS, type Migration } from '../migrations.js';
import { SqliteLeases } from './leases.js';
import { SqliteAnchorKeeper } from './anchor.js';
import { anchorPathFor } from '../audit-anchor.js';
import { StateGuard } from '../guard.js';
import { watchWrites } from './write-watch.js';
import { SqliteWrites } from './writes.js';
import { DelegatingStore } from '../delegates.js';
import { SqliteAlertStore } from './alerts.js';
import { SqliteFleetStore } from './nodes.js';
import { SqliteViolationStore } from './violations.js';
import { SqliteRolloutStore } from './rollouts.js';
import { SqliteSpanStore } from './spans.js';

export interface SqliteStoreOptions {
  /** Milliseconds to wait for a lock held by another process. Defaults to 10000. */
  busyTimeoutMs?: number;
  readonly?: boolean;
}

export class SqliteStore extends DelegatingStore implements Store {
  readonly db: Database.Database;
  private readonly guard: StateGuard | undefined;
  private readonly leases: SqliteLeases;
  private readonly anchorKeeper: SqliteAnchorKeeper | undefined;
  private readonly summariesStmt: Database.Statement;
  private readonly writes: SqliteWrites;
  private readonly onDisk: boolean;

  constructor(
    readonly path: string,
    options: SqliteStoreOptions = {},
  ) {
    super();
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path, { readonly: options.readonly ?? false });
      this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
      if (!options.readonly) {
        this.db.pragma('journal_mode = WAL');
        // WAL + NORMAL: a crash never corrupts the database; the last commits may be lost on power failure only.
        this.db.pragma('synchronous = NORMAL');
        this.migrate();
      }
    } catch (err) {
      throw storeError(path, err);
    }
    // Leases, the write gate and the audit anchor (./leases.ts, ./anchor.ts, ../guard.ts).
    const onDisk = (this.onDisk = path !== ':memory:' && !path.startsWith('file:'));
    this.guard = onDisk && !options.readonly ? new StateGuard(path) : undefined;
    this.leases = new SqliteLeases(this.db, this.guard, !options.readonly);
    this.anchorKeeper = onDisk
      ? new SqliteAnchorKeeper(this.db, anchorPathFor(path), !options.readonly)
      : undefined;
    this.summariesStmt = this.db
      .prepare('SELECT id, sync, managed, declared, signature, held FROM resources WHERE source = ?')
      .raw(true);
    this.writes = new SqliteWrites(this.db, path);
  }

  /**
   * Applies every migration not applied yet, in version order. Applied
   * versions are recorded one by one (not just the highest), so migrations
   * added in any order by parallel work all run. Processes that open a fresh
   * state at the same moment (two `serve`, `serve` + `apply`) must not both
   * migrate: the versions are read again inside one BEGIN IMMEDIATE
   * transaction, so the second waits (busy_timeout) for the first and then
   * finds nothing left to do.
   */
  private migrate(): void {
    const ordered = [...MIGRATIONS].sort((a, b) => a.version - b.version);
    if (this.pending(ordered).length === 0) return;
    this.db
      .transaction(() => {
        this.db.exec(
          'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
        );
        const record = cached(
          this.db,
          'INSERT OR IGNORE INTO schema_migrations (version, applied_at) VALUES (?, ?)',
        );
        const applied = new Set(
          (cached(this.db, 'SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map(
            (r) => r.version,
          ),
        );
        const legacy = this.db.pragma('user_version', { simple: true }) as number;
        if (applied.size === 0 && legacy > 0) {
          // A database from before per-version tracking: everything up to user_version was applied.
          for (const m of MIGRATIONS) if (m.version <= legacy) applied.add(m.version);
          for (const v of applied) record.run(v, new Date().toISOString());
        }
        for (const m of ordered) {
          if (applied.has(m.version)) continue;
          this.db.exec(m.sqlite);
          record.run(m.version, new Date().toISOString());
          const top = Math.max(m.version, this.db.pragma('user_version', { simple: true }) as number);
          this.db.pragma(`user_version = ${top}`);
        }
      })
      .immediate();
  }

  /** The migrations this database lacks, read without a lock (a fast path for an up-to-date state). */
  private pending(ordered: readonly Migration[]): Migration[] {
    const table = cached(
      this.db,
      "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
    ).get();
    if (!table) return [...ordered];
    const applied = new Set(
      (cached(this.db, 'SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map(
        (r) => r.version,
      ),
    );
    return ordered.filter((m) => !applied.has(m.version));
  }

  async salt(): Promise<string> {
    const row = cached(this.db, "SELECT value FROM meta WHERE key = 'salt'").get() as
      { value: string } | undefined;
    if (row) return row.value;
    const salt = randomBytes(32).toString('hex');
    cached(this.db, "INSERT OR IGNORE INTO meta (key, value) VALUES ('salt', ?)").run(salt);
    return (cached(this.db, "SELECT value FROM meta WHERE key = 'salt'").get() as { value: string }).value;
  }

  async getMeta(key: string): Promise<string | undefined> {
    const row = cached(this.db, 'SELECT value FROM meta WHERE key = ?').get(callerMetaKey(key)) as
      { value: string } | undefined;
    return row?.value;
  }

  async putMeta(key: string, value: string): Promise<void> {
    this.writes.guard(() =>
      cached(this.db, 'INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(
        callerMetaKey(key),
        value,
      ),
    );
  }

  async putRevision(rev: RevisionRecord): Promise<void> {
    this.writes.guard(() =>
      cached(
        this.db,
        'INSERT OR REPLACE INTO revisions (id, source, created_at, admitted, data) VALUES (?, ?, ?, ?, ?)',
      ).run(rev.id, rev.source, rev.createdAt, rev.admitted ? 1 : 0, JSON.stringify(rev)),
    );
  }

  async getRevision(id: string): Promise<RevisionRecord | undefined> {
    const row = (cached(this.db, 'SELECT data FROM revisions WHERE id = ?').get(id) ??
      cached(this.db, 'SELECT data FROM revisions WHERE id LIKE ? ORDER BY created_at DESC LIMIT 1').get(
        `${id}%`,
      )) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as RevisionRecord) : undefined;
  }

  async listRevisions(options: { source?: string; limit?: number } = {}): Promise<RevisionRecord[]> {
    const rows = (
      options.source
        ? cached(
            this.db,
            'SELECT data FROM revisions WHERE source = ? ORDER BY created_at DESC, rowid DESC LIMIT ?',
          ).all(options.source, options.limit ?? 100)
        : cached(this.db, 'SELECT data FROM revisions ORDER BY created_at DESC, rowid DESC LIMIT ?').all(
            options.limit ?? 100,
          )
    ) as Array<{ data: string }>;
    return rows.map((r) => JSON.parse(r.data) as RevisionRecord);
  }

  async markConverged(revisionId: string, at: string): Promise<void> {
    const rev = await this.getRevision(revisionId);
    if (!rev || rev.convergedAt) return;
    await this.putRevision({ ...rev, convergedAt: at });
  }

  async getResource(id: string): Promise<ResourceRecord | undefined> {
    const row = cached(this.db, 'SELECT data FROM resources WHERE id = ?').get(id) as
      { data: string } | undefined;
    return row ? (JSON.parse(row.data) as ResourceRecord) : undefined;
  }

  async listResources(filter: ResourceFilter = {}): Promise<ResourceRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    for (const [col, value] of [
      ['kind', filter.kind],
      ['namespace', filter.namespace],
      ['source', filter.source],
      ['sync', filter.sync],
      ['health', filter.health],
    ] as const) {
      if (value !== undefined) {
        where.push(`${col} = ?`);
        args.push(value);
      }
    }
    if (filter.ids && filter.ids.length <= 500) {
      where.push(`id IN (${filter.ids.map(() => '?').join(', ')})`);
      args.push(...filter.ids);
    }
    if (filter.namespaces) {
      where.push(`namespace IN (${filter.namespaces.map(() => '?').join(', ') || 'NULL'})`);
      args.push(...filter.namespaces);
    }
    if (filter.after !== undefined) {
      where.push('id > ?');
      args.push(filter.after);
    }
    // Labels in SQL: rows that do not match are never parsed.
    for (const [k, v] of Object.entries(filter.labels ?? {})) {
      where.push('json_extract(data, ?) = ?');
      args.push(`$.labels."${k.replace(/["\\]/g, '')}"`, v);
    }
    // A filter applied below in JS (long id lists) comes before the limit.
    const sqlLimit = filter.limit !== undefined && !(filter.ids && filter.ids.length > 500);
    const sql2 = `SELECT data FROM resources ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id${sqlLimit ? ' LIMIT ?' : ''}`;
    if (sqlLimit) args.push(filter.limit);
    let records = (cached(this.db, sql2).all(...args) as Array<{ data: string }>).map(
      (r) => JSON.parse(r.data) as ResourceRecord,
    );
    if (filter.ids) {
      const wanted = new Set(filter.ids);
      records = records.filter((r) => wanted.has(r.id));
    }
    if (filter.labels) {
      const entries = Object.entries(filter.labels);
      records = records.filter((r) => entries.every(([k, v]) => r.labels[k] === v));
    }
    if (filter.limit !== undefined && records.length > filter.limit) records = records.slice(0, filter.limit);
    return records;
  }

  async listResourceSummaries(source: string): Promise<ResourceSummary[]> {
    // Raw rows (arrays): no per-row object with column names; this runs on every plan.
    const rows = this.summariesStmt.all(source) as Array<
      [string, SyncStatus, number, number, string, HeldReason | null]
    >;
    const out = new Array<ResourceSummary>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      out[i] = { id: r[0], sync: r[1], managed: r[2] === 1, declared: r[3] === 1, signature: r[4] };
      if (r[5]) out[i].held = r[5];
    }
    return out;
  }

  async putResources(records: readonly ResourceRecord[]): Promise<void> {
    if (records.length > 0) this.writes.commit({ records });
  }

  async deleteResources(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) this.writes.commit({ deletes: ids });
  }

  async prune(c: RetentionCutoffs): Promise<PruneCounts> {
    const run = (sql: string, ...args: Array<string | number>) => cached(this.db, sql).run(...args).changes;
    return this.db.transaction(() => ({
      events: run('DELETE FROM events WHERE time < ?', c.events),
      violations: run('DELETE FROM policy_violations WHERE time < ?', c.events),
      spans: run('DELETE FROM reconcile_spans WHERE started_at < ?', c.events),
      runs: run('DELETE FROM runs WHERE finished_at IS NOT NULL AND started_at < ?', c.runs),
      driftEpisodes: run('DELETE FROM drift_episodes WHERE recorded_at < ?', c.runs),
      alerts: run('DELETE FROM alerts WHERE resolved_at IS NOT NULL AND resolved_at < ?', c.alerts),
      sliSamples: run('DELETE FROM sli_samples WHERE minute < ?', c.sliMinute),
    }))();
  }

  async appendEvents(events: readonly EventRecord[]): Promise<void> {
    if (events.length > 0) this.writes.commit({ events });
  }

  async commit(batch: StoreBatch): Promise<AuditEntry[]> {
    return this.writes.commit(batch);
  }

  async listIntents(): Promise<ActionIntent[]> {
    return this.writes.listIntents();
  }

  async listEvents(query: EventQuery = {}): Promise<EventRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.resourceId) {
      where.push('resource_id = ?');
      args.push(query.resourceId);
    }
    if (query.runId) {
      where.push('run_id = ?');
      args.push(query.runId);
    }
    if (query.afterSeq !== undefined) {
      where.push('seq > ?');
      args.push(query.afterSeq);
    }
    // After a sequence number: the next page (oldest first). Otherwise: the newest N, in order.
    const sql =
      query.afterSeq !== undefined
        ? `SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`
        : `SELECT * FROM (SELECT * FROM events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC LIMIT ?) ORDER BY seq`;
    const rows = cached(this.db, sql).all(...args, query.limit ?? 100) as Array<Record<string, unknown>>;
    return rows.map(eventFromRow);
  }

  async appendAudit(inputs: readonly AuditInput[]): Promise<AuditEntry[]> {
    return inputs.length === 0 ? [] : this.writes.commit({ audits: inputs });
  }

  private auditHead(): { seq: number; hash: string } | undefined {
    return this.writes.auditHead();
  }

  async listAudit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.since) {
      where.push('time >= ?');
      args.push(query.since);
    }
    if (query.resourceId) {
      where.push('resource_id = ?');
      args.push(query.resourceId);
    }
    if (query.actor) {
      where.push('actor = ?');
      args.push(query.actor);
    }
    if (query.action) {
      where.push('action = ?');
      args.push(query.action);
    }
    if (query.afterSeq !== undefined) {
      where.push('seq > ?');
      args.push(query.afterSeq);
    }
    const filter = where.length ? 'WHERE ' + where.join(' AND ') : '';
    // After a sequence number: the next page (oldest first). Otherwise: the newest N, in order.
    const sql =
      query.afterSeq !== undefined
        ? `SELECT * FROM audit ${filter} ORDER BY seq LIMIT ?`
        : `SELECT * FROM (SELECT * FROM audit ${filter} ORDER BY seq DESC LIMIT ?) ORDER BY seq`;
    const rows = cached(this.db, sql).all(...args, query.limit ?? 1000) as AuditRow[];
    return rows.map(auditFromRow);
  }

  async verifyAudit(): Promise<AuditVerification> {
    const rows = this.db.prepare('SELECT * FROM audit ORDER BY seq').iterate() as IterableIterator<AuditRow>;
    const entries = (function* () {
      for (const r of rows) yield auditFromRow(r);
    })();
    const v = verifyChain(entries, this.auditHead());
    const anchored = v.ok ? this.anchorKeeper?.check() : undefined;
    return anchored ? { ok: false, entries: v.entries, ...anchored } : v;
  }

  async recordAuditExport(head: { seq: number; hash: string }, file?: string): Promise<void> {
    await this.anchorKeeper?.exported(head, file);
  }

  async getSource(name: string): Promise<SourceState | undefined> {
    const row = cached(this.db, 'SELECT data FROM sources WHERE name = ?').get(name) as
      { data: string } | undefined;
    return row ? (JSON.parse(row.data) as SourceState) : undefined;
  }

  async updateSource(name: string, change: (state: SourceState) => SourceState): Promise<SourceState> {
    return this.db
      .transaction(() => {
        const row = cached(this.db, 'SELECT data FROM sources WHERE name = ?').get(name) as
          { data: string } | undefined;
        const next = { ...change(row ? (JSON.parse(row.data) as SourceState) : { name }), name };
        cached(this.db, 'INSERT OR REPLACE INTO sources (name, data) VALUES (?, ?)').run(
          name,
          JSON.stringify(next),
        );
        return next;
      })
      .immediate();
  }

  async listSources(): Promise<SourceState[]> {
    return (cached(this.db, 'SELECT data FROM sources ORDER BY name').all() as Array<{ data: string }>).map(
      (r) => JSON.parse(r.data) as SourceState,
    );
  }

  async createToken(t: TokenRecord): Promise<boolean> {
    const r = cached(
      this.db,
      `INSERT INTO api_tokens (name, hash, role, revoked_at, data) VALUES (?, ?, ?, NULL, ?)
         ON CONFLICT(name) DO UPDATE SET hash = excluded.hash, role = excluded.role, revoked_at = NULL, data = excluded.data
         WHERE api_tokens.revoked_at IS NOT NULL`,
    ).run(t.name, t.hash, t.role, tokenData(t));
    return r.changes === 1;
  }

  async listTokens(): Promise<TokenRecord[]> {
    const rows = cached(this.db, 'SELECT data FROM api_tokens ORDER BY name').all() as Array<{
      data: string;
    }>;
    return rows.map((r) => JSON.parse(r.data) as TokenRecord);
  }

  async revokeToken(name: string, at: string, by: string): Promise<boolean> {
    return this.db
      .transaction(() => {
        const row = cached(this.db, 'SELECT data FROM api_tokens WHERE name = ? AND revoked_at IS NULL').get(
          name,
        ) as { data: string } | undefined;
        if (!row) return false;
        const t: TokenRecord = { ...(JSON.parse(row.data) as TokenRecord), revokedAt: at, revokedBy: by };
        cached(this.db, 'UPDATE api_tokens SET revoked_at = ?, data = ? WHERE name = ?').run(
          at,
          JSON.stringify(t),
          name,
        );
        return true;
      })
      .immediate();
  }

  async putApproval(a: ApprovalRecord): Promise<void> {
    cached(
      this.db,
      'INSERT OR REPLACE INTO approvals (id, resource_id, state, created_at, data) VALUES (?, ?, ?, ?, ?)',
    ).run(a.id, a.resourceId, a.state, a.createdAt, JSON.stringify(a));
  }

  async updateApproval(
    id: string,
    change: (current: ApprovalRecord | undefined) => ApprovalRecord | undefined,
  ): Promise<ApprovalRecord | undefined> {
    return this.db
      .transaction(() => {
        const row = cached(this.db, 'SELECT data FROM approvals WHERE id = ?').get(id) as
          { data: string } | undefined;
        const next = change(row ? (JSON.parse(row.data) as ApprovalRecord) : undefined);
        if (!next) return undefined;
        if (next.id !== id) throw new Error(`updateApproval(${id}) returned approval ${next.id}`);
        cached(
          this.db,
          'INSERT OR REPLACE INTO approvals (id, resource_id, state, created_at, data) VALUES (?, ?, ?, ?, ?)',
        ).run(next.id, next.resourceId, next.state, next.createdAt, JSON.stringify(next));
        return next;
      })
      .immediate();
  }

  async getApproval(id: string): Promise<ApprovalRecord | undefined> {
    const exact = cached(this.db, 'SELECT data FROM approvals WHERE id = ?').get(id) as
      { data: string } | undefined;
    if (exact) return JSON.parse(exact.data) as ApprovalRecord;
    const rows = cached(this.db, 'SELECT data FROM approvals WHERE id LIKE ? LIMIT 2').all(
      `${id}%`,
    ) as Array<{ data: string }>;
    return rows.length === 1 ? (JSON.parse(rows[0].data) as ApprovalRecord) : undefined;
  }

  async listApprovals(
    filter: { state?: ApprovalState; resourceId?: string } = {},
  ): Promise<ApprovalRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.state) {
      where.push('state = ?');
      args.push(filter.state);
    }
    if (filter.resourceId) {
      where.push('resource_id = ?');
      args.push(filter.resourceId);
    }
    const rows = cached(
      this.db,
      `SELECT data FROM approvals ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at`,
    ).all(...args) as Array<{ data: string }>;
    return rows.map((r) => JSON.parse(r.data) as ApprovalRecord);
  }

  async appendNudge(n: Nudge): Promise<number> {
    const r = cached(this.db, 'INSERT INTO nudges (resource_id, reason, actor, at) VALUES (?, ?, ?, ?)').run(
      n.resourceId ?? null,
      n.reason,
      n.actor,
      n.at,
    );
    return Number(r.lastInsertRowid);
  }

  async listNudges(afterSeq: number): Promise<Nudge[]> {
    const rows = cached(this.db, 'SELECT * FROM nudges WHERE seq > ? ORDER BY seq').all(afterSeq) as Array<
      Record<string, unknown>
    >;
    return rows.map(nudgeFromRow);
  }

  async openEpisode(e: DriftEpisode): Promise<number> {
    const r = cached(
      this.db,
      'INSERT INTO drift_episodes (resource_id, kind, detected_at, recorded_at) VALUES (?, ?, ?, ?)',
    ).run(e.resourceId, e.kind, e.detectedAt, e.recordedAt);
    return Number(r.lastInsertRowid);
  }

  async closeEpisode(id: number, remediatedAt: string, resolution: string): Promise<void> {
    cached(
      this.db,
      'UPDATE drift_episodes SET remediated_at = ?, resolution = ? WHERE id = ? AND remediated_at IS NULL',
    ).run(remediatedAt, resolution, id);
  }

  async listEpisodes(options: { since?: string; limit?: number } = {}): Promise<DriftEpisode[]> {
    const rows = cached(
      this.db,
      'SELECT * FROM (SELECT * FROM drift_episodes WHERE recorded_at >= ? ORDER BY id DESC LIMIT ?) ORDER BY id',
    ).all(options.since ?? '', options.limit ?? 10_000) as Array<Record<string, unknown>>;
    return rows.map(episodeFromRow);
  }

  async changeCounter(): Promise<number> {
    // Changes whenever another connection commits; free to read (no disk I/O).
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  watchWrites(listener: () => void, onBroken: (err: Error) => void): (() => void) | undefined {
    return this.onDisk ? watchWrites(this.path, listener, onBroken) : undefined;
  }

  async putRun(run: RunRecord): Promise<void> {
    this.writes.commit({ runs: [run] });
  }

  async listRuns(options: { limit?: number; result?: RunResult } = {}): Promise<RunRecord[]> {
    const rows = (
      options.result
        ? cached(this.db, 'SELECT * FROM runs WHERE result = ? ORDER BY started_at DESC LIMIT ?').all(
            options.result,
            options.limit ?? 50,
          )
        : cached(this.db, 'SELECT * FROM runs ORDER BY started_at DESC LIMIT ?').all(options.limit ?? 50)
    ) as Array<Record<string, unknown>>;
    return rows.map(runFromRow);
  }

  async acquireLease(
    name: string,
    holder: string,
    ttlMs: number,
    takeFrom?: Pick<Lease, 'holder' | 'term'>,
  ): Promise<Lease | undefined> {
    return this.writes.guard(() => this.leases.acquire(name, holder, ttlMs, takeFrom));
  }

  async renewLease(name: string, holder: string, term: number, ttlMs: number): Promise<boolean> {
    return this.writes.guard(() => this.leases.renew(name, holder, term, ttlMs));
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    this.writes.guard(() => this.leases.release(name, holder));
  }

  async getLease(name: string): Promise<Lease | undefined> {
    return this.leases.get(name);
  }

  setFence(fence: Fence | undefined): void {
    this.leases.setFence(fence);
  }

  async assertCanAct(): Promise<void> {
    // A renewal that fails on a full disk names the file and the cause (StoreError); a lost lock stays a LockLostError.
    this.writes.guard(() => this.leases.assertCanAct());
  }

  problem(): StoreProblem | undefined {
    return this.guard?.problem();
  }

  onProblem(listener: (problem: StoreProblem) => void): () => void {
    return this.guard?.onProblem(listener) ?? (() => undefined);
  }

  // Alerting state (migration 5), in ./alerts.ts; the Store methods are DelegatingStore's.
  private alertsImpl: SqliteAlertStore | undefined;
  protected get alerting(): SqliteAlertStore {
    return (this.alertsImpl ??= new SqliteAlertStore(this.db));
  }

  // Policy violations (migration 3), in ./violations.ts.
  private violationsImpl: SqliteViolationStore | undefined;
  protected get violations(): SqliteViolationStore {
    return (this.violationsImpl ??= new SqliteViolationStore(this.db));
  }

  // Rollouts (migration 12), in ./rollouts.ts.
  private rolloutsImpl: SqliteRolloutStore | undefined;
  protected get rollouts(): SqliteRolloutStore {
    return (this.rolloutsImpl ??= new SqliteRolloutStore(this.db, (fn) => this.writes.guard(fn)));
  }

  // Reconcile spans (migration 11), in ./spans.ts.
  private spansImpl: SqliteSpanStore | undefined;
  protected get spans(): SqliteSpanStore {
    return (this.spansImpl ??= new SqliteSpanStore(this.db));
  }
  // The fleet (migration 10), in ./nodes.ts.
  private fleetImpl: SqliteFleetStore | undefined;
  protected get fleet(): SqliteFleetStore {
    return (this.fleetImpl ??= new SqliteFleetStore(this.db, this.writes));
  }
  async close(): Promise<void> {
    await this.anchorKeeper?.close();
    this.guard?.close();
    this.db.close();
  }
}
