/** PostgreSQL side of reconcile spans (the table of migration 11), as in ../sqlite/spans.ts. */
import { SPANS_PER_RESOURCE, spanBody, spanFromRow, type ReconcileSpan, type SpanStore } from '../spans.js';
import type { PgPool } from './pool.js';
import type { PgWrites } from './writes.js';

export class PgSpanStore implements SpanStore {
  constructor(
    private readonly db: PgPool,
    private readonly writes: PgWrites,
  ) {}

  /** Two statements however many spans: one insert (in the given order), one trim of the resources touched. */
  async appendSpans(spans: readonly ReconcileSpan[]): Promise<void> {
    if (spans.length === 0) return;
    await this.writes.write(async (c) => {
      await c.query(
        `INSERT INTO reconcile_spans (resource_id, started_at, data)
         SELECT r, t, d FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS u(r, t, d, n) ORDER BY n`,
        [spans.map((s) => s.resourceId), spans.map((s) => s.startedAt), spans.map(spanBody)],
      );
      // Per resource, everything at or below the id of its (N+1)th newest span (the index on (resource_id, id)).
      await c.query(
        `DELETE FROM reconcile_spans r USING (
           SELECT t.id AS resource_id, cut.id AS cut FROM unnest($1::text[]) AS t(id)
           CROSS JOIN LATERAL (SELECT id FROM reconcile_spans WHERE resource_id = t.id ORDER BY id DESC LIMIT 1 OFFSET $2) cut
         ) d WHERE r.resource_id = d.resource_id AND r.id <= d.cut`,
        [[...new Set(spans.map((s) => s.resourceId))], SPANS_PER_RESOURCE],
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
