/** SQLite side of the fleet (tables of migration 10); the contract is ../nodes.ts. */
import type Database from 'better-sqlite3';
import {
  unknownNode,
  type EnrollRefusal,
  type EnrollTokenRecord,
  type FleetStore,
  type NodeBatchResult,
  type NodeRecord,
} from '../nodes.js';
import type { NodeBatchStore, NodeBatchWrites } from '../types.js';
import { cached, type PlainStatement } from './statements.js';
import type { SqliteWrites } from './writes.js';

export class SqliteFleetStore implements FleetStore, NodeBatchStore {
  constructor(
    private readonly db: Database.Database,
    private readonly writes: SqliteWrites,
  ) {}

  /** Prepared once per connection (./statements.ts): a fleet's polls read and write nodes thousands of times a minute. */
  private prepare(sql: string): PlainStatement {
    return cached(this.db, sql);
  }

  async putNode(n: NodeRecord): Promise<void> {
    this.prepare(
      `INSERT INTO nodes (name, token_hash, revoked_at, data) VALUES (?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET token_hash = excluded.token_hash, revoked_at = excluded.revoked_at, data = excluded.data`,
    ).run(n.name, n.tokenHash, n.revokedAt ?? null, JSON.stringify(n));
  }

  async getNode(name: string): Promise<NodeRecord | undefined> {
    const row = this.prepare('SELECT data FROM nodes WHERE name = ?').get(name) as
      { data: string } | undefined;
    return row ? (JSON.parse(row.data) as NodeRecord) : undefined;
  }

  async listNodes(): Promise<NodeRecord[]> {
    const rows = this.prepare('SELECT data FROM nodes ORDER BY name').all() as Array<{ data: string }>;
    return rows.map((r) => JSON.parse(r.data) as NodeRecord);
  }

  async nodeByTokenHash(hash: string): Promise<NodeRecord | undefined> {
    const row = this.prepare('SELECT data FROM nodes WHERE token_hash = ?').get(hash) as
      { data: string } | undefined;
    return row ? (JSON.parse(row.data) as NodeRecord) : undefined;
  }

  async createEnrollToken(t: EnrollTokenRecord): Promise<void> {
    this.prepare('INSERT INTO enroll_tokens (hash, expires_at, uses_left, data) VALUES (?, ?, ?, ?)').run(
      t.hash,
      t.expiresAt,
      t.usesLeft ?? null,
      JSON.stringify(t),
    );
  }

  async useEnrollToken(hash: string, at: string): Promise<EnrollTokenRecord | EnrollRefusal> {
    return this.db.transaction((): EnrollTokenRecord | EnrollRefusal => {
      const row = this.prepare('SELECT expires_at, uses_left, data FROM enroll_tokens WHERE hash = ?').get(
        hash,
      ) as { expires_at: string; uses_left: number | null; data: string } | undefined;
      if (!row) return 'unknown';
      if (row.expires_at <= at) return 'expired';
      if (row.uses_left !== null && row.uses_left <= 0) return 'used';
      if (row.uses_left !== null)
        this.prepare('UPDATE enroll_tokens SET uses_left = uses_left - 1 WHERE hash = ?').run(hash);
      const t = JSON.parse(row.data) as EnrollTokenRecord;
      return { ...t, usesLeft: row.uses_left === null ? undefined : row.uses_left - 1 };
    })();
  }

  async listEnrollTokens(): Promise<EnrollTokenRecord[]> {
    const rows = this.prepare('SELECT uses_left, data FROM enroll_tokens ORDER BY rowid').all() as Array<{
      uses_left: number | null;
      data: string;
    }>;
    return rows.map((r) => ({
      ...(JSON.parse(r.data) as EnrollTokenRecord),
      usesLeft: r.uses_left === null ? undefined : r.uses_left,
    }));
  }

  async applyNodeBatch(
    node: string,
    batchId: string,
    at: string,
    batch: NodeBatchWrites,
  ): Promise<NodeBatchResult> {
    return this.writes.transact((write): NodeBatchResult => {
      const claimed = this.prepare(
        'INSERT INTO node_batches (node, batch_id, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      ).run(node, batchId, at);
      if (claimed.changes !== 1) return 'duplicate';
      const row = this.prepare('SELECT data FROM nodes WHERE name = ?').get(node) as
        { data: string } | undefined;
      // Throwing rolls the claim back with everything else.
      if (!row) throw unknownNode(node);
      write({ events: batch.events, audits: batch.audits });
      const episode = this.prepare(
        'INSERT INTO drift_episodes (resource_id, kind, detected_at, recorded_at, remediated_at, resolution) VALUES (?, ?, ?, ?, ?, ?)',
      );
      for (const e of batch.episodes)
        episode.run(
          e.resourceId,
          e.kind,
          e.detectedAt,
          e.recordedAt,
          e.remediatedAt ?? null,
          e.remediatedAt ? (e.resolution ?? 'auto') : null,
        );
      const n = batch.update(JSON.parse(row.data) as NodeRecord);
      this.prepare('UPDATE nodes SET token_hash = ?, revoked_at = ?, data = ? WHERE name = ?').run(
        n.tokenHash,
        n.revokedAt ?? null,
        JSON.stringify(n),
        node,
      );
      return 'applied';
    });
  }
}
