/**
 * One number from SQL: the first column of the first row. A `postgres://`
 * (or `postgresql://`) database is queried with pg in a read-only
 * transaction; anything else is a SQLite file opened read-only.
 */
import { isAbsolute, resolve as resolvePath } from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { lazy } from '../../util/lazy.js';
import { ProviderError } from '../../provider/errors.js';

// Loaded on first use: only a goal read from PostgreSQL needs pg.
const loadPg = lazy<typeof pg>('pg');

export interface SqlRead {
  database: string;
  query: string;
  password?: string;
  baseDir: string;
  timeoutMs: number;
}

export function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//.test(database);
}

/** The first column of the first row (undefined when there is no row). Throws a ProviderError naming `field`. */
export async function readSql(r: SqlRead, field: string): Promise<unknown> {
  try {
    return isPostgresUrl(r.database) ? await readPostgres(r) : readSqlite(r);
  } catch (err) {
    if (err instanceof ProviderError) throw err;
    throw new ProviderError(`the SQL query failed: ${(err as Error).message}`, {
      code: 'SETPOINT_TARGET_READ_FAILED',
      field,
      cause: err,
      hint: isPostgresUrl(r.database)
        ? 'check the URL, the password secretRef and the query'
        : 'check the file path and the query',
    });
  }
}

function readSqlite(r: SqlRead): unknown {
  const path = isAbsolute(r.database) ? r.database : resolvePath(r.baseDir, r.database);
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: r.timeoutMs });
  try {
    const row = db.prepare(r.query).raw(true).get() as unknown[] | undefined;
    return row?.[0];
  } finally {
    db.close();
  }
}

async function readPostgres(r: SqlRead): Promise<unknown> {
  const client = new (loadPg().Client)({
    connectionString: r.database,
    password: r.password,
    connectionTimeoutMillis: r.timeoutMs,
    statement_timeout: r.timeoutMs,
    application_name: 'setpoint-target',
  });
  // A dropped connection must not become an uncaught error.
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('BEGIN READ ONLY');
    const res = await client.query<unknown[]>({ text: r.query, rowMode: 'array' });
    await client.query('ROLLBACK');
    return res.rows[0]?.[0];
  } finally {
    await client.end().catch(() => undefined);
  }
}
