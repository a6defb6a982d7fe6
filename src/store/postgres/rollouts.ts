/** PostgreSQL side of rollouts (the table of migration 12), as in ../sqlite/rollouts.ts. */
import type { RolloutRecord, RolloutStore } from '../rollouts.js';
import type { PgPool } from './pool.js';
import type { PgWrites } from './writes.js';

export class PgRolloutStore implements RolloutStore {
  constructor(
    private readonly db: PgPool,
    private readonly writes: PgWrites,
  ) {}

  async putRollout(r: RolloutRecord): Promise<void> {
    await this.writes.write((c) =>
      c.query(
        `INSERT INTO rollouts (id, source, phase, started_at, data) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET phase = excluded.phase, data = excluded.data`,
        [r.id, r.source, r.phase, r.startedAt, JSON.stringify(r)],
      ),
    );
  }

  async getRollout(id: string): Promise<RolloutRecord | undefined> {
    const exact = await this.db.query<{ data: string }>('SELECT data FROM rollouts WHERE id = $1', [id]);
    if (exact.rows[0]) return JSON.parse(exact.rows[0].data) as RolloutRecord;
    const { rows } = await this.db.query<{ data: string }>(
      "SELECT data FROM rollouts WHERE id LIKE $1 ESCAPE '\\' LIMIT 2",
      [id.replace(/[\\%_]/g, (c) => '\\' + c) + '%'],
    );
    return rows.length === 1 ? (JSON.parse(rows[0].data) as RolloutRecord) : undefined;
  }

  async listRollouts(
    filter: { source?: string; active?: boolean; limit?: number } = {},
  ): Promise<RolloutRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.source !== undefined) {
      args.push(filter.source);
      where.push(`source = $${args.length}`);
    }
    if (filter.active) where.push("phase IN ('Progressing', 'Paused')");
    args.push(filter.limit ?? 20);
    const { rows } = await this.db.query<{ data: string }>(
      `SELECT data FROM rollouts ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY started_at DESC, ord DESC LIMIT $${args.length}`,
      args,
    );
    return rows.map((r) => JSON.parse(r.data) as RolloutRecord);
  }
}
