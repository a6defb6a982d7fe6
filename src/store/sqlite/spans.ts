/** SQLite side of reconcile spans (the table of migration 11). */
import type Database from 'better-sqlite3';
import { SPANS_PER_RESOURCE, spanBody, spanFromRow, type ReconcileSpan, type SpanStore } from '../spans.js';

export class SqliteSpanStore implements SpanStore {
  private readonly insert: Database.Statement;
  private readonly trim: Database.Statement;
  private readonly list: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare('INSERT INTO reconcile_spans (resource_id, started_at, data) VALUES (?, ?, ?)');
    // Everything at or below the id of the (N+1)th newest span of the resource.
    this.trim = db.prepare(
      `DELETE FROM reconcile_spans WHERE resource_id = ? AND id <= (
         SELECT id FROM reconcile_spans WHERE resource_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
    );
    this.list = db.prepare('SELECT * FROM reconcile_spans WHERE resource_id = ? ORDER BY id DESC LIMIT ?');
  }

  async appendSpans(spans: readonly ReconcileSpan[]): Promise<void> {
    if (spans.length === 0) return;
    this.db.transaction(() => {
      const touched = new Set<string>();
      for (const s of spans) {
        this.insert.run(s.resourceId, s.startedAt, spanBody(s));
        touched.add(s.resourceId);
      }
      for (const id of touched) this.trim.run(id, id, SPANS_PER_RESOURCE);
    })();
  }

  async listSpans(resourceId: string, options: { limit?: number } = {}): Promise<ReconcileSpan[]> {
    const rows = this.list.all(resourceId, options.limit ?? SPANS_PER_RESOURCE) as Array<{
      id: number;
      resource_id: string;
      started_at: string;
      data: string;
    }>;
    return rows.map(spanFromRow);
  }
}
