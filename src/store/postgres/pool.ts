/**
 * The PostgreSQL connection pool and the two ways the store uses it: reads
 * and transactions. Both ride out a server that is briefly away (a restart,
 * a failover): a connection that fails is dropped from the pool and the
 * work is retried on a fresh one until `unavailableAfterMs` has passed, then
 * it fails with a StoreError that names the server (never the password).
 * A transaction is retried only when it surely did not commit: a
 * serialization failure or deadlock, or a connection lost before COMMIT was
 * sent. A connection lost during COMMIT is reported, not retried, so a
 * write is never applied twice.
 */
import pg from 'pg';
import { StoreError } from '../errors.js';
import { redactUrl, serverOf } from './url.js';

export interface PgPoolOptions {
  /** Connections at most. Defaults to 10. */
  max?: number;
  /** A statement running longer is cancelled (PostgreSQL's statement_timeout). Defaults to 30000. */
  statementTimeoutMs?: number;
  /** How long to keep retrying while the server cannot be reached. Defaults to SETPOINT_STATE_RETRY_MS, else 10000. */
  unavailableAfterMs?: number;
  /** The password, when it does not come from the URL, PGPASSWORD or ~/.pgpass (a secretRef). */
  password?: string;
}

const INT8 = 20;
const SERIALIZATION_FAILURE = '40001';
const DEADLOCK = '40P01';

/** Errors that mean the connection (or the server) is gone, not that the statement was wrong. */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') {
    if (/^(ECONN|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ENOENT)/.test(code)) return true;
    // 08: connection exception; 57P01-03: admin/crash shutdown, cannot connect now.
    if (/^08|^57P0[123]$/.test(code)) return true;
  }
  const message = (err as Error | undefined)?.message ?? '';
  return /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|Client was closed/i.test(
    message,
  );
}

/**
 * The URL with the password as a parameter, for the driver only (never shown).
 * pg lets a connection string's fields override a separate `password` option,
 * and a URL without one still sets it to "", so the password must ride in the
 * string; as a parameter it fits every URL form, sockets included.
 */
