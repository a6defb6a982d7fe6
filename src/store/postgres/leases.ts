/**
 * Leases and fencing of the PostgreSQL store. Times are the database
 * server's clock, so replicas on hosts whose clocks disagree still agree on
 * when a lease expires.
 *
 * Fencing: every write transaction first reads the fenced lease's row FOR
 * KEY SHARE (`check`). If its holder and term are no longer ours the write
 * is refused with a LockLostError before anything is written; if they are,
 * the row stays locked until the write commits, and a takeover (which locks
 * the row FOR UPDATE first) waits for it: the check and the write are one
 * atomic step. FOR KEY SHARE, not FOR SHARE: a renewal (an UPDATE of the
 * expiry only) does not wait for the holder's own writes in flight, so a
 * busy leader's lease does not run low behind its own queue of writes.
 *
 * A holder frozen inside such transactions (SIGSTOP, a paused VM) keeps
 * their row locks, and a takeover would wait for them: one idle transaction
 * ends after part of the TTL (`boundIdle`, PostgreSQL ends the session),
 * but others of the same process waiting behind it (on the change counter,
 * the audit lock) are not idle and only start to count once they get their
 * lock, so the wait grew by that bound per transaction in the chain. So each
 * fenced transaction names its tenure in application_name (`tenureTag`),
 * and a replica taking over a lease that expired (or whose holder is gone)
 * first ends every session still in a transaction of that tenure. This
 * only speeds the takeover up: the row lock alone keeps the fencing atomic,
 * and the ended transactions of the stale term could never have committed
 * after the takeover anyway. The resumed holder's next write finds the new
 * term and fails.
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

/** The application_name of a fenced transaction of this tenure, while it is open (see the header). */
export function tenureTag(lease: string, term: number): string {
  // application_name keeps 63 bytes; a lease name is short, the term comes first so it is never cut.
  return `setpoint term ${term} ${lease}`.slice(0, 63);
}

/**
 * Ends the sessions in a transaction of the tenure `term` of `lease`, which
 * has expired or whose holder is gone (see the header); returns how many. A
 * server that does not allow it (another role, without pg_signal_backend)
 * leaves them be: the takeover then waits for their idle bound, as before.
 */
async function endStaleTenure(c: pg.PoolClient, lease: string, term: number): Promise<number> {
  await c.query('SAVEPOINT end_stale_tenure');
  try {
    const { rows } = await c.query<{ n: number }>(
      `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
       WHERE application_name = $1 AND datname = current_database() AND pid <> pg_backend_pid()`,
      [tenureTag(lease, term)],
    );
    await c.query('RELEASE SAVEPOINT end_stale_tenure');
    return rows[0]?.n ?? 0;
  } catch {
    await c.query('ROLLBACK TO SAVEPOINT end_stale_tenure');
    return 0;
  }
}

type SeenRow = LeaseRow & { now: number };

async function readRow(c: pg.PoolClient, name: string, lock: '' | 'FOR UPDATE'): Promise<SeenRow> {
  const { rows } = await c.query<SeenRow>(`SELECT *, ${NOW_MS} AS now FROM leases WHERE name = $1 ${lock}`, [
    name,
  ]);
  return rows[0];
}

/** Free (expired or released), already ours, or held by the holder we were asked to take it from (gone). */
function takeable(row: SeenRow, holder: string, takeFrom?: Pick<Lease, 'holder' | 'term'>): boolean {
  const valid = row.expires_at > row.now;
  if (!valid || row.holder === holder) return true;
  return takeFrom?.holder === row.holder && takeFrom.term === row.term;
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
      // First without a lock: a follower asking for a lease that is held (most asks) does not queue
      // behind the holder's writes in flight, which keep the row locked FOR KEY SHARE.
      const seen = await readRow(c, name, '');
      if (!takeable(seen, holder, takeFrom)) return undefined;
      // Taking over a tenure that ended without a release: its holder's open transactions must not hold us up.
      if (seen.term > 0 && seen.holder !== holder && seen.expires_at !== 0)
        await endStaleTenure(c, name, seen.term);
      const row = await readRow(c, name, 'FOR UPDATE');
      // Read again under the lock: another replica may have taken it meanwhile.
      if (!takeable(row, holder, takeFrom)) return undefined;
      const now = row.now;
      const valid = row.expires_at > now;
      const ours = valid && row.holder === holder;
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
    const statements = this.fenceStatements(c);
    if (statements.length === 0) return;
    // One round trip for the three statements (simple protocol: no parameters, so values go in as literals).
    const results = (await c.query(statements.join('; '))) as unknown as pg.QueryResult[];
    this.verify(results[results.length - 1]);
  }

  /**
   * The fence check as statements to send in the transaction's first round
   * trip (PgWrites sends them with BEGIN), none without a fence; the result
   * of the last one goes to `verify`. Throws at once when the fence is lost.
   */
  fenceStatements(c: pg.PoolClient): string[] {
    const f = this.fence;
    if (!f) return [];
    if (this.lost) throw this.lost;
    return [
      `SET LOCAL idle_in_transaction_session_timeout = ${idleBound(f.ttlMs)}`,
      `SET LOCAL application_name = ${c.escapeLiteral(tenureTag(f.lease, f.term))}`,
      `SELECT holder, term FROM leases WHERE name = ${c.escapeLiteral(f.lease)} FOR KEY SHARE`,
    ];
  }

  /** Throws LockLostError unless the lease row the fence check read is still this fence's tenure. */
  verify(result: pg.QueryResult): void {
    const f = this.fence;
    if (!f) return;
    const row = result.rows[0] as { holder: string; term: number } | undefined;
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
