/** PostgreSQL side of policy violations (the table of migration 3), as in ../sqlite/violations.ts. */
import type { ViolationQuery, ViolationRecord, ViolationStore, ViolationTotal } from '../violations.js';
import type { PgPool } from './pool.js';
import type { PgWrites } from './writes.js';
import { violationColumns, violationFromRow, type ViolationRow } from '../rows.js';

export class PgViolationStore implements ViolationStore {
  constructor(
    private readonly db: PgPool,
    private readonly writes: PgWrites,
  ) {}

  async appendViolations(violations: readonly ViolationRecord[]): Promise<void> {
    if (violations.length === 0) return;
    await this.writes.write(async (c) => {
      for (const v of violations)
        await c.query(
          'INSERT INTO policy_violations (time, policy, resource_id, revision_id, action, phase, blocked, message) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
          violationColumns(v),
        );
    });
  }

  async listViolations(query: ViolationQuery = {}): Promise<ViolationRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    for (const [col, value, op] of [
      ['policy', query.policy, '='],
      ['resource_id', query.resourceId, '='],
      ['time', query.since, '>='],
    ] as const) {
      if (value === undefined) continue;
      args.push(value);
      where.push(`${col} ${op} $${args.length}`);
    }
    args.push(query.limit ?? 100);
    const { rows } = await this.db.query<ViolationRow>(
      `SELECT * FROM policy_violations ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC LIMIT $${args.length}`,
      args,
    );
    return rows.map(violationFromRow);
  }

  async violationTotals(options: { since?: string } = {}): Promise<ViolationTotal[]> {
    const { rows } = await this.db.query<ViolationTotal>(
      `SELECT policy, action, COUNT(*)::int AS count, SUM(blocked)::int AS blocked, MAX(time) AS last
       FROM policy_violations WHERE time >= $1 GROUP BY policy, action ORDER BY policy, action`,
      [options.since ?? ''],
    );
    return rows;
  }
}
