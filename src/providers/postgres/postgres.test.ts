/**
 * What only the PostgreSQL kinds do, against one real PostgreSQL 15: role
 * passwords (a login with the secret works, the secret shows nowhere, a hand
 * change is drift), the connection (passwordRef, PG* variables, a clear
 * error when unreachable or refused), grants on every object type, encoding
 * fixed at create, and names that try to inject SQL.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createSandbox, Harness } from '../../provider/conformance.js';
import { ProviderError } from '../../provider/errors.js';
import type { Provider } from '../../provider/types.js';
import { postgresUnavailable, TestPostgres } from '../../../test/support/postgres.js';
import { psql } from '../../../test/support/psql.js';
import { closePools } from './connection.js';
import {
  passwordMatches,
  postgresDatabaseProvider,
  postgresGrantProvider,
  postgresRoleProvider,
  scramVerifier,
} from './index.js';

const skip = postgresUnavailable ?? false;
let server: TestPostgres;
const sql = (text: string, db = 'postgres') => psql(server, text, db);
const SECRET = 'n0t-in-any-log';

before(async () => {
  if (postgresUnavailable) return;
  server = await TestPostgres.start();
  // Password logins for two roles (everyone else keeps trust), as a real server would have.
  const hba = join(server.dir, 'data', 'pg_hba.conf');
  writeFileSync(
    hba,
    `host all sp_login1,sp_login_admin 127.0.0.1/32 scram-sha-256\n${readFileSync(hba, 'utf8')}`,
  );
  appendFileSync(join(server.dir, 'data', 'postgresql.conf'), "\npassword_encryption = 'scram-sha-256'\n");
  sql('SELECT pg_reload_conf()');
  sql('CREATE DATABASE sp_gdb');
  sql(
    `CREATE ROLE sp_reader; CREATE SCHEMA app; CREATE SEQUENCE app.s1;
     CREATE FUNCTION app.add(a int, b int) RETURNS int LANGUAGE sql AS 'select a + b'`,
    'sp_gdb',
  );
});
after(async () => {
  await closePools();
  await server?.stop();
});

function harness<S, A, D>(provider: Provider<S, A, D>, env: NodeJS.ProcessEnv = {}) {
  const sandbox = createSandbox();
  return { h: new Harness(provider, sandbox, { env }), done: () => sandbox.dispose() };
}

async function canLogin(user: string, password: string): Promise<boolean> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: server.port,
    user,
    password,
    database: 'postgres',
  });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('PostgresRole password', { skip }, () => {
  it('sets a password a login accepts, shows it nowhere, and repairs a hand change', async () => {
    const { h, done } = harness(postgresRoleProvider, { PW: SECRET });
    try {
      const spec = {
        name: 'sp_login1',
        login: true,
        password: { secretRef: { env: 'PW' } },
        connection: { url: server.url() },
      };
      const r = await h.load(spec);
      const plan = h.diff(r, undefined);
      assert.deepEqual(plan, [
        { path: 'spec.ensure', old: 'absent', new: 'present' },
        { path: 'spec.password', sensitive: true },
      ]);
      const { actual } = await h.converge(spec);
      assert.ok(await canLogin('sp_login1', SECRET), 'the secret logs in');
      assert.ok(!(await canLogin('sp_login1', 'wrong')), 'another password does not');
      const stored = sql(`select rolpassword from pg_authid where rolname = 'sp_login1'`);
      assert.match(stored, /^SCRAM-SHA-256\$4096:/, 'PostgreSQL holds a verifier');
      for (const shown of [plan, actual, postgresRoleProvider.display!(r.desired, actual), h.events])
        assert.doesNotMatch(JSON.stringify(shown), new RegExp(SECRET));

      sql(`ALTER ROLE sp_login1 PASSWORD 'changed by hand'`);
      const fresh = await h.load(spec);
      assert.deepEqual(h.diff(fresh, await h.observe(fresh)), [{ path: 'spec.password', sensitive: true }]);
      await h.apply(fresh, await h.observe(fresh));
      assert.deepEqual(h.diff(fresh, await h.observe(fresh)), []);
      assert.ok(await canLogin('sp_login1', SECRET));
    } finally {
      done();
    }
  });

  it('checks SCRAM and md5 verifiers the way a login does', () => {
    const verifier = scramVerifier(SECRET);
    assert.ok(passwordMatches(verifier, SECRET, 'r'));
    assert.ok(!passwordMatches(verifier, 'other', 'r'));
    sql(`SET password_encryption = 'md5'; CREATE ROLE sp_md5 PASSWORD '${SECRET}'`);
    const md5 = sql(`select rolpassword from pg_authid where rolname = 'sp_md5'`);
    assert.ok(passwordMatches(md5, SECRET, 'sp_md5'));
    assert.ok(!passwordMatches(md5, SECRET, 'someone_else'));
    const scram = sql(
      `CREATE ROLE sp_scram PASSWORD 'ünïcode pw'; select rolpassword from pg_authid where rolname = 'sp_scram'`,
    );
    assert.ok(passwordMatches(scram, 'ünïcode pw', 'sp_scram'), "the server's own verifier matches");
    assert.ok(!passwordMatches(null, SECRET, 'r'), 'no password never matches');
  });

  it('leaves no role behind when a later step of its creation fails', async () => {
    const { h, done } = harness(postgresRoleProvider);
    try {
      const r = await h.load({
        name: 'sp_half',
        memberOf: ['sp_no_such_group'],
        connection: { url: server.url() },
      });
      await assert.rejects(h.apply(r, undefined), (err: unknown) => {
        assert.ok(err instanceof ProviderError);
        assert.equal(err.field, 'spec.memberOf');
        return true;
      });
      assert.equal(sql(`select count(*) from pg_roles where rolname = 'sp_half'`), '0');
    } finally {
      done();
    }
  });
});

describe('connection', { skip }, () => {
  it('logs in with a passwordRef, and names passwordRef when the password is wrong, without showing it', async () => {
    sql(`CREATE ROLE sp_login_admin LOGIN CREATEROLE PASSWORD '${SECRET}'`);
    const url = `postgres://sp_login_admin@127.0.0.1:${server.port}/postgres`;
    const good = harness(postgresRoleProvider, { ADMIN_PW: SECRET, BAD_PW: 'wrong password' });
    try {
      const r = await good.h.load({
        name: 'sp_by_admin',
        connection: { url, passwordRef: { env: 'ADMIN_PW' } },
      });
      await good.h.apply(r, await good.h.observe(r));
      assert.equal(sql(`select count(*) from pg_roles where rolname = 'sp_by_admin'`), '1');
      const bad = await good.h.load({
        name: 'sp_by_admin',
        connection: { url, passwordRef: { env: 'BAD_PW' } },
      });
      await assert.rejects(good.h.observe(bad), (err: unknown) => {
        assert.ok(err instanceof ProviderError);
        assert.equal(err.code, 'SETPOINT_POSTGRES_UNREACHABLE');
        assert.equal(err.field, 'spec.connection.passwordRef');
        assert.match(err.message, /password authentication failed for user "sp_login_admin"/);
        assert.doesNotMatch(`${err.message} ${err.hint}`, /wrong password/);
        return true;
      });
    } finally {
      good.done();
    }
  });

  it('says clearly that a server cannot be reached, naming spec.connection', async () => {
    const { h, done } = harness(postgresRoleProvider);
    try {
      const r = await h.load({
        name: 'x',
        connection: { url: 'postgres://postgres@127.0.0.1:1/postgres', connectTimeout: '2s' },
      });
      await assert.rejects(h.observe(r), (err: unknown) => {
        assert.ok(err instanceof ProviderError);
        assert.equal(err.code, 'SETPOINT_POSTGRES_UNREACHABLE');
        assert.equal(err.field, 'spec.connection');
        assert.match(
          err.message,
          /cannot connect to PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/postgres: .*ECONNREFUSED/,
        );
        assert.match(err.hint ?? '', /server runs/);
        return true;
      });
    } finally {
      done();
    }
  });

  it('uses the PG* environment variables when no connection is given', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      PGHOST: '127.0.0.1',
      PGPORT: String(server.port),
      PGUSER: 'postgres',
      PGDATABASE: 'postgres',
    });
    const { h, done } = harness(postgresRoleProvider);
    try {
      const { actual } = await h.converge({ name: 'sp_from_env' });
      assert.equal(actual.login, false);
      assert.equal(sql(`select count(*) from pg_roles where rolname = 'sp_from_env'`), '1');
    } finally {
      process.env = saved;
      done();
    }
  });
});

describe('PostgresGrant on each object type', { skip }, () => {
  const cases = [
    {
      objectType: 'database',
      privileges: ['CONNECT', 'TEMP'],
      revoke: 'REVOKE TEMPORARY ON DATABASE sp_gdb FROM sp_reader',
    },
    {
      objectType: 'schema',
      schema: 'app',
      privileges: ['USAGE', 'CREATE'],
      revoke: 'REVOKE CREATE ON SCHEMA app FROM sp_reader',
    },
    {
      objectType: 'sequence',
      schema: 'app',
      objects: ['s1'],
      privileges: ['USAGE', 'SELECT'],
      revoke: 'REVOKE SELECT ON SEQUENCE app.s1 FROM sp_reader',
    },
    {
      objectType: 'function',
      schema: 'app',
      objects: ['add(integer,integer)'],
      privileges: ['EXECUTE'],
      revoke: 'REVOKE EXECUTE ON FUNCTION app.add(int, int) FROM sp_reader',
      // Its only privilege gone, the grant is absent.
      drift: 'spec.ensure',
    },
  ];
  for (const { revoke, drift: field = 'spec.privileges', ...c } of cases as Array<
    Record<string, unknown> & { revoke: string; drift?: string; objectType: string }
  >)
    it(`${c.objectType}: grants, finds a hand revoke, repairs it, revokes on destroy`, async () => {
      const { h, done } = harness(postgresGrantProvider);
      try {
        const spec = { role: 'sp_reader', database: 'sp_gdb', ...c, connection: { url: server.url() } };
        const { r, actual } = await h.converge(spec);
        assert.ok(Object.values(actual.privileges).every((p) => p.length > 0));
        sql(revoke, 'sp_gdb');
        const drift = h.diff(r, await h.observe(r));
        assert.deepEqual(
          drift.map((ch) => ch.path),
          [field],
        );
        const repaired = await h.apply(r, await h.observe(r));
        assert.deepEqual(h.diff(r, repaired), []);
        await h.destroy(r, repaired);
        assert.equal(await h.observe(r), undefined, 'destroy revokes every privilege it granted');
      } finally {
        done();
      }
    });
});

describe('PostgresDatabase encoding and locale', { skip }, () => {
  it('reports a different encoding as drift and refuses to change it, naming spec.encoding', async () => {
    sql(`CREATE DATABASE sp_ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
    const { h, done } = harness(postgresDatabaseProvider);
    try {
      const r = await h.load({ name: 'sp_ascii', encoding: 'utf-8', connection: { url: server.url() } });
      const actual = await h.observe(r);
      assert.deepEqual(h.diff(r, actual), [{ path: 'spec.encoding', old: 'SQL_ASCII', new: 'utf-8' }]);
      await assert.rejects(h.apply(r, actual), (err: unknown) => {
        assert.ok(err instanceof ProviderError);
        assert.equal(err.code, 'SETPOINT_POSTGRES_IMMUTABLE');
        assert.equal(err.field, 'spec.encoding');
        return true;
      });
      assert.equal(
        postgresDatabaseProvider.isDestructive!(r.desired, actual as NonNullable<typeof actual>),
        true,
        'a drop loses data',
      );
    } finally {
      done();
    }
  });
});

describe('names', { skip }, () => {
  it('are quoted: a name that tries to inject SQL is only a strange name', async () => {
    sql('CREATE ROLE sp_victim');
    const evil = 'x"; DROP ROLE sp_victim; --';
    const { h, done } = harness(postgresRoleProvider);
    try {
      const { r, actual } = await h.converge({ name: evil, connection: { url: server.url() } });
      assert.equal(
        sql(`select count(*) from pg_roles where rolname in ('sp_victim', 'x"; DROP ROLE sp_victim; --')`),
        '2',
      );
      await h.destroy(r, actual);
      assert.equal(sql(`select count(*) from pg_roles where rolname = 'sp_victim'`), '1');
    } finally {
      done();
    }
  });
});
