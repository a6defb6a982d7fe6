/**
 * The write side of the PostgreSQL store: every write goes through `write`,
 * one transaction that checks the fence first (./leases.ts) and bumps the
 * change counter last (a row, not a sequence: a reader sees the new count
 * only once the data it announces is committed). A batch (records, events, audit entries, intents,
 * runs) is one such transaction. Records and events go in as arrays
 * (unnest), one round trip however many there are.
 *
 * The audit chain is serialised across processes by a transaction-scoped
 * advisory lock taken before the head is read: two replicas appending at
 * once queue on it, so the chain never forks.
 */
import type pg from 'pg';
import { chainEntries, GENESIS_HASH } from '../audit-chain.js';
import { auditColumns, byColumn, eventColumns, recordColumns, runColumns } from '../rows.js';
import {
  type AuditEntry,
  type AuditInput,
  type EventRecord,
  type ResourceRecord,
  type RunRecord,
  type StoreBatch,
} from '../types.js';
import type { PgLeases } from './leases.js';
import type { PgPool } from './pool.js';

/** The advisory lock key of the audit chain ("setpoint" in ASCII, truncated to fit a bigint). */
export const AUDIT_LOCK_KEY = 0x7365747069;

export class PgWrites {
  constructor(
    private readonly db: PgPool,
    private readonly leases: PgLeases,
  ) {}

  /** Runs `fn` in a fenced write transaction (see the file header). */
  write<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.db.tx(async (c) => {
      await this.leases.check(c);
      const out = await fn(c);
      // Last, so its row lock is held only until the commit, and the new value becomes visible with the data.
      await c.query('UPDATE change_counter SET n = n + 1 WHERE id = 1');
      return out;
    });
  }

  commit(batch: StoreBatch): Promise<AuditEntry[]> {
    return this.write((c) => this.writeBatch(c, batch));
  }

  async auditHead(c?: pg.PoolClient): Promise<{ seq: number; hash: string } | undefined> {
    const sql = "SELECT value FROM meta WHERE key = 'audit_head'";
    const { rows } = c ? await c.query<{ value: string }>(sql) : await this.db.query<{ value: string }>(sql);
    return rows[0] ? (JSON.parse(rows[0].value) as { seq: number; hash: string }) : undefined;
  }

  /** Writes `batch` inside a transaction `write` gave (so a caller's own statements commit with it). */
  async writeBatch(c: pg.PoolClient, batch: StoreBatch): Promise<AuditEntry[]> {
    if (batch.records?.length) await writeRecords(c, batch.records);
    if (batch.deletes?.length)
      await c.query('DELETE FROM resources WHERE id = ANY($1::text[])', [[...batch.deletes]]);
    if (batch.events?.length) await writeEvents(c, batch.events);
    const entries = batch.audits?.length ? await this.appendAudit(c, batch.audits) : [];
    const done = batch.intentsDone ?? [];
    if (done.length)
      await c.query(
        `DELETE FROM action_intents a USING unnest($1::text[], $2::text[]) AS d(holder, resource_id)
         WHERE a.holder = d.holder AND a.resource_id = d.resource_id`,
        [done.map((i) => i.holder), done.map((i) => i.resourceId)],
      );
    const intents = batch.intents ?? [];
    if (intents.length)
      // WITH ORDINALITY keeps the batch's order (listIntents reads them in it); the last of a duplicate wins.
      await c.query(
        `INSERT INTO action_intents (holder, resource_id, data)
         SELECT h, r, d FROM (
           SELECT DISTINCT ON (h, r) h, r, d, n FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS u(h, r, d, n)
           ORDER BY h, r, n DESC) x
         ORDER BY n
         ON CONFLICT (holder, resource_id) DO UPDATE SET data = excluded.data`,
        [
          intents.map((i) => i.holder),
          intents.map((i) => i.resourceId),
          intents.map((i) => JSON.stringify(i)),
        ],
      );
    for (const run of batch.runs ?? []) await writeRun(c, run);
    return entries;
  }

  /** Chains and inserts entries under the audit lock; call inside a transaction. */
  private async appendAudit(c: pg.PoolClient, inputs: readonly AuditInput[]): Promise<AuditEntry[]> {
    // One round trip, three statements: in READ COMMITTED each reads with a snapshot taken after the lock is held.
    const [, tailRows, headRows] = (await c.query(
      `SELECT pg_advisory_xact_lock(${AUDIT_LOCK_KEY}); ` +
        'SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1; ' +
        "SELECT value FROM meta WHERE key = 'audit_head'",
    )) as unknown as Array<pg.QueryResult>;
    const last = tailRows.rows[0] as { seq: number; hash: string } | undefined;
    const headValue = (headRows.rows[0] as { value: string } | undefined)?.value;
    const head = headValue ? (JSON.parse(headValue) as { seq: number; hash: string }) : undefined;
    const lastSeq = Math.max(Number(last?.seq ?? 0), head?.seq ?? 0);
    const entries = chainEntries(lastSeq, last?.hash ?? GENESIS_HASH, inputs);
    const tail = entries[entries.length - 1];
    await insertAudit(c, entries, JSON.stringify({ seq: tail.seq, hash: tail.hash }));
    return entries;
  }
}

