/** PostgreSQL side of the fleet (tables of migration 10), as in ./nodes.ts of the SQLite store; the contract is ../nodes.ts. */
import {
  unknownNode,
  type EnrollRefusal,
  type EnrollTokenRecord,
  type FleetStore,
  type NodeBatchResult,
  type NodeRecord,
} from '../nodes.js';
import type { NodeBatchStore, NodeBatchWrites } from '../types.js';
import type { PgPool } from './pool.js';
import type { PgWrites } from './writes.js';

export class PgFleetStore implements FleetStore, NodeBatchStore {
  constructor(
    private readonly db: PgPool,
    private readonly writes: PgWrites,
  ) {}

  async putNode(n: NodeRecord): Promise<void> {
    await this.writes.write((c) =>
      c.query(
        `INSERT INTO nodes (name, token_hash, revoked_at, data) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO UPDATE SET token_hash = excluded.token_hash, revoked_at = excluded.revoked_at, data = excluded.data`,
        [n.name, n.tokenHash, n.revokedAt ?? null, JSON.stringify(n)],
      ),
    );
  }

  async getNode(name: string): Promise<NodeRecord | undefined> {
    const { rows } = await this.db.query<{ data: string }>('SELECT data FROM nodes WHERE name = $1', [name]);
    return rows[0] ? (JSON.parse(rows[0].data) as NodeRecord) : undefined;
  }

  async listNodes(): Promise<NodeRecord[]> {
    const { rows } = await this.db.query<{ data: string }>('SELECT data FROM nodes ORDER BY name');
    return rows.map((r) => JSON.parse(r.data) as NodeRecord);
  }

  async nodeByTokenHash(hash: string): Promise<NodeRecord | undefined> {
    const { rows } = await this.db.query<{ data: string }>('SELECT data FROM nodes WHERE token_hash = $1', [
      hash,
    ]);
    return rows[0] ? (JSON.parse(rows[0].data) as NodeRecord) : undefined;
  }

  async createEnrollToken(t: EnrollTokenRecord): Promise<void> {
    await this.writes.write((c) =>
      c.query('INSERT INTO enroll_tokens (hash, expires_at, uses_left, data) VALUES ($1, $2, $3, $4)', [
        t.hash,
        t.expiresAt,
        t.usesLeft ?? null,
        JSON.stringify(t),
      ]),
    );
  }

  async useEnrollToken(hash: string, at: string): Promise<EnrollTokenRecord | EnrollRefusal> {
    return this.writes.write(async (c): Promise<EnrollTokenRecord | EnrollRefusal> => {
      // FOR UPDATE: two agents enrolling with the last use at once get one use between them.
      const { rows } = await c.query<{ expires_at: string; uses_left: string | null; data: string }>(
        'SELECT expires_at, uses_left, data FROM enroll_tokens WHERE hash = $1 FOR UPDATE',
        [hash],
      );
      const row = rows[0];
      if (!row) return 'unknown';
      if (row.expires_at <= at) return 'expired';
      const left = row.uses_left === null ? undefined : Number(row.uses_left);
      if (left !== undefined && left <= 0) return 'used';
      if (left !== undefined)
        await c.query('UPDATE enroll_tokens SET uses_left = uses_left - 1 WHERE hash = $1', [hash]);
      return {
        ...(JSON.parse(row.data) as EnrollTokenRecord),
        usesLeft: left === undefined ? undefined : left - 1,
      };
    });
  }

  async listEnrollTokens(): Promise<EnrollTokenRecord[]> {
    const { rows } = await this.db.query<{ uses_left: string | null; data: string }>(
      'SELECT uses_left, data FROM enroll_tokens ORDER BY ord',
    );
    return rows.map((r) => ({
      ...(JSON.parse(r.data) as EnrollTokenRecord),
      usesLeft: r.uses_left === null ? undefined : Number(r.uses_left),
    }));
  }

  async applyNodeBatch(
    node: string,
    batchId: string,
    at: string,
    batch: NodeBatchWrites,
  ): Promise<NodeBatchResult> {
    // One fenced transaction: a stale term or any failed statement rolls back the claim with the rest.
    return this.writes.write(async (c): Promise<NodeBatchResult> => {
      const claimed = await c.query(
        'INSERT INTO node_batches (node, batch_id, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [node, batchId, at],
      );
      // A concurrent sender of the same id waits on the key above, then sees it taken.
      if (claimed.rowCount !== 1) return 'duplicate';
      // FOR UPDATE: two batches of one node at once count both.
      const { rows } = await c.query<{ data: string }>('SELECT data FROM nodes WHERE name = $1 FOR UPDATE', [
        node,
      ]);
      if (!rows[0]) throw unknownNode(node);
      await this.writes.writeBatch(c, { events: batch.events, audits: batch.audits });
      if (batch.episodes.length) {
        const eps = batch.episodes;
        await c.query(
          `INSERT INTO drift_episodes (resource_id, kind, detected_at, recorded_at, remediated_at, resolution)
           SELECT r, k, d, rc, rm, rs FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
             $6::text[]) WITH ORDINALITY AS u(r, k, d, rc, rm, rs, n) ORDER BY n`,
          [
            eps.map((e) => e.resourceId),
            eps.map((e) => e.kind),
            eps.map((e) => e.detectedAt),
            eps.map((e) => e.recordedAt),
            eps.map((e) => e.remediatedAt ?? null),
            eps.map((e) => (e.remediatedAt ? (e.resolution ?? 'auto') : null)),
          ],
        );
      }
      const n = batch.update(JSON.parse(rows[0].data) as NodeRecord);
      await c.query('UPDATE nodes SET token_hash = $1, revoked_at = $2, data = $3 WHERE name = $4', [
        n.tokenHash,
        n.revokedAt ?? null,
        JSON.stringify(n),
        node,
      ]);
      return 'applied';
    });
  }
}
