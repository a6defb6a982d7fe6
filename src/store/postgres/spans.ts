/** PostgreSQL side of reconcile spans (the table of migration 11), as in ../sqlite/spans.ts. */
import { SPANS_PER_RESOURCE, spanBody, spanFromRow, type ReconcileSpan, type SpanStore } from '../spans.js';
import type { PgPool } from './pool.js';
import type { PgWrites } from './writes.js';

export class PgSpanStore implements SpanStore {
  constructor(
    private readonly db: PgPool,
    private readonly writes: PgWrites,
  ) {}

  async appendSpans(spans: readonly ReconcileSpan[]): Promise<void> {
    if (spans.length === 0) return;
    await this.writes.write(async (c) => {
      const touched = new Set<string>();
      for (const s of spans) {
        await c.query('INSERT INTO reconcile_spans (resource_id, started_at, data) VALUES ($1, $2, $3)', [
          s.resourceId,
          s.startedAt,
          spanBody(s),
        ]);
        touched.add(s.resourceId);
      }
      for (const id of touched)
        await c.query(
          `DELETE FROM reconcile_spans WHERE resource_id = $1 AND id <= (
             SELECT id FROM reconcile_spans WHERE resource_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)`,
          [id, SPANS_PER_RESOURCE],
        );
    });
  }

  async listSpans(resourceId: string, options: { limit?: number } = {}): Promise<ReconcileSpan[]> {
    const { rows } = await this.db.query<{
      id: string;
      resource_id: string;
      started_at: string;
      data: string;
    }>('SELECT * FROM reconcile_spans WHERE resource_id = $1 ORDER BY id DESC LIMIT $2', [
      resourceId,
      options.limit ?? SPANS_PER_RESOURCE,
    ]);
    return rows.map(spanFromRow);
  }
}
