/**
 * Leases, fencing and the write gate of the SQLite store.
 *
 * The write gate is a set of TEMP triggers (this connection only) on every
 * table but `leases`: before each row is written they call
 * `setpoint_write_gate(holder, term)` with the fenced lease's current holder
 * and term, read in the same statement, so the check and the write are one
 * atomic step under SQLite's write lock. The gate refuses the write (the
 * statement and its transaction fail, nothing is written) when the lease
 * moved on (LockLostError) or the state guard found the file deleted or
 * replaced (StateProblemError).
 */
import type Database from 'better-sqlite3';
import { cached } from './statements.js';
import { LockLostError } from '../fence.js';
import type { StateGuard } from '../guard.js';
import type { Fence, Lease } from '../types.js';

interface LeaseRow {
  name: string;
  holder: string;
  term: number;
  acquired_at: string;
  expires_at: number;
}

/** How often writes re-check the state file (a stat); actions check it every time. */
const GUARD_WRITE_MAX_AGE_MS = 100;

export class SqliteLeases {
  private readonly getStmt: Database.Statement;
  private readonly putStmt: Database.Statement;
  private readonly renewStmt: Database.Statement;
  private readonly releaseStmt: Database.Statement;
  private fence: Fence | undefined;
  private lost: LockLostError | undefined;
  /** performance.now() when the fence was last confirmed by a renewal. */
  private confirmedAt = -Infinity;

  constructor(
    private readonly db: Database.Database,
    private readonly guard: StateGuard | undefined,
    /** False for a read-only connection: it writes nothing, so it needs no gate. */
    private readonly gated = true,
  ) {
    this.getStmt = db.prepare('SELECT * FROM leases WHERE name = ?');
    this.putStmt = db.prepare(
      'INSERT OR REPLACE INTO leases (name, holder, term, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.renewStmt = db.prepare(
      'UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ? AND term = ?',
    );
    this.releaseStmt = db.prepare('UPDATE leases SET expires_at = 0 WHERE name = ? AND holder = ?');
    db.function('setpoint_write_gate', { deterministic: false }, (holder: unknown, term: unknown) =>
      this.gate(holder, term),
    );
    this.installGate();
  }

  acquire(
    name: string,
    holder: string,
    ttlMs: number,
    takeFrom?: Pick<Lease, 'holder' | 'term'>,
  ): Lease | undefined {
    return this.db
      .transaction(() => {
        const now = Date.now();
        const row = this.getStmt.get(name) as LeaseRow | undefined;
        const valid = row !== undefined && row.expires_at > now;
        const ours = valid && row.holder === holder;
        const forced = valid && takeFrom?.holder === row.holder && takeFrom.term === row.term;
        if (valid && !ours && !forced) return undefined;
        const lease: Lease = {
          name,
          holder,
          term: row ? row.term + (ours ? 0 : 1) : 1,
          acquiredAt: ours ? row.acquired_at : new Date(now).toISOString(),
          expiresAt: now + ttlMs,
        };
        // A tenure that ended without a release (expired, or its holder is gone) is a takeover.
        if (row && !ours && row.expires_at !== 0)
          lease.previous = { holder: row.holder, term: row.term, expiresAt: row.expires_at };
        this.putStmt.run(name, holder, lease.term, lease.acquiredAt, lease.expiresAt);
        return lease;
      })
      .immediate();
  }

  renew(name: string, holder: string, term: number, ttlMs: number): boolean {
    return this.renewStmt.run(Date.now() + ttlMs, name, holder, term).changes === 1;
  }

  release(name: string, holder: string): void {
    // The row stays (expired) so the next tenure's term keeps growing.
    this.releaseStmt.run(name, holder);
  }

  get(name: string): Lease | undefined {
    const row = this.getStmt.get(name) as LeaseRow | undefined;
    return row && leaseFromRow(row);
  }

  setFence(fence: Fence | undefined): void {
    this.fence = fence;
    this.lost = undefined;
    this.confirmedAt = fence ? performance.now() : -Infinity;
    this.installGate();
  }

  /** See Store.assertCanAct. */
  assertCanAct(): void {
    this.guard?.assertHealthy();
    const f = this.fence;
    if (!f) return;
    if (this.lost) throw this.lost;
    // Confirmed (and renewed to a full TTL) less than TTL/4 ago: at least 3/4 of the lease is left.
    if (performance.now() - this.confirmedAt < f.ttlMs / 4) return;
    if (this.renew(f.lease, f.holder, f.term, f.ttlMs)) {
      this.confirmedAt = performance.now();
      return;
    }
    const now = this.get(f.lease);
    throw this.lose(now?.holder, now?.term);
  }

  /** The write gate's check, once per row written (see the file header). */
  private gate(holder: unknown, term: unknown): number {
    this.guard?.assertHealthy(GUARD_WRITE_MAX_AGE_MS);
    const f = this.fence;
    if (f && (holder !== f.holder || term !== f.term)) throw this.lose(holder, term);
    return 0;
  }

  private lose(holder: unknown, term: unknown): LockLostError {
    if (this.lost) return this.lost;
    const f = this.fence!;
    this.lost = new LockLostError(
      f.lease,
      typeof holder === 'string' && typeof term === 'number' ? { holder, term } : undefined,
      f.term,
    );
    try {
      f.onLost?.(this.lost);
    } catch {
      // The caller learns it from the thrown error either way.
    }
    return this.lost;
  }

  /** (Re)creates the gate triggers for the current fence. */
  private installGate(): void {
    if (!this.gated) return;
    const tables = (
      cached(
        this.db,
        "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('leases', 'schema_migrations')",
      ).all() as Array<{ name: string }>
    ).map((r) => r.name);
    const f = this.fence;
    const args = f
      ? `(SELECT holder FROM main.leases WHERE name = ${quote(f.lease)}), (SELECT term FROM main.leases WHERE name = ${quote(f.lease)})`
      : 'NULL, NULL';
    const sql: string[] = [];
    for (const table of tables)
      for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
        const trigger = `"setpoint_gate_${table}_${op.toLowerCase()}"`;
        sql.push(
          `DROP TRIGGER IF EXISTS temp.${trigger};`,
          `CREATE TEMP TRIGGER ${trigger} BEFORE ${op} ON main."${table}" BEGIN SELECT setpoint_write_gate(${args}); END;`,
        );
      }
    this.db.exec(sql.join('\n'));
  }
}

function leaseFromRow(row: LeaseRow): Lease {
  return {
    name: row.name,
    holder: row.holder,
    term: row.term,
    acquiredAt: row.acquired_at,
    expiresAt: row.expires_at,
  };
}

/** An SQL string literal. */
function quote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