/** Inserts or replaces records, in one statement. */
export async function writeRecords(c: pg.PoolClient, records: readonly ResourceRecord[]): Promise<void> {
  const cols = byColumn(records.map(recordColumns), 12);
  await c.query(
    `INSERT INTO resources (id, kind, namespace, name, source, sync, health, managed, declared, signature, data, held)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
       $8::int[], $9::int[], $10::text[], $11::text[], $12::text[])
     ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, namespace = excluded.namespace, name = excluded.name,
       source = excluded.source, sync = excluded.sync, health = excluded.health, managed = excluded.managed,
       declared = excluded.declared, signature = excluded.signature, data = excluded.data, held = excluded.held`,
    cols,
  );
}

async function writeEvents(c: pg.PoolClient, events: readonly EventRecord[]): Promise<void> {
  const cols = byColumn(events.map(eventColumns), 7);
  // WITH ORDINALITY keeps the batch's order in the sequence numbers.
  await c.query(
    `INSERT INTO events (time, type, reason, message, resource_id, revision_id, run_id)
     SELECT t, ty, re, me, ri, rv, ru FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
       $6::text[], $7::text[]) WITH ORDINALITY AS u(t, ty, re, me, ri, rv, ru, n) ORDER BY n`,
    cols,
  );
}

/** Inserts chained audit entries, in one statement; with `head`, the same statement moves the chain's head to it. */
export async function insertAudit(
  c: pg.PoolClient,
  entries: readonly AuditEntry[],
  head?: string,
): Promise<void> {
  const cols = byColumn(entries.map(auditColumns), 11);
  const insert = `INSERT INTO audit (seq, time, actor, action, resource_id, revision_id, diff_digest, result, detail, prev_hash, hash)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
       $8::text[], $9::text[], $10::text[], $11::text[])`;
  if (head === undefined) await c.query(insert, cols);
  else
    await c.query(
      `WITH entries AS (${insert} RETURNING 1)
       INSERT INTO meta (key, value) VALUES ('audit_head', $12) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [...cols, head],
    );
}

export async function writeRun(c: pg.PoolClient, run: RunRecord): Promise<void> {
  await c.query(
    `INSERT INTO runs (id, command, revision_id, actor, started_at, finished_at, result, summary, holder)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (id) DO UPDATE SET command = excluded.command, revision_id = excluded.revision_id,
       actor = excluded.actor, started_at = excluded.started_at, finished_at = excluded.finished_at,
       result = excluded.result, summary = excluded.summary, holder = excluded.holder`,
    runColumns(run),
  );
}
