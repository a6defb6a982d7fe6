/**
 * Moving and copying the state: `state migrate` (SQLite into an empty
 * PostgreSQL state), `state backup` and `state restore` (SQLite; for
 * PostgreSQL, pg_dump and pg_restore do it better than setpoint could).
 */
import { SetpointError } from '../errors.js';
import { anchorPathFor, AuditAnchor } from '../store/audit-anchor.js';
import type { MigrationReport } from '../store/copy.js';
import { acquireStateLock } from '../store/lock.js';
import { openStore } from '../store/open.js';
import { isPostgresUrl, redactUrl } from '../store/postgres/url.js';
import { SqliteStore } from '../store/sqlite/index.js';
import type { ApiContext } from './context.js';

function sqliteOnly(ctx: ApiContext, what: string): string {
  if (!isPostgresUrl(ctx.stateLocation)) return ctx.stateLocation;
  throw new SetpointError(
    `state ${what} works on a SQLite state; ${redactUrl(ctx.stateLocation)} is PostgreSQL`,
    'SETPOINT_STATE_UNSUPPORTED',
    {
      hint:
        what === 'restore'
          ? 'restore a PostgreSQL state with pg_restore (see docs/storage.md)'
          : 'back up a PostgreSQL state with pg_dump --format=custom (see docs/storage.md)',
    },
  );
}

/** Copies this project's SQLite state into the empty PostgreSQL state at `to`, and verifies its audit chain there. */
export async function migrateState(
  ctx: ApiContext,
  to: string,
): Promise<MigrationReport & { from: string; to: string }> {
  if (!isPostgresUrl(to))
    throw new SetpointError(`--to ${to} is not a postgres:// URL`, 'SETPOINT_INVALID_ARGUMENT', {
      hint: 'name the target as postgres://user@host:5432/db (the password in PGPASSWORD or ~/.pgpass)',
    });
  const from = sqliteOnly(ctx, 'migrate');
  // Loaded when used: other commands never load the pg driver.
  const { migrateSqliteToPostgres } = await import('../store/copy.js');
  const report = await migrateSqliteToPostgres(from, to);
  ctx.logger.info(
    { state: from, to: redactUrl(to), counts: report.counts, auditEntries: report.audit.entries },
    'state migrated to PostgreSQL',
  );
  return { ...report, from, to: redactUrl(to) };
}

/** A consistent copy of the SQLite state in `file`, taken while it may be in use. */
export async function backupState(
  ctx: ApiContext,
  file: string,
): Promise<{ state: string; file: string; bytes: number }> {
  const state = sqliteOnly(ctx, 'backup');
  const { backupSqlite } = await import('../store/copy.js');
  const { bytes } = await backupSqlite(state, file);
  ctx.logger.info({ state, file, bytes }, 'state backed up');
  return { state, file, bytes };
}

/**
 * Replaces the SQLite state with a backup: refused while another run holds
 * the state lock. The audit anchor moves to the restored head (a deliberate
 * rollback, not a truncation), and the restore itself is audited with the
 * head it replaced.
 */
export async function restoreState(
  ctx: ApiContext,
  file: string,
): Promise<{ state: string; file: string; previous?: string; auditEntries: number }> {
  const state = sqliteOnly(ctx, 'restore');
  const current = await openStore(state);
  let replacedHead: { seq: number; hash: string } | undefined;
  try {
    const lock = await acquireStateLock(current, { what: 'restore', actor: ctx.actor });
    const last = (await current.listAudit({ limit: 1 }))[0];
    replacedHead = last && { seq: last.seq, hash: last.hash };
    // Everything committed moves into the main file, so the copy kept aside is whole.
    if (current instanceof SqliteStore) current.db.pragma('wal_checkpoint(TRUNCATE)');
    // The old file is set aside next: its lease goes with it.
    await lock.release();
  } finally {
    await current.close();
  }
  const { restoreSqlite } = await import('../store/copy.js');
  const { previous } = restoreSqlite(state, file);
  const restored = await openStore(state);
  try {
    const head = (await restored.listAudit({ limit: 1 }))[0];
    const anchor = new AuditAnchor(anchorPathFor(state));
    anchor.write({ head: head && { seq: head.seq, hash: head.hash, at: new Date().toISOString() } });
    await restored.appendAudit([
      {
        time: new Date().toISOString(),
        actor: ctx.actor,
        action: 'state.restore',
        result: 'restored',
        detail: { from: file, replacedHead, keptAt: previous },
      },
    ]);
    ctx.logger.info({ state, file, previous }, 'state restored from a backup');
    return { state, file, previous, auditEntries: (await restored.verifyAudit()).entries };
  } finally {
    await restored.close();
  }
}
