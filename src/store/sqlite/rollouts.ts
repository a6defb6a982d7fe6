/** SQLite side of rollouts (the table of migration 12). */
import type Database from 'better-sqlite3';
import { cached } from './statements.js';
import type { RolloutRecord, RolloutStore } from '../rollouts.js';

export class SqliteRolloutStore implements RolloutStore {
  constructor(
    private readonly db: Database.Database,
    /** The store's write guard (fencing), around each write. */
    private readonly guard: <T>(fn: () => T) => T,
  ) {}

  async putRollout(r: RolloutRecord): Promise<void> {
    this.guard(() =>
      cached(
        this.db,
        'INSERT OR REPLACE INTO rollouts (id, source, phase, started_at, data) VALUES (?, ?, ?, ?, ?)',
      ).run(r.id, r.source, r.phase, r.startedAt, JSON.stringify(r)),
    );
  }

  async getRollout(id: string): Promise<RolloutRecord | undefined> {
    const exact = cached(this.db, 'SELECT data FROM rollouts WHERE id = ?').get(id) as
      { data: string } | undefined;
    if (exact) return JSON.parse(exact.data) as RolloutRecord;
    const rows = cached(this.db, "SELECT data FROM rollouts WHERE id LIKE ? ESCAPE '\\' LIMIT 2").all(
      id.replace(/[\\%_]/g, (c) => '\\' + c) + '%',
    ) as Array<{ data: string }>;
    return rows.length === 1 ? (JSON.parse(rows[0].data) as RolloutRecord) : undefined;
  }

  async listRollouts(
    filter: { source?: string; active?: boolean; limit?: number } = {},
  ): Promise<RolloutRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.source !== undefined) {
      where.push('source = ?');
      args.push(filter.source);
    }
    if (filter.active) where.push("phase IN ('Progressing', 'Paused')");
    const rows = cached(
      this.db,
      `SELECT data FROM rollouts ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY started_at DESC, rowid DESC LIMIT ?`,
    ).all(...args, filter.limit ?? 20) as Array<{ data: string }>;
    return rows.map((r) => JSON.parse(r.data) as RolloutRecord);
  }
}
