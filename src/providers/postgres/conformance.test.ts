/**
 * The shared conformance suite for the five PostgreSQL kinds, against one
 * real PostgreSQL 15 started for this file. Hand changes are made with psql,
 * as an operator would; each case starts from a reset server state.
 */
import { after, before } from 'node:test';
import { runConformance, type ConformanceSuite } from '../../provider/conformance.js';
import { postgresUnavailable, TestPostgres } from '../../../test/support/postgres.js';
import { closePools } from './connection.js';
import {
  postgresDatabaseProvider,
  postgresExtensionProvider,
  postgresGrantProvider,
  postgresRoleProvider,
  postgresSchemaProvider,
} from './index.js';
import { psql } from '../../../test/support/psql.js';

let server: TestPostgres | undefined;
before(async () => {
  if (postgresUnavailable) return;
  server = await TestPostgres.start();
  // Objects the suites build on, made once.
  sql(`CREATE ROLE sp_owner; CREATE ROLE sp_group; CREATE ROLE sp_reader`);
  sql(`CREATE DATABASE sp_sdb; CREATE DATABASE sp_edb; CREATE DATABASE sp_gdb`);
  sql(`CREATE SCHEMA ext_a; CREATE SCHEMA ext_b`, 'sp_edb');
  sql(
    `CREATE SCHEMA app; CREATE TABLE app.t1 (id int); CREATE TABLE app.t2 (id int);
     CREATE SEQUENCE app.s1; CREATE FUNCTION app.add(a int, b int) RETURNS int LANGUAGE sql AS 'select a + b'`,
    'sp_gdb',
  );
});
after(async () => {
  await closePools();
  await server?.stop();
});

const url = () => server!.url();
const sql = (text: string, db = 'postgres'): void => void psql(server!, text, db);
const skipAll = (reason: string) => ({
  create: reason,
  'no-op': reason,
  delete: reason,
  drift: reason,
  repair: reason,
  'failed apply': reason,
});
const skip = postgresUnavailable ? skipAll(postgresUnavailable) : {};
const PASSWORD = 'correct horse battery staple';

function suite<S, A, D>(s: ConformanceSuite<S, A, D>): void {
  runConformance({
    ...s,
    skip: { ...skip, ...s.skip },
    reset: postgresUnavailable ? undefined : () => s.reset?.(),
  });
}

suite({
  provider: postgresRoleProvider,
  validSpec: () => ({
    name: 'sp_role',
    login: true,
    createdb: true,
    connectionLimit: 5,
    memberOf: ['sp_group'],
    password: { secretRef: { env: 'SP_PASSWORD' } },
    connection: { url: url() },
  }),
  createFields: ['spec.ensure', 'spec.password'],
  harness: { env: { SP_PASSWORD: PASSWORD } },
  reset: () => sql(`DROP ROLE IF EXISTS sp_role; DROP ROLE IF EXISTS sp_missing`),
  drifts: [
    {
      name: 'login revoked by hand',
      breakState: () => sql('ALTER ROLE sp_role NOLOGIN'),
      fields: ['spec.login'],
    },
    {
      name: 'superuser granted by hand',
      breakState: () => sql('ALTER ROLE sp_role SUPERUSER'),
      fields: ['spec.superuser'],
    },
    {
      name: 'password changed by hand',
      breakState: () => sql(`ALTER ROLE sp_role PASSWORD 'something else'`),
      fields: ['spec.password'],
    },
    {
      name: 'connection limit changed by hand',
      breakState: () => sql('ALTER ROLE sp_role CONNECTION LIMIT 50'),
      fields: ['spec.connectionLimit'],
    },
    {
      name: 'membership revoked by hand',
      breakState: () => sql('REVOKE sp_group FROM sp_role'),
      fields: ['spec.memberOf'],
    },
    {
      name: 'role dropped by hand',
      breakState: () => sql('DROP ROLE sp_role'),
      fields: ['spec.ensure', 'spec.password'],
    },
  ],
  badSpecs: [
    { name: 'a reserved pg_ name', spec: () => ({ name: 'pg_mine' }), field: 'spec.name' },
    {
      name: 'a connection limit below -1',
      spec: () => ({ connectionLimit: -2 }),
      field: 'spec.connectionLimit',
    },
    { name: 'a plain-text password', spec: () => ({ password: 'hunter2' }), field: 'spec.password' },
    {
      name: 'a password inside the URL',
      spec: () => ({ connection: { url: 'postgres://admin:hunter2@db/postgres' } }),
      field: 'spec.connection.url',
    },
    { name: 'an unknown field', spec: () => ({ superUser: true }), field: 'spec.superUser' },
  ],
  failure: {
    start: 'absent',
    update: (raw) => ({ ...raw, memberOf: ['sp_group', 'sp_missing'] }),
    // The membership fails after CREATE ROLE: the transaction takes the role back too.
    breakApply: () => () => sql('CREATE ROLE sp_missing'),
    field: 'spec.memberOf',
  },
});

