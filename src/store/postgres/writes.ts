/**
 * The write side of the PostgreSQL store: every write goes through `write`,
 * one transaction that checks the fence first (./leases.ts) and bumps the
 * change counter last (a row, not a sequence: a reader sees the new count
 * only once the data it announces is committed). A batch (records, events, audit entries, intents,
 * runs) is one such transaction. Records and events go in as arrays
 * (unnest), one statement however many there are.
 *
 * Round trips, not statements, are what a write costs (each one waits for
 * the server's turn on a loaded host, and the change counter's row lock is
 * held across them): the fence check rides with BEGIN, the counter with
 * COMMIT, and a batch's statements go in as one statement (data-modifying
 * CTEs). A batch with audit entries takes the audit lock and reads the
 * chain's tail in BEGIN's round trip too: three round trips in all, where
 * it took nine.
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
  type EventRecord,
  type ResourceRecord,
  type RunRecord,
  type StoreBatch,
} from '../types.js';
import type { PgLeases } from './leases.js';
import type { PgPool } from './pool.js';
import { Statements, type Statement } from './statements.js';

/** The advisory lock key of the audit chain ("setpoint" in ASCII, truncated to fit a bigint). */
export const AUDIT_LOCK_KEY = 0x7365747069;

/** In READ COMMITTED each statement reads with a snapshot taken after the lock is held. */
const AUDIT_TAIL = [
  `SELECT pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`,
  'SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1',
  "SELECT value FROM meta WHERE key = 'audit_head'",
];

/** The chain's last entry, from AUDIT_TAIL's three results. */
interface AuditTail {
  seq: number;
  hash: string;
}

function auditTail(results: readonly pg.QueryResult[]): AuditTail {
  const last = results[1].rows[0] as { seq: number; hash: string } | undefined;
  const headValue = (results[2].rows[0] as { value: string } | undefined)?.value;
  const head = headValue ? (JSON.parse(headValue) as { seq: number; hash: string }) : undefined;
  return { seq: Math.max(Number(last?.seq ?? 0), head?.seq ?? 0), hash: last?.hash ?? GENESIS_HASH };
}

export class PgWrites {
  constructor(
    private readonly db: PgPool,
    private readonly leases: PgLeases,
  ) {}

  /**
   * Runs `fn` in a fenced write transaction (see the file header). `prelude`:
   * statements for BEGIN's round trip, after the fence check; `fn` gets their results.
   */
  write<T>(
    fn: (c: pg.PoolClient, prelude: pg.QueryResult[]) => Promise<T>,
    prelude: readonly string[] = [],
  ): Promise<T> {
    let fenced = 0;
    return this.db.tx(
      async (c, begun) => {
        // begun: BEGIN, the fence statements (the last reads the lease row), then the prelude.
        if (fenced > 0) this.leases.verify(begun[fenced]);
        return fn(c, begun.slice(1 + fenced));
      },
      {
        begin: (c) => {
          const fence = this.leases.fenceStatements(c);
          fenced = fence.length;
          return [...fence, ...prelude];
        },
        // Last, so its row lock is held only until the commit, and the new value becomes visible with the data.
        commit: ['UPDATE change_counter SET n = n + 1 WHERE id = 1'],
      },
    );
  }

  commit(batch: StoreBatch): Promise<AuditEntry[]> {
    if (!batch.audits?.length) return this.write((c) => this.writeBatch(c, batch));
    return this.write((c, prelude) => this.writeBatch(c, batch, auditTail(prelude)), AUDIT_TAIL);
  }

  async auditHead(c?: pg.PoolClient): Promise<{ seq: number; hash: string } | undefined> {
    const sql = "SELECT value FROM meta WHERE key = 'audit_head'";
    const { rows } = c ? await c.query<{ value: string }>(sql) : await this.db.query<{ value: string }>(sql);
    return rows[0] ? (JSON.parse(rows[0].value) as { seq: number; hash: string }) : undefined;
  }

