/**
 * Leases and fencing of the PostgreSQL store. Times are the database
 * server's clock, so replicas on hosts whose clocks disagree still agree on
 * when a lease expires.
 *
 * Fencing: every write transaction first reads the fenced lease's row FOR
 * SHARE (`check`). If its holder and term are no longer ours the write is
 * refused with a LockLostError before anything is written; if they are, the
 * row stays locked until the write commits, so a takeover (which updates
 * the row) waits for it: the check and the write are one atomic step.
 * A holder frozen inside such a transaction (SIGSTOP, a paused VM) would
 * keep that row lock and so block every takeover: the transaction's idle
 * time is bounded to part of the TTL (`boundIdle`), after which PostgreSQL
 * ends its session, the lock goes, and the resumed holder's write fails.
 */
import type pg from 'pg';
import { LockLostError } from '../fence.js';
import type { Fence, Lease } from '../types.js';
import type { PgPool } from './pool.js';

interface LeaseRow {
  name: string;
  holder: string;
  term: number;
  acquired_at: string;
  expires_at: number;
}

const NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

/**
 * Ends this transaction's session once it has sat idle for half the TTL,
 * so a frozen holder's row locks cannot outlive its lease (see the header).
 */
async function boundIdle(c: pg.PoolClient, ttlMs: number): Promise<void> {
  await c.query(`SET LOCAL idle_in_transaction_session_timeout = ${idleBound(ttlMs)}`);
}

function idleBound(ttlMs: number): number {
  return Math.max(100, Math.floor(ttlMs / 2));
}

export class PgLeases {
  private fence: Fence | undefined;
  private lost: LockLostError | undefined;
  /** performance.now() when the fence was last confirmed by a renewal. */
  private confirmedAt = -Infinity;

  constructor(private readonly db: PgPool) {}

  acquire(
    name: string,
    holder: string,
    ttlMs: number,
    takeFrom?: Pick<Lease, 'holder' | 'term'>,
  ): Promise<Lease | undefined> {
    return this.db.tx(async (c) => {
      await boundIdle(c, ttlMs);
      // A placeholder row (term 0, expired) so that FOR UPDATE has a row to lock on the first acquisition.
      await c.query(
        `INSERT INTO leases (name, holder, term, acquired_at, expires_at) VALUES ($1, '', 0, '', 0) ON CONFLICT (name) DO NOTHING`,
        [name],
      );
      const { rows } = await c.query<LeaseRow & { now: number }>(
        `SELECT *, ${NOW_MS} AS now FROM leases WHERE name = $1 FOR UPDATE`,
        [name],
      );
      const row = rows[0];
      const now = row.now;
      const valid = row.expires_at > now;
      const ours = valid && row.holder === holder;
      const forced = valid && takeFrom?.holder === row.holder && takeFrom.term === row.term;
      if (valid && !ours && !forced) return undefined;
      const lease: Lease = {
        name,
        holder,
        term: row.term + (ours ? 0 : 1),
        acquiredAt: ours ? row.acquired_at : new Date(now).toISOString(),
        expiresAt: now + ttlMs,
      };
      // A tenure that ended without a release (expired, or its holder is gone) is a takeover.
      if (row.term > 0 && !ours && row.expires_at !== 0)
        lease.previous = { holder: row.holder, term: row.term, expiresAt: row.expires_at };
      await c.query(
        'UPDATE leases SET holder = $2, term = $3, acquired_at = $4, expires_at = $5 WHERE name = $1',
        [name, holder, lease.term, lease.acquiredAt, lease.expiresAt],
      );
      return lease;
    });
  }

  async renew(name: string, holder: string, term: number, ttlMs: number): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE leases SET expires_at = ${NOW_MS} + $4 WHERE name = $1 AND holder = $2 AND term = $3`,
      [name, holder, term, ttlMs],
    );
    return r.rowCount === 1;
  }

  async release(name: string, holder: string): Promise<void> {
    // The row stays (expired) so the next tenure's term keeps growing.
    await this.db.query('UPDATE leases SET expires_at = 0 WHERE name = $1 AND holder = $2', [name, holder]);
  }

  async get(name: string): Promise<Lease | undefined> {
    const { rows } = await this.db.query<LeaseRow>('SELECT * FROM leases WHERE name = $1 AND term > 0', [
      name,
    ]);
    const row = rows[0];
    return (
      row && {
        name: row.name,
        holder: row.holder,
        term: row.term,
        acquiredAt: row.acquired_at,
        expiresAt: row.expires_at,
      }
    );
  }

  setFence(fence: Fence | undefined): void {
    this.fence = fence;
    this.lost = undefined;
    this.confirmedAt = fence ? performance.now() : -Infinity;
  }

  /** The fence check of a write transaction (see the file header); call it first in the transaction. */
  async check(c: pg.PoolClient): Promise<void> {
    const f = this.fence;
    if (!f) return;
    if (this.lost) throw this.lost;
    // One round trip for both statements (simple protocol: no parameters, so the name goes in as a literal).
    const results = (await c.query(
      `SET LOCAL idle_in_transaction_session_timeout = ${idleBound(f.ttlMs)}; ` +
        `SELECT holder, term FROM leases WHERE name = ${c.escapeLiteral(f.lease)} FOR SHARE`,
    )) as unknown as Array<pg.QueryResult<{ holder: string; term: number }>>;
    const row = results[1].rows[0];
    if (!row || row.holder !== f.holder || row.term !== f.term) throw this.lose(row?.holder, row?.term);
  }

  /** See Store.assertCanAct. */
  async assertCanAct(): Promise<void> {
    const f = this.fence;
    if (!f) return;
    if (this.lost) throw this.lost;
    // Confirmed (and renewed to a full TTL) less than TTL/4 ago: at least 3/4 of the lease is left.
    if (performance.now() - this.confirmedAt < f.ttlMs / 4) return;
    if (await this.renew(f.lease, f.holder, f.term, f.ttlMs)) {
      this.confirmedAt = performance.now();
      return;
    }
    const now = await this.get(f.lease);
    throw this.lose(now?.holder, now?.term);
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
}
