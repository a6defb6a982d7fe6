/**
 * The connection every PostgreSQL kind shares: a URL without a password
 * plus a `passwordRef` secret, or — with no `connection` at all — the
 * standard PG* environment variables (PGHOST, PGPORT, PGUSER, PGPASSWORD,
 * PGDATABASE, ~/.pgpass), as psql reads them.
 *
 * The password lives in memory only (the resolved desired state, never the
 * spec), so it never reaches the store, plans, logs or events. Connections
 * are pooled per server, database and credentials for the life of the
 * process; idle ones close after a second, so a one-shot run exits at once.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import * as z from 'zod';
import { ProviderError } from '../../provider/errors.js';
import type { Ctx } from '../../provider/types.js';
import { SecretError, SecretRefSchema } from '../../secrets/index.js';
import { DurationSchema, parseDuration } from '../../util/duration.js';
import { lazy } from '../../util/lazy.js';

// Loaded on first use: a run without PostgreSQL resources never evaluates pg.
const loadPg = lazy<typeof pg>('pg');

/** A URL that carries no password (in the authority or as a `password=` parameter). */
function withoutPassword(url: string): boolean {
  try {
    const u = new URL(url);
    return u.password === '' && !u.searchParams.has('password');
  } catch {
    return false;
  }
}

export const ConnectionSchema = z
  .strictObject({
    url: z
      .string()
      .regex(
        /^postgres(ql)?:\/\/\S*$/,
        'a postgres:// URL, e.g. postgres://admin@db.example.org:5432/postgres',
      )
      .refine(withoutPassword, 'the URL must not hold a password: give it as passwordRef')
      .optional()
      .describe(
        'The server: postgres://user@host:port/database (the database is the one to connect to for roles and databases; kinds inside a database connect to theirs). Defaults to the PG* environment variables.',
      ),
    passwordRef: SecretRefSchema.optional().describe(
      'The password of the URL’s user, from a secret. Defaults to PGPASSWORD or ~/.pgpass, as psql.',
    ),
    connectTimeout: DurationSchema.optional().describe(
      'How long to wait for the server to answer. Defaults to 5s.',
    ),
  })
  .describe('How to reach the PostgreSQL server. Defaults to the PG* environment variables, as psql.');

export type ConnectionSpec = z.infer<typeof ConnectionSchema>;

/** A resolved connection: what the pool needs; the password is held in memory only. */
export interface PgConnection {
  url?: string;
  password?: string;
  timeoutMs: number;
  /** For messages: the URL, or "the PG* environment". Never holds the password. */
  label: string;
}

/** Identifiers: any text up to PostgreSQL's 63 bytes, no NUL; always quoted in SQL, so any name is safe. */
export const IdentifierSchema = z
  .string()
  .min(1)
  .refine((s) => Buffer.byteLength(s) <= 63, 'at most 63 bytes (PostgreSQL truncates longer names)')
  .refine((s) => !s.includes('\0'), 'no NUL character');

/** Reads the connection's password secret; a failure names spec.connection.passwordRef. */
export async function resolveConnection(spec: ConnectionSpec | undefined, ctx: Ctx): Promise<PgConnection> {
  const timeoutMs = parseDuration(spec?.connectTimeout ?? '5s') ?? 5000;
  const label = spec?.url ?? 'the PG* environment';
  if (!spec?.passwordRef) return { url: spec?.url, timeoutMs, label };
  try {
    const password = await ctx.secrets.resolve(spec.passwordRef, ctx.baseDir);
    return { url: spec.url, password, timeoutMs, label };
  } catch (err) {
    if (err instanceof SecretError)
      throw new ProviderError(err.message, {
        code: err.code,
        field: 'spec.connection.passwordRef',
        hint: err.hint,
      });
    throw err;
  }
}

const pools = new Map<string, pg.Pool>();

function poolFor(conn: PgConnection, database: string | undefined): pg.Pool {
  const secret = conn.password === undefined ? '' : createHash('sha256').update(conn.password).digest('hex');
  const key = JSON.stringify([conn.url ?? '', database ?? '', secret, conn.timeoutMs]);
  let pool = pools.get(key);
  if (!pool) {
    pool = new (loadPg().Pool)({
      connectionString: conn.url && urlFor(conn.url, database, conn.password),
      ...(conn.password !== undefined && !conn.url ? { password: conn.password } : {}),
      // Without a URL pg reads PGDATABASE; the option wins over it (a URL would win over the option).
      ...(database !== undefined && !conn.url ? { database } : {}),
      connectionTimeoutMillis: conn.timeoutMs,
      max: 4,
      idleTimeoutMillis: 1000,
      allowExitOnIdle: true,
    });
    // An idle connection the server ends (restart, terminate) must not crash setpoint: the next query reconnects.
    pool.on('error', () => undefined);
    pools.set(key, pool);
  }
  return pool;
}

