/**
 * PostgresSchema: a schema (namespace) in a database, and its owner.
 * Destroy is DROP SCHEMA ... RESTRICT: it fails, naming what is inside,
 * rather than dropping tables, so a delete never loses data.
 * A schema of a database that does not exist yet is absent (the database is
 * then created first when it is declared).
 */
import * as z from 'zod';
import type { Change } from '../../diff/index.js';
import type { Provider } from '../../provider/types.js';
import { EnsureSchema } from '../fs/index.js';
import { CREATE, field, nameOf, converged } from './common.js';
import {
  ConnectionSchema,
  IdentifierSchema,
  resolveConnection,
  statementError,
  withClient,
  type PgConnection,
  dropObject,
  readIn,
} from './connection.js';
import type { Queryable } from './connection.js';
import { ident } from './sql.js';

export const PostgresSchemaSpecSchema = z
  .strictObject({
    name: IdentifierSchema.optional().describe('The schema name. Defaults to metadata.name.'),
    database: IdentifierSchema.describe('The database it is in.'),
    owner: IdentifierSchema.optional().describe(
      'The owning role. Defaults to the connecting role at create; unset: not managed after.',
    ),
    connection: ConnectionSchema.optional(),
    ensure: EnsureSchema,
  })
  .describe('A PostgreSQL schema in a database, and its owner.');

export type PostgresSchemaSpec = z.infer<typeof PostgresSchemaSpecSchema>;

export interface PostgresSchemaDesired {
  spec: PostgresSchemaSpec;
  name: string;
  conn: PgConnection;
}

export interface PostgresSchemaActual {
  owner: string;
}

export const postgresSchemaProvider: Provider<
  PostgresSchemaSpec,
  PostgresSchemaActual,
  PostgresSchemaDesired
> = {
  kind: 'PostgresSchema',
  description: 'A PostgreSQL schema in a database, and its owner.',
  schema: PostgresSchemaSpecSchema,
  concurrency: 4,

  async resolve(spec, ctx) {
    return { spec, name: nameOf(spec, ctx), conn: await resolveConnection(spec.connection, ctx) };
  },

  async observe(desired) {
    return readIn(desired.conn, desired.spec.database, (c) => observeSchema(c, desired.name));
  },

  diff(desired, actual) {
    if (!actual) return [CREATE];
    const changes: Change[] = [];
    field(changes, 'spec.owner', actual.owner, desired.spec.owner);
    return changes;
  },

  async apply(desired, actual) {
    const { spec, name } = desired;
    return withClient(desired.conn, spec.database, async (c) => {
      const now = actual ?? (await observeSchema(c, name));
      try {
        if (!now)
          await c.query(
            `CREATE SCHEMA ${ident(name)}${spec.owner !== undefined ? ` AUTHORIZATION ${ident(spec.owner)}` : ''}`,
          );
        else if (spec.owner !== undefined && now.owner !== spec.owner)
          await c.query(`ALTER SCHEMA ${ident(name)} OWNER TO ${ident(spec.owner)}`);
      } catch (err) {
        const code = (err as { code?: string }).code;
        throw statementError(
          err,
          `${now ? 'changing' : 'creating'} schema ${name} in ${spec.database}`,
          code === '42704' ? 'spec.owner' : 'spec.name',
        );
      }
      return converged(`schema ${name}`, await observeSchema(c, name));
    });
  },

  async destroy(desired) {
    await dropObject(
      desired.conn,
      desired.spec.database,
      `DROP SCHEMA IF EXISTS ${ident(desired.name)} RESTRICT`,
      `schema ${desired.name}`,
    );
  },

  // RESTRICT: a schema that holds anything is not dropped.
  isDestructive: () => false,

  display: (desired, actual) => ({ name: desired.name, database: desired.spec.database, ...actual }),
};

async function observeSchema(c: Queryable, name: string): Promise<PostgresSchemaActual | undefined> {
  const { rows } = await c
    .query<PostgresSchemaActual>(
      'select pg_get_userbyid(nspowner)::text as owner from pg_namespace where nspname = $1',
      [name],
    )
    .catch((err: unknown) => {
      throw statementError(err, `reading schema ${name}`, 'spec.connection');
    });
  return rows[0];
}
