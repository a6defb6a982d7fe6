/**
 * Moving a state between stores: a SQLite state copied verbatim into an
 * empty PostgreSQL one (`setpoint state migrate --to URL`), and consistent
 * online copies of a SQLite state (`state backup` / `state restore`).
 *
 * The migration copies every table of the shared schema row for row (the
 * audit chain with its hashes, the salt that keys secret digests, tokens,
 * alerts...) except leases: a lease names a process of the old store. It
 * reads one snapshot of the SQLite file, writes one PostgreSQL transaction,
 * then verifies the audit chain where it arrived.
 */
import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { SetpointError } from '../errors.js';
import { PostgresStore } from './postgres/index.js';
import type { AuditVerification } from './types.js';

/** Tables copied by `state migrate`, parents first; identity columns get their sequences moved past the copied rows. */
const TABLES: ReadonlyArray<{ name: string; identity?: string; order: string }> = [
  { name: 'meta', order: 'key' },
  { name: 'revisions', order: 'rowid' },
  { name: 'resources', order: 'id' },
  { name: 'events', identity: 'seq', order: 'seq' },
  { name: 'audit', order: 'seq' },
  { name: 'runs', order: 'rowid' },
  { name: 'approvals', order: 'rowid' },
  { name: 'nudges', identity: 'seq', order: 'seq' },
  { name: 'drift_episodes', identity: 'id', order: 'id' },
  { name: 'policy_violations', identity: 'seq', order: 'seq' },
  { name: 'api_tokens', order: 'name' },
  { name: 'alerts', order: 'rowid' },
  { name: 'silences', order: 'rowid' },
  { name: 'sli_samples', order: 'sli, minute' },
  { name: 'sources', order: 'name' },
  { name: 'action_intents', order: 'rowid' },
  { name: 'reconcile_spans', identity: 'id', order: 'id' },
];

/** Rows per INSERT statement. */
const CHUNK = 500;

export interface MigrationReport {
  /** Rows copied per table. */
  counts: Record<string, number>;
  /** The audit chain as verified in the target. */
  audit: AuditVerification;
}

/** Copies the SQLite state at `sqlitePath` into the empty PostgreSQL state at `url` (see the file header). */
export async function migrateSqliteToPostgres(sqlitePath: string, url: string): Promise<MigrationReport> {
  if (!existsSync(sqlitePath))
    throw new SetpointError(`no SQLite state at ${sqlitePath}`, 'SETPOINT_STATE_MISSING', {
      hint: 'run state migrate in the project whose state you move, or pass --state FILE',
    });
  // One read transaction: a snapshot, even while another process writes.
  const source = new Database(sqlitePath, { readonly: true, fileMustExist: true });
  let snapshot: Map<string, Array<Record<string, unknown>>>;
  try {
    snapshot = source.transaction(() => {
      const out = new Map<string, Array<Record<string, unknown>>>();
      for (const t of TABLES) {
        const exists = source
          .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
          .get(t.name);
        out.set(
          t.name,
          exists
            ? (source.prepare(`SELECT * FROM "${t.name}" ORDER BY ${t.order}`).all() as Array<
                Record<string, unknown>
              >)
            : [],
        );
      }
      return out;
    })();
  } finally {
    source.close();
  }

  const target = await PostgresStore.open(url);
  try {
    const counts: Record<string, number> = {};
    await target.db.tx(async (c) => {
      const nonEmpty: string[] = [];
      for (const t of TABLES) {
        const { rows } = await c.query(`SELECT 1 FROM "${t.name}" LIMIT 1`);
        if (rows.length > 0) nonEmpty.push(t.name);
      }
      if (nonEmpty.length > 0)
        throw new SetpointError(
          `the target state ${target.location} is not empty (it has ${nonEmpty.join(', ')})`,
          'SETPOINT_STATE_NOT_EMPTY',
          { hint: 'migrate into a new, empty database (createdb), so no history is mixed or overwritten' },
        );
      for (const t of TABLES) {
        const rows = snapshot.get(t.name)!;
        counts[t.name] = rows.length;
        if (rows.length === 0) continue;
        const columns = Object.keys(rows[0]);
        for (let i = 0; i < rows.length; i += CHUNK) {
          const chunk = rows.slice(i, i + CHUNK);
          const values: unknown[] = [];
          const tuples = chunk.map((row) => {
            const slots = columns.map((col) => {
              values.push(row[col]);
              return `$${values.length}`;
            });
            return `(${slots.join(', ')})`;
          });
          await c.query(
            `INSERT INTO "${t.name}" (${columns.map((col) => `"${col}"`).join(', ')}) VALUES ${tuples.join(', ')}`,
            values,
          );
        }
        if (t.identity)
          await c.query(
            `SELECT setval(pg_get_serial_sequence('"${t.name}"', '${t.identity}'), (SELECT max("${t.identity}") FROM "${t.name}"))`,
          );
      }
      await c.query('UPDATE change_counter SET n = n + 1 WHERE id = 1');
    });
    const audit = await target.verifyAudit();
    if (!audit.ok)
      throw new SetpointError(
        `the audit chain did not arrive intact in ${target.location}: entry ${audit.firstBad?.seq} ${audit.firstBad?.problem}`,
        'SETPOINT_AUDIT_BROKEN',
        { hint: 'run `setpoint audit verify` on the SQLite state: a chain broken there is copied broken' },
      );
    return { counts, audit };
  } finally {
    await target.close();
  }
}

