/**
 * PostgresExtension: an extension installed in a database, in a schema, at
 * a version. A version change is ALTER EXTENSION ... UPDATE TO (PostgreSQL
 * has no downgrade scripts for most extensions: a lower version fails with
 * the server's words); a schema change is ALTER EXTENSION ... SET SCHEMA.
 * Destroy is DROP EXTENSION ... RESTRICT: it fails while columns or
 * functions use it, so a delete never loses data.
 */
import * as z from 'zod';
import type { Change } from '../../diff/index.js';
import { ProviderError } from '../../provider/errors.js';
import type { Provider } from '../../provider/types.js';
import { EnsureSchema } from '../fs/index.js';
import { CREATE, field, nameOf, converged } from './common.js';
import {
  ConnectionSchema,
  IdentifierSchema,
  inTransaction,
  resolveConnection,
  statementError,
  withClient,
  type PgConnection,
  dropObject,
  readIn,
} from './connection.js';
import type { Queryable } from './connection.js';
import { ident, literal } from './sql.js';

export const PostgresExtensionSpecSchema = z
  .strictObject({
    name: IdentifierSchema.optional().describe('The extension, e.g. pgcrypto. Defaults to metadata.name.'),
    database: IdentifierSchema.describe('The database it is installed in.'),
    schema: IdentifierSchema.optional().describe(
      'The schema its objects go in. Defaults to the first of the search path at create; unset: not managed after.',
    ),
    version: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'a version such as 1.3')
      .optional()
      .describe('The version. Defaults to the default version at create; unset: not managed after.'),
    connection: ConnectionSchema.optional(),
    ensure: EnsureSchema,
  })
  .describe('A PostgreSQL extension in a database: schema and version.');

export type PostgresExtensionSpec = z.infer<typeof PostgresExtensionSpecSchema>;

export interface PostgresExtensionDesired {
  spec: PostgresExtensionSpec;
  name: string;
  conn: PgConnection;
}

export interface PostgresExtensionActual {
  schema: string;
  version: string;
}

export const postgresExtensionProvider: Provider<
  PostgresExtensionSpec,
  PostgresExtensionActual,
  PostgresExtensionDesired
> = {
  kind: 'PostgresExtension',
  description: 'A PostgreSQL extension in a database: schema and version.',
  schema: PostgresExtensionSpecSchema,
  concurrency: 2,

  async resolve(spec, ctx) {
    return { spec, name: nameOf(spec, ctx), conn: await resolveConnection(spec.connection, ctx) };
  },

  async observe(desired) {
    return readIn(desired.conn, desired.spec.database, (c) => observeExtension(c, desired.name));
  },

  diff(desired, actual) {
    if (!actual) return [CREATE];
    const changes: Change[] = [];
    field(changes, 'spec.schema', actual.schema, desired.spec.schema);
    field(changes, 'spec.version', actual.version, desired.spec.version);
    return changes;
  },

  async apply(desired, actual) {
    const { spec, name } = desired;
    const ext = ident(name);
    return withClient(desired.conn, spec.database, async (c) => {
      const now = actual ?? (await observeExtension(c, name));
      const run = async (sql: string, what: string, fieldPath: string) => {
        try {
          await c.query(sql);
        } catch (err) {
          const code = (err as { code?: string }).code;
          // 58P01: no control file, i.e. the extension is not installed on the server.
          const hint =
            code === '58P01'
              ? `the server has no extension ${name}: install the package that ships it (e.g. postgresql-contrib)`
              : undefined;
          const at = code === '58P01' ? 'spec.name' : code === '3F000' ? 'spec.schema' : fieldPath;
          const wrapped = statementError(err, `${what} extension ${name} in ${spec.database}`, at);
          throw hint ? new ProviderError(wrapped.message, { ...wrapped.options, hint }) : wrapped;
        }
      };
      await inTransaction(c, async () => {
        if (!now) {
          const schema = spec.schema !== undefined ? ` SCHEMA ${ident(spec.schema)}` : '';
          const version = spec.version !== undefined ? ` VERSION ${literal(spec.version)}` : '';
          await run(`CREATE EXTENSION ${ext}${schema}${version}`, 'creating', createField(spec));
          return;
        }
        if (spec.version !== undefined && now.version !== spec.version)
          await run(`ALTER EXTENSION ${ext} UPDATE TO ${literal(spec.version)}`, 'updating', 'spec.version');
        if (spec.schema !== undefined && now.schema !== spec.schema)
          await run(`ALTER EXTENSION ${ext} SET SCHEMA ${ident(spec.schema)}`, 'moving', 'spec.schema');
      });
      return converged(`extension ${name}`, await observeExtension(c, name));
    });
  },

  async destroy(desired) {
    await dropObject(
      desired.conn,
      desired.spec.database,
      `DROP EXTENSION IF EXISTS ${ident(desired.name)} RESTRICT`,
      `extension ${desired.name}`,
    );
  },

  // RESTRICT: an extension something depends on is not dropped.
  isDestructive: () => false,

  display: (desired, actual) => ({ name: desired.name, database: desired.spec.database, ...actual }),
};

/** A failed CREATE EXTENSION is about the version when one is asked for and the name otherwise. */
function createField(spec: PostgresExtensionSpec): string {
  return spec.version !== undefined ? 'spec.version' : 'spec.name';
}

async function observeExtension(c: Queryable, name: string): Promise<PostgresExtensionActual | undefined> {
  const { rows } = await c
    .query<PostgresExtensionActual>(
      `select n.nspname::text as schema, e.extversion::text as version
       from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = $1`,
      [name],
    )
    .catch((err: unknown) => {
      throw statementError(err, `reading extension ${name}`, 'spec.connection');
    });
  return rows[0];
}