/**
 * The URL to hand to pg, in memory only: with the database to use and the
 * password (pg lets what the URL says win over the separate options).
 */
function urlFor(url: string, database: string | undefined, password: string | undefined): string {
  const u = new URL(url);
  if (database !== undefined) u.pathname = '/' + encodeURIComponent(database);
  if (password !== undefined) u.password = encodeURIComponent(password);
  return u.toString();
}

/** The database named in the connection does not exist: kinds inside it are then absent, not failing. */
export class DatabaseMissing extends ProviderError {}

/**
 * Runs `fn` with a pooled client of `database` (the URL's when undefined).
 * A server that cannot be reached, refuses the login or lacks the database
 * gives a ProviderError naming spec.connection (or `databaseField`).
 */
export async function withClient<T>(
  conn: PgConnection,
  database: string | undefined,
  fn: (client: pg.PoolClient) => Promise<T>,
  databaseField = 'spec.database',
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await poolFor(conn, database).connect();
  } catch (err) {
    throw connectError(err, conn, database, databaseField);
  }
  let broken = false;
  try {
    return await fn(client);
  } catch (err) {
    broken = isConnectionLoss(err);
    if (broken) throw connectError(err, conn, database, databaseField);
    throw err;
  } finally {
    client.release(broken);
  }
}

/** What the kinds query through: a pooled client. */
export type Queryable = pg.PoolClient;

/** Runs `fn` in one transaction: all of its statements take effect, or none. */
export async function inTransaction<T>(client: pg.PoolClient, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const out = await fn();
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

function isConnectionLoss(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return /^(08|57P)/.test(code) || /ECONNRESET|EPIPE|Connection terminated/.test(String(err));
}

function connectError(
  err: unknown,
  conn: PgConnection,
  database: string | undefined,
  databaseField: string,
): ProviderError {
  const e = err as { code?: string; message?: string };
  if (e.code === '3D000')
    return new DatabaseMissing(`database ${JSON.stringify(database)} does not exist on ${conn.label}`, {
      code: 'SETPOINT_POSTGRES_NO_DATABASE',
      field: databaseField,
      hint: 'declare it as a PostgresDatabase (it is then created first), or fix the name',
      cause: err,
    });
  const auth = e.code === '28P01' || e.code === '28000';
  return new ProviderError(`cannot connect to PostgreSQL at ${conn.label}: ${e.message ?? String(err)}`, {
    code: 'SETPOINT_POSTGRES_UNREACHABLE',
    field: auth && conn.password !== undefined ? 'spec.connection.passwordRef' : 'spec.connection',
    hint: auth
      ? 'check the user in spec.connection.url and the password its passwordRef gives (or PGUSER/PGPASSWORD)'
      : 'check that the server runs and spec.connection.url (or PGHOST/PGPORT) points at it',
    cause: err,
  });
}

/** Wraps a failed statement: the server's words, and a hint for the usual causes. Never includes the SQL. */
export function statementError(err: unknown, what: string, field: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as { code?: string; message?: string; detail?: string };
  const hint =
    e.code === '42501'
      ? 'connect as a role that may do this (a superuser, or one with CREATEROLE/CREATEDB or ownership)'
      : e.code === '2BP01'
        ? 'other objects depend on it: drop or reassign them first (REASSIGN OWNED / DROP OWNED for a role)'
        : e.code === '55006'
          ? 'other sessions are using it: end them first (pg_terminate_backend) and try again'
          : e.code === '42704' || e.code === '3F000' || e.code === '42P01' || e.code === '42883'
            ? 'declare what it refers to (it is then created first), or fix the name'
            : undefined;
  const detail = e.detail ? ` (${e.detail})` : '';
  return new ProviderError(`${what}: ${e.message ?? String(err)}${detail}`, {
    code: 'SETPOINT_POSTGRES_FAILED',
    field,
    hint,
    cause: err,
  });
}

/** Ends every pooled connection (tests, and serve's shutdown). */
export async function closePools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.end().catch(() => undefined)));
}

/**
 * Runs one DROP statement in `database` (the server's default one when undefined). Inside a
 * database that no longer exists there is nothing left to drop.
 */
export async function dropObject(
  conn: PgConnection,
  database: string | undefined,
  statement: string,
  what: string,
): Promise<void> {
  try {
    await withClient(conn, database, async (c) => {
      try {
        await c.query(statement);
      } catch (err) {
        throw statementError(err, `dropping ${what}`, 'spec.ensure');
      }
    });
  } catch (err) {
    if (!(err instanceof DatabaseMissing)) throw err;
  }
}

/** Reads inside `database`; a database that does not exist yet holds nothing (undefined). */
export async function readIn<T>(
  conn: PgConnection,
  database: string,
  read: (client: Queryable) => Promise<T | undefined>,
): Promise<T | undefined> {
  try {
    return await withClient(conn, database, read);
  } catch (err) {
    if (err instanceof DatabaseMissing) return undefined;
    throw err;
  }
}
