/** SQLite side of policy violations (the table of migration 3). */
import type Database from 'better-sqlite3';
import { cached } from './statements.js';
import type { ViolationQuery, ViolationRecord, ViolationStore, ViolationTotal } from '../violations.js';
import { violationColumns, violationFromRow, type ViolationRow } from '../rows.js';

export class SqliteViolationStore implements ViolationStore {
  constructor(private readonly db: Database.Database) {}

  async appendViolations(violations: readonly ViolationRecord[]): Promise<void> {
    if (violations.length === 0) return;
    const stmt = cached(
      this.db,
      'INSERT INTO policy_violations (time, policy, resource_id, revision_id, action, phase, blocked, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      for (const v of violations) stmt.run(...violationColumns(v));
    })();
  }

  async listViolations(query: ViolationQuery = {}): Promise<ViolationRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.policy) {
      where.push('policy = ?');
      args.push(query.policy);
    }
    if (query.resourceId) {
      where.push('resource_id = ?');
      args.push(query.resourceId);
    }
    if (query.since) {
      where.push('time >= ?');
      args.push(query.since);
    }
    const rows = cached(
      this.db,
      `SELECT * FROM policy_violations ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC LIMIT ?`,
    ).all(...args, query.limit ?? 100) as ViolationRow[];
    return rows.map(violationFromRow);
  }

  async violationTotals(options: { since?: string } = {}): Promise<ViolationTotal[]> {
    return cached(
      this.db,
      `SELECT policy, action, COUNT(*) AS count, SUM(blocked) AS blocked, MAX(time) AS last
         FROM policy_violations WHERE time >= ? GROUP BY policy, action ORDER BY policy, action`,
    ).all(options.since ?? '') as ViolationTotal[];
  }
}
