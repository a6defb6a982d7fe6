/**
 * The PostgreSQL kinds end to end through the CLI against one real
 * PostgreSQL 15: a small project with a role, a database, a schema, an
 * extension and grants is planned, applied, found in sync on the second run,
 * hand changes are reported as drift and repaired, and removing the manifests
 * (`apply --prune`) drops it all again. The connection comes from the PG*
 * variables, as psql's does.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { exited, sandbox, type CliOptions, type Sandbox } from './helpers.js';
import { postgresUnavailable, TestPostgres } from './support/postgres.js';
import { psql } from './support/psql.js';

let server: TestPostgres;
let s: Sandbox;
let env: Record<string, string>;
const sql = (text: string, db = 'postgres') => psql(server, text, db);
// The server runs beside this process: the CLI must not block its event loop.
const run = (args: string[], options: CliOptions = {}) => exited(s.spawn(args, { env, ...options }));

const PROJECT = `kind: PostgresRole
metadata: { name: sp_app }
spec: { login: true, connectionLimit: 5 }
---
kind: PostgresRole
metadata: { name: sp_reader }
---
kind: PostgresDatabase
metadata: { name: sp_appdb }
spec: { owner: sp_app, encoding: UTF8 }
---
kind: PostgresSchema
metadata: { name: billing }
spec: { database: sp_appdb, owner: sp_app }
---
kind: PostgresExtension
metadata: { name: pgcrypto }
spec: { database: sp_appdb, schema: billing }
---
kind: PostgresGrant
metadata: { name: reader-connect }
spec: { role: sp_reader, database: sp_appdb, objectType: database, privileges: [CONNECT] }
---
kind: PostgresGrant
metadata: { name: reader-billing }
spec: { role: sp_reader, database: sp_appdb, objectType: schema, schema: billing, privileges: [USAGE] }
`;

/** What the catalogs say about everything the project manages, one line per fact. */
function catalog(): string {
  const roles = sql(
    `SELECT rolname || ' login=' || rolcanlogin || ' limit=' || rolconnlimit FROM pg_roles
     WHERE rolname LIKE 'sp\\_%' ORDER BY 1`,
  );
  const dbs = sql(
    `SELECT datname || ' owner=' || pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'sp_appdb'`,
  );
  if (!dbs) return [roles, 'no database'].filter(Boolean).join('\n');
  const inDb = sql(
    `SELECT 'schema ' || nspname || ' owner=' || pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'billing'
     UNION ALL SELECT 'extension ' || extname || ' in ' || extnamespace::regnamespace FROM pg_extension WHERE extname = 'pgcrypto'
     UNION ALL SELECT 'reader usage=' || has_schema_privilege('sp_reader', 'billing', 'USAGE')
     UNION ALL SELECT 'reader connect=' || (datacl::text LIKE '%sp_reader=c/%') FROM pg_database WHERE datname = 'sp_appdb'`,
    'sp_appdb',
  );
  return [roles, dbs, inDb].join('\n');
}

const CONVERGED = [
  'sp_app login=true limit=5',
  'sp_reader login=false limit=-1',
  'sp_appdb owner=sp_app',
  'schema billing owner=sp_app',
  'extension pgcrypto in billing',
  'reader usage=true',
  'reader connect=true',
].join('\n');

before(async () => {
  if (postgresUnavailable) return;
  server = await TestPostgres.start();
  env = { PGHOST: '127.0.0.1', PGPORT: String(server.port), PGUSER: 'postgres', PGDATABASE: 'postgres' };
  s = sandbox('setpoint-pg-kinds-');
  s.write({ 'm/db.yaml': PROJECT });
});
after(async () => {
  await server?.stop();
});

describe('PostgreSQL kinds through the CLI', { skip: postgresUnavailable ?? false }, () => {
  it('plans the creates, applies them, and finds nothing to do on the second run', async () => {
    const plan = await run(['plan', '-f', 'm', '--detailed-exitcode']);
    assert.equal(plan.code, 2, plan.stdout + plan.stderr);
    for (const id of [
      'PostgresRole/default/sp_app',
      'PostgresDatabase/default/sp_appdb',
      'PostgresGrant/default/reader-billing',
    ])
      assert.match(plan.stdout, new RegExp(`\\+ ${id}`));
    assert.match(plan.stdout, /7 to create/);

    const applied = await run(['apply', '-f', 'm', '--yes']);
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    assert.equal(catalog(), CONVERGED);

    const again = await run(['plan', '-f', 'm', '--detailed-exitcode']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    const noop = await run(['apply', '-f', 'm', '--yes']);
    assert.equal(noop.code, 0, noop.stdout + noop.stderr);
    assert.match(noop.stdout, /changed: 0 .*in sync: 7/);
  });

  it('reports hand changes as drift and repairs them', async () => {
    sql('ALTER ROLE sp_app CONNECTION LIMIT 1');
    sql('ALTER SCHEMA billing OWNER TO postgres; REVOKE USAGE ON SCHEMA billing FROM sp_reader', 'sp_appdb');
    const drift = await run(['drift', '-f', 'm']);
    assert.equal(drift.code, 2, drift.stdout + drift.stderr);
    assert.match(drift.stdout, /PostgresRole\/default\/sp_app/);
    assert.match(drift.stdout, /PostgresSchema\/default\/billing/);
    assert.match(drift.stdout, /PostgresGrant\/default\/reader-billing/);
    assert.doesNotMatch(drift.stdout, /PostgresExtension/);

    const repaired = await run(['apply', '-f', 'm', '--yes']);
    assert.equal(repaired.code, 0, repaired.stdout + repaired.stderr);
    assert.equal(catalog(), CONVERGED);
    const clean = await run(['drift', '-f', 'm']);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  });

  it('drops everything when the manifests are removed and pruned', async () => {
    rmSync(s.path('m', 'db.yaml'));
    s.write({ 'm/.keep.yaml': '' });
    const plan = await run(['plan', '-f', 'm', '--prune']);
    assert.match(plan.stdout, /- PostgresDatabase\/default\/sp_appdb/);
    const pruned = await run(['apply', '-f', 'm', '--prune', '--yes']);
    assert.equal(pruned.code, 0, pruned.stdout + pruned.stderr);
    assert.equal(catalog(), 'no database');
  });
});