  /**
   * Writes `batch` inside a transaction `write` gave (so a caller's own
   * statements commit with it). `tail`: the audit chain's tail read under
   * the audit lock in this transaction; without it, they are taken here.
   */
  async writeBatch(c: pg.PoolClient, batch: StoreBatch, tail?: AuditTail): Promise<AuditEntry[]> {
    const one = new Statements();
    // Apart: one statement must not touch a row twice (a record written and deleted, an intent removed and set).
    if (batch.deletes?.length)
      await c.query('DELETE FROM resources WHERE id = ANY($1::text[])', [[...batch.deletes]]);
    if (batch.records?.length) one.add(recordsStatement(batch.records));
    if (batch.events?.length) one.add(eventsStatement(batch.events));
    let entries: AuditEntry[] = [];
    if (batch.audits?.length) {
      const from = tail ?? auditTail((await c.query(AUDIT_TAIL.join('; '))) as unknown as pg.QueryResult[]);
      entries = chainEntries(from.seq, from.hash, batch.audits);
      const last = entries[entries.length - 1];
      for (const s of auditStatements(entries, JSON.stringify({ seq: last.seq, hash: last.hash })))
        one.add(s);
    }
    const done = batch.intentsDone ?? [];
    if (done.length)
      one.add({
        sql: `DELETE FROM action_intents a USING unnest($1::text[], $2::text[]) AS d(holder, resource_id)
         WHERE a.holder = d.holder AND a.resource_id = d.resource_id`,
        params: [done.map((i) => i.holder), done.map((i) => i.resourceId)],
      });
    const intents = batch.intents ?? [];
    if (intents.length) {
      if (done.length) await one.run(c);
      // WITH ORDINALITY keeps the batch's order (listIntents reads them in it); the last of a duplicate wins.
      one.add({
        sql: `INSERT INTO action_intents (holder, resource_id, data)
         SELECT h, r, d FROM (
           SELECT DISTINCT ON (h, r) h, r, d, n FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS u(h, r, d, n)
           ORDER BY h, r, n DESC) x
         ORDER BY n
         ON CONFLICT (holder, resource_id) DO UPDATE SET data = excluded.data`,
        params: [
          intents.map((i) => i.holder),
          intents.map((i) => i.resourceId),
          intents.map((i) => JSON.stringify(i)),
        ],
      });
    }
    await one.run(c);
    for (const run of batch.runs ?? []) await writeRun(c, run);
    return entries;
  }
}

/** Inserts or replaces records, in one statement. */
function recordsStatement(records: readonly ResourceRecord[]): Statement {
  return {
    sql: `INSERT INTO resources (id, kind, namespace, name, source, sync, health, managed, declared, signature, data, held)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
       $8::int[], $9::int[], $10::text[], $11::text[], $12::text[])
     ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, namespace = excluded.namespace, name = excluded.name,
       source = excluded.source, sync = excluded.sync, health = excluded.health, managed = excluded.managed,
       declared = excluded.declared, signature = excluded.signature, data = excluded.data, held = excluded.held`,
    params: byColumn(records.map(recordColumns), 12),
  };
}

/** Inserts or replaces records, in one statement. */
export async function writeRecords(c: pg.PoolClient, records: readonly ResourceRecord[]): Promise<void> {
  const { sql, params } = recordsStatement(records);
  await c.query(sql, params);
}

function eventsStatement(events: readonly EventRecord[]): Statement {
  // WITH ORDINALITY keeps the batch's order in the sequence numbers.
  return {
    sql: `INSERT INTO events (time, type, reason, message, resource_id, revision_id, run_id)
     SELECT t, ty, re, me, ri, rv, ru FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
       $6::text[], $7::text[]) WITH ORDINALITY AS u(t, ty, re, me, ri, rv, ru, n) ORDER BY n`,
    params: byColumn(events.map(eventColumns), 7),
  };
}

/** Chained audit entries, in one statement; with `head`, a second one moves the chain's head to it. */
function auditStatements(entries: readonly AuditEntry[], head?: string): Statement[] {
  const insert = {
    sql: `INSERT INTO audit (seq, time, actor, action, resource_id, revision_id, diff_digest, result, detail, prev_hash, hash)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
       $8::text[], $9::text[], $10::text[], $11::text[])`,
    params: byColumn(entries.map(auditColumns), 11),
  };
  if (head === undefined) return [insert];
  return [
    insert,
    {
      sql: "INSERT INTO meta (key, value) VALUES ('audit_head', $1::text) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      params: [head],
    },
  ];
}

/** Inserts chained audit entries; with `head`, the same round trip moves the chain's head to it. */
export async function insertAudit(
  c: pg.PoolClient,
  entries: readonly AuditEntry[],
  head?: string,
): Promise<void> {
  const one = new Statements();
  for (const s of auditStatements(entries, head)) one.add(s);
  await one.run(c);
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