function withPassword(url: string, password: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}password=${encodeURIComponent(password)}`;
}

/**
 * A client that closes its socket when it fails to connect. pg leaves it open
 * when the login fails on the client side (no password to answer the server's
 * SCRAM challenge): the server then waits for the answer up to its
 * authentication_timeout (60 s), and the process with it.
 */
class ClosingClient extends pg.Client {
  override connect(): Promise<pg.Client>;
  override connect(callback: (err: Error) => void): void;
  override connect(callback?: (err: Error) => void): Promise<pg.Client> | void {
    if (!callback) return super.connect();
    super.connect((err: Error) => {
      if (err)
        (this as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      callback(err);
    });
  }
}

/** Statements sent in one round trip with BEGIN and with COMMIT (simple protocol: no parameters). */
export interface TxOptions {
  begin?: (client: pg.PoolClient) => readonly string[];
  commit?: readonly string[];
}

export class PgPool {
  readonly pool: pg.Pool;
  /** The location without its password, for messages. */
  readonly shown: string;
  private readonly unavailableAfterMs: number;

  constructor(
    readonly url: string,
    options: PgPoolOptions = {},
  ) {
    this.shown = redactUrl(url);
    const fromEnv = Number(process.env.SETPOINT_STATE_RETRY_MS);
    this.unavailableAfterMs =
      options.unavailableAfterMs ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 10_000);
    this.pool = new pg.Pool({
      Client: ClosingClient,
      connectionString: options.password === undefined ? url : withPassword(url, options.password),
      max: options.max ?? 10,
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      idle_in_transaction_session_timeout: 60_000,
      connectionTimeoutMillis: 5_000,
      application_name: 'setpoint',
      // Sequence numbers and epoch milliseconds fit a double; the store speaks numbers, not strings.
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8
            ? (v: string) => Number(v)
            : (pg.types.getTypeParser(oid, format) as (v: string) => unknown)) as never,
      },
    });
    // An idle connection the server dropped (a restart) must not crash the process: the pool replaces it.
    this.pool.on('error', () => undefined);
    // A checked-out connection the server ends (a restart, an idle-in-transaction timeout) emits 'error' too;
    // the query in flight rejects with it, so the event itself must not reach the process as uncaught.
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  /** One statement outside a transaction (reads), retried while the server is away. */
  async query<R extends pg.QueryResultRow = Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
    const started = performance.now();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.pool.query<R>(sql, params);
      } catch (err) {
        if (!isConnectionError(err)) throw this.failure(err);
        await this.backoff(err, started, attempt);
      }
    }
  }

  /** Like query, with rows as arrays (no per-row object: for large, hot reads). */
  async queryArrays<R extends unknown[]>(sql: string, params: unknown[] = []): Promise<R[]> {
    const started = performance.now();
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.pool.query<R>({ text: sql, values: params, rowMode: 'array' })).rows;
      } catch (err) {
        if (!isConnectionError(err)) throw this.failure(err);
        await this.backoff(err, started, attempt);
      }
    }
  }

  /**
   * Runs `fn` in one transaction (see the file header for what is retried).
   * `begin` may add statements to BEGIN's round trip (their results go to
   * `fn`, BEGIN's own first), `commit` statements to COMMIT's: on a loaded
   * server each round trip costs more than the statements themselves.
   */
  async tx<T>(
    fn: (client: pg.PoolClient, begun: pg.QueryResult[]) => Promise<T>,
    options: TxOptions = {},
  ): Promise<T> {
    const started = performance.now();
    for (let attempt = 0; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        if (!isConnectionError(err)) throw this.failure(err);
        await this.backoff(err, started, attempt);
        continue;
      }
      let committing = false;
      try {
        const begin = ['BEGIN', ...(options.begin?.(client) ?? [])];
        const begun = (await client.query(begin.join('; '))) as unknown as pg.QueryResult | pg.QueryResult[];
        const out = await fn(client, Array.isArray(begun) ? begun : [begun]);
        committing = true;
        await client.query([...(options.commit ?? []), 'COMMIT'].join('; '));
        client.release();
        return out;
      } catch (err) {
        const broken = isConnectionError(err);
        if (!broken) await client.query('ROLLBACK').catch(() => undefined);
        client.release(broken ? (err as Error) : undefined);
        const code = (err as { code?: unknown }).code;
        if ((code === SERIALIZATION_FAILURE || code === DEADLOCK) && attempt < 20) {
          await sleep(Math.min(200, 5 * 2 ** attempt) * Math.random());
          continue;
        }
        if (broken && committing) throw this.unavailable(err, true);
        if (broken) {
          await this.backoff(err, started, attempt);
          continue;
        }
        throw this.failure(err);
      }
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** Waits before the next attempt, or throws once the server has been away too long. */
  private async backoff(err: unknown, started: number, attempt: number): Promise<void> {
    if (performance.now() - started >= this.unavailableAfterMs) throw this.unavailable(err, false);
    await sleep(Math.min(1000, 50 * 2 ** attempt));
  }

  private unavailable(err: unknown, duringCommit: boolean): StoreError {
    const detail = (err as Error).message || String((err as { code?: unknown }).code ?? err);
    return new StoreError(
      this.shown,
      'SETPOINT_STATE_UNAVAILABLE',
      `cannot reach the PostgreSQL server ${serverOf(this.url)} (${detail})`,
      duringCommit
        ? 'the connection broke while a write was being committed: it may or may not have been recorded; check `setpoint history` once the server is back'
        : `every write committed before this is kept; setpoint retried for ${Math.round(this.unavailableAfterMs / 1000)} s: check that PostgreSQL is running and reachable, then run again`,
      err,
    );
  }

  /** Errors PostgreSQL gives that people can act on, named with the server; others as they are. */
  private failure(err: unknown): unknown {
    const code = (err as { code?: unknown } | undefined)?.code;
    const message = (err as Error | undefined)?.message ?? String(err);
    // pg's own words when the server asks for a password and none was given.
    const noPassword = /client password must be a string/.test(message);
    if (code === '28P01' || code === '28000' || noPassword)
      return new StoreError(
        this.shown,
        'SETPOINT_STATE_UNAVAILABLE',
        `the PostgreSQL server ${serverOf(this.url)} refused the login (${noPassword ? 'it asks for a password and none was given' : message})`,
        'give the password by state.passwordRef in setpoint.yaml (env, file or command), PGPASSWORD or a ~/.pgpass file (PGPASSFILE), never in the URL',
        err,
      );
    if (code === '3D000')
      return new StoreError(
        this.shown,
        'SETPOINT_STATE_UNAVAILABLE',
        `the database does not exist on ${serverOf(this.url)} (${message})`,
        'create it first (createdb), then run again',
        err,
      );
    if (code === '57014')
      return new StoreError(
        this.shown,
        'SETPOINT_STATE_BUSY',
        `a statement ran past the statement timeout (${message})`,
        'the server is overloaded or a lock is held for long; run again',
        err,
      );
    if (code === '53100')
      return new StoreError(
        this.shown,
        'SETPOINT_STATE_FULL',
        `disk full (${message})`,
        'free space on the database server',
        err,
      );
    return err;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