/** A consistent copy of a SQLite state, taken while it is in use (SQLite's online backup). */
export async function backupSqlite(sqlitePath: string, file: string): Promise<{ bytes: number }> {
  if (!existsSync(sqlitePath))
    throw new SetpointError(`no SQLite state at ${sqlitePath}`, 'SETPOINT_STATE_MISSING', {
      hint: 'pass --state FILE, or run it in the project folder',
    });
  if (existsSync(file))
    throw new SetpointError(`${file} exists`, 'SETPOINT_INVALID_ARGUMENT', {
      hint: 'choose a new file name: a backup never overwrites a file',
    });
  const db = new Database(sqlitePath, { readonly: true, fileMustExist: true });
  try {
    const tmp = `${file}.partial`;
    const { totalPages } = await db.backup(tmp);
    renameSync(tmp, file);
    return { bytes: totalPages * (db.pragma('page_size', { simple: true }) as number) };
  } finally {
    db.close();
  }
}

/**
 * Replaces the SQLite state at `sqlitePath` with the backup `file`, after
 * checking that the backup is a setpoint state. The caller holds the state
 * lock (nothing else writes). The replaced state is kept beside it.
 */
export function restoreSqlite(sqlitePath: string, file: string): { previous?: string } {
  if (!existsSync(file))
    throw new SetpointError(`no backup at ${file}`, 'SETPOINT_INVALID_ARGUMENT', {
      hint: 'name a file `state backup` wrote',
    });
  let probe: Database.Database | undefined;
  try {
    probe = new Database(file, { readonly: true, fileMustExist: true });
    probe.prepare('SELECT count(*) FROM audit').get();
    probe.prepare('SELECT count(*) FROM schema_migrations').get();
  } catch (err) {
    throw new SetpointError(
      `${file} is not a setpoint state backup (${(err as Error).message})`,
      'SETPOINT_INVALID_ARGUMENT',
      {
        hint: 'name a file `setpoint state backup` wrote',
        cause: err,
      },
    );
  } finally {
    probe?.close();
  }
  let previous: string | undefined;
  if (existsSync(sqlitePath)) {
    previous = `${sqlitePath}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(sqlitePath, previous);
  }
  for (const suffix of ['-wal', '-shm']) rmSync(`${sqlitePath}${suffix}`, { force: true });
  const tmp = `${sqlitePath}.restoring`;
  copyFileSync(file, tmp);
  renameSync(tmp, sqlitePath);
  return { previous };
}