suite({
  provider: postgresDatabaseProvider,
  validSpec: () => ({
    name: 'sp_db',
    owner: 'sp_owner',
    encoding: 'UTF8',
    locale: 'C.UTF-8',
    connectionLimit: 10,
    connection: { url: url() },
  }),
  createFields: ['spec.ensure'],
  reset: () => sql('DROP DATABASE IF EXISTS sp_db; DROP ROLE IF EXISTS sp_nobody'),
  drifts: [
    {
      name: 'owner changed by hand',
      breakState: () => sql('ALTER DATABASE sp_db OWNER TO postgres'),
      fields: ['spec.owner'],
    },
    {
      name: 'connection limit changed by hand',
      breakState: () => sql('ALTER DATABASE sp_db CONNECTION LIMIT 3'),
      fields: ['spec.connectionLimit'],
    },
    {
      name: 'database dropped by hand',
      breakState: () => sql('DROP DATABASE sp_db'),
      fields: ['spec.ensure'],
    },
  ],
  badSpecs: [
    { name: 'an encoding with a space', spec: () => ({ encoding: 'UTF 8' }), field: 'spec.encoding' },
    {
      name: 'a connection limit that is text',
      spec: () => ({ connectionLimit: 'ten' }),
      field: 'spec.connectionLimit',
    },
    { name: 'a name over 63 bytes', spec: () => ({ name: 'd'.repeat(64) }), field: 'spec.name' },
  ],
  failure: {
    start: 'absent',
    update: (raw) => ({ ...raw, owner: 'sp_nobody' }),
    breakApply: () => () => sql('CREATE ROLE sp_nobody'),
    field: 'spec.owner',
  },
});

suite({
  provider: postgresSchemaProvider,
  validSpec: () => ({ name: 'sp_schema', database: 'sp_sdb', owner: 'sp_owner', connection: { url: url() } }),
  createFields: ['spec.ensure'],
  reset: () => {
    sql('DROP SCHEMA IF EXISTS sp_schema', 'sp_sdb');
    sql('DROP ROLE IF EXISTS sp_nobody');
  },
  drifts: [
    {
      name: 'owner changed by hand',
      breakState: () => sql('ALTER SCHEMA sp_schema OWNER TO postgres', 'sp_sdb'),
      fields: ['spec.owner'],
    },
    {
      name: 'schema dropped by hand',
      breakState: () => sql('DROP SCHEMA sp_schema', 'sp_sdb'),
      fields: ['spec.ensure'],
    },
  ],
  badSpecs: [
    { name: 'no database', spec: () => ({ name: 'x' }), field: 'spec.database' },
    { name: 'an owner that is a number', spec: () => ({ database: 'd', owner: 7 }), field: 'spec.owner' },
  ],
  failure: {
    start: 'present',
    update: (raw) => ({ ...raw, owner: 'sp_nobody' }),
    breakApply: () => () => sql('CREATE ROLE sp_nobody'),
    field: 'spec.owner',
  },
});

