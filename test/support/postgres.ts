/**
 * A throwaway PostgreSQL 15 for tests: one server per test file (initdb into
 * a temp folder, started as the `postgres` user when running as root), a
 * fresh database per test (CREATE DATABASE), stopped when the file ends.
 * Where the server binaries are not installed, `postgresUnavailable` says
 * why, and the tests that need it skip with that reason.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const PG_BIN = process.env.SETPOINT_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export const postgresUnavailable: string | undefined = existsSync(join(PG_BIN, 'postgres'))
  ? undefined
  : `PostgreSQL 15 is not installed (${PG_BIN}/postgres is missing; apt-get install postgresql-15)`;

export class TestPostgres {
  private proc: ChildProcess | undefined;
  private dbCount = 0;
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly owner: { uid: number; gid: number } | undefined,
  ) {}

  /** Initialises and starts a server on a free port. */
  static async start(): Promise<TestPostgres> {
    if (postgresUnavailable) throw new Error(postgresUnavailable);
    const dir = mkdtempSync(join(tmpdir(), 'setpoint-pg-'));
    // postgres and initdb refuse to run as root: run them as the postgres user.
    const owner =
      process.getuid?.() === 0
        ? {
            uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
            gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
          }
        : undefined;
    if (owner) chownSync(dir, owner.uid, owner.gid);
    execFileSync(
      join(PG_BIN, 'initdb'),
      [
        '-D',
        join(dir, 'data'),
        '-U',
        'postgres',
        '--auth=trust',
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
        '--no-sync',
      ],
      { stdio: 'ignore', ...owner },
    );
    const server = new TestPostgres(dir, 20_000 + Math.floor(Math.random() * 20_000), owner);
    await server.startServer();
    return server;
  }

  /** The URL of the server's `postgres` database, or of `database`. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** A new empty database; its URL. */
  async createDatabase(): Promise<string> {
    const name = `t${process.pid}_${++this.dbCount}`;
    const client = new pg.Client({ connectionString: this.url() });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }

  /**
   * A login role that must give `password` (scram-sha-256) over TCP; every
   * other user keeps trust. Returns its URL (without the password) for `database`.
   */
  async passwordRole(role: string, password: string, database = 'postgres'): Promise<string> {
    const client = new pg.Client({ connectionString: this.url() });
    await client.connect();
    try {
      await client.query(`CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${password.replace(/'/g, "''")}'`);
      // The first matching line wins: this one before the trust lines of initdb.
      const hba = join(this.dir, 'data', 'pg_hba.conf');
      writeFileSync(hba, `host all ${role} 127.0.0.1/32 scram-sha-256\n` + readFileSync(hba, 'utf8'));
      await client.query('SELECT pg_reload_conf()');
    } finally {
      await client.end();
    }
    const url = `postgres://${role}@127.0.0.1:${this.port}/${database}`;
    // The reload is asynchronous: wait until the role is asked for its password.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = new pg.Client({ connectionString: url.replace('@', ':not-the-password@') });
      const refused = await probe.connect().then(
        () => false,
        (err: { code?: string }) => err.code === '28P01',
      );
      await probe.end().catch(() => undefined);
      if (refused) return url;
      if (Date.now() > deadline) throw new Error(`${role} still logs in without its password`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Starts the server (again, after stop()) and waits until it accepts connections. */
  async startServer(): Promise<void> {
    this.proc = spawn(
      join(PG_BIN, 'postgres'),
      [
        '-D',
        join(this.dir, 'data'),
        '-k',
        this.dir,
        '-p',
        String(this.port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=200',
      ],
      { stdio: 'ignore', ...this.owner },
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      const client = new pg.Client({ connectionString: this.url() });
      try {
        await client.connect();
        await client.end();
        return;
      } catch (err) {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline || this.proc.exitCode !== null) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Fast shutdown (SIGINT); resolves once the server process has exited. */
  async stopServer(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGINT');
    await exited;
  }

  /** Stops the server and removes its files. */
  async stop(): Promise<void> {
    await this.stopServer();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