suite({
  provider: postgresExtensionProvider,
  validSpec: () => ({
    name: 'hstore',
    database: 'sp_edb',
    schema: 'ext_a',
    version: '1.7',
    connection: { url: url() },
  }),
  createFields: ['spec.ensure'],
  reset: () => sql('DROP EXTENSION IF EXISTS hstore; DROP SCHEMA IF EXISTS ext_missing', 'sp_edb'),
  drifts: [
    {
      name: 'moved to another schema by hand',
      breakState: () => sql('ALTER EXTENSION hstore SET SCHEMA ext_b', 'sp_edb'),
      fields: ['spec.schema'],
    },
    {
      name: 'dropped by hand',
      breakState: () => sql('DROP EXTENSION hstore', 'sp_edb'),
      fields: ['spec.ensure'],
    },
  ],
  badSpecs: [
    {
      name: 'a version with a space',
      spec: () => ({ database: 'd', version: '1 7' }),
      field: 'spec.version',
    },
    { name: 'no database', spec: () => ({ name: 'hstore' }), field: 'spec.database' },
  ],
  failure: {
    start: 'absent',
    update: (raw) => ({ ...raw, schema: 'ext_missing' }),
    breakApply: () => () => sql('CREATE SCHEMA ext_missing', 'sp_edb'),
    field: 'spec.schema',
  },
});

suite({
  provider: postgresGrantProvider,
  validSpec: () => ({
    role: 'sp_reader',
    database: 'sp_gdb',
    objectType: 'table',
    schema: 'app',
    privileges: ['select', 'INSERT'],
    connection: { url: url() },
  }),
  createFields: ['spec.ensure'],
  reset: () =>
    sql('REVOKE ALL ON ALL TABLES IN SCHEMA app FROM sp_reader; DROP TABLE IF EXISTS app.nope', 'sp_gdb'),
  drifts: [
    {
      name: 'a privilege revoked by hand',
      breakState: () => sql('REVOKE INSERT ON app.t1 FROM sp_reader', 'sp_gdb'),
      fields: ['spec.privileges'],
    },
    {
      name: 'an extra privilege granted by hand',
      breakState: () => sql('GRANT DELETE ON app.t2 TO sp_reader', 'sp_gdb'),
      fields: ['spec.privileges'],
    },
    {
      name: 'everything revoked by hand',
      breakState: () => sql('REVOKE ALL ON ALL TABLES IN SCHEMA app FROM sp_reader', 'sp_gdb'),
      fields: ['spec.ensure'],
    },
  ],
  badSpecs: [
    {
      name: 'a privilege tables do not have',
      spec: () => ({ role: 'r', database: 'd', objectType: 'table', privileges: ['EXECUTE'] }),
      field: 'spec.privileges',
    },
    {
      name: 'objects on a database grant',
      spec: () => ({
        role: 'r',
        database: 'd',
        objectType: 'database',
        objects: ['x'],
        privileges: ['CONNECT'],
      }),
      field: 'spec.objects',
    },
    {
      name: 'a schema grant without its schema',
      spec: () => ({ role: 'r', database: 'd', objectType: 'schema', privileges: ['USAGE'] }),
      field: 'spec.schema',
    },
    {
      name: 'an unknown object type',
      spec: () => ({ role: 'r', database: 'd', objectType: 'view', privileges: ['SELECT'] }),
      field: 'spec.objectType',
    },
  ],
  failure: {
    start: 'absent',
    update: (raw) => ({ ...raw, objects: ['t1', 'nope'] }),
    breakApply: () => () => sql('CREATE TABLE app.nope (id int)', 'sp_gdb'),
    field: 'spec.objects',
  },
});
