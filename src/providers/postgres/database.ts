/**
 * PostgresDatabase: a database with its owner, connection limit, and the
 * encoding, locale and template it is created with. Encoding and locale are
 * fixed at creation: a difference is reported as drift, and apply refuses
 * it with a hint rather than dropping data. Dropping a database loses its
 * data, so a delete is destructive (approval by default).
 * After a failed apply the database is as before (CREATE DATABASE is one
 * statement; owner and limit are changed in one transaction).
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
} from './connection.js';
import type { Queryable } from './connection.js';
import { ident, literal } from './sql.js';

const WORD = /^[A-Za-z0-9_.@-]+$/;

export const PostgresDatabaseSpecSchema = z
  .strictObject({
    name: IdentifierSchema.optional().describe('The database name. Defaults to metadata.name.'),
    owner: IdentifierSchema.optional().describe(
      'The owning role. Defaults to the connecting role at create; unset: not managed after.',
    ),
    encoding: z
      .string()
      .regex(WORD, 'an encoding name such as UTF8')
      .optional()
      .describe("Character encoding, fixed at create (e.g. UTF8). Defaults to the template's."),
    locale: z
      .string()
      .regex(WORD, 'a locale name such as C.UTF-8 or en_US.UTF-8')
      .optional()
      .describe(
        "Collation and character classes (LC_COLLATE, LC_CTYPE), fixed at create. Defaults to the template's.",
      ),
    template: IdentifierSchema.optional().describe(
      'The database copied at create. Defaults to template1, or template0 when encoding or locale is set.',
    ),
    connectionLimit: z
      .number()
      .int()
      .min(-1)
      .default(-1)
      .describe('Concurrent connections allowed; -1 is no limit. Defaults to -1.'),
    connection: ConnectionSchema.optional(),
    ensure: EnsureSchema,
  })
  .describe('A PostgreSQL database: owner, encoding, locale, connection limit.');

export type PostgresDatabaseSpec = z.infer<typeof PostgresDatabaseSpecSchema>;

export interface PostgresDatabaseDesired {
  spec: PostgresDatabaseSpec;
  name: string;
  conn: PgConnection;
}

export interface PostgresDatabaseActual {
  owner: string;
  encoding: string;
  collate: string;
  ctype: string;
  connectionLimit: number;
}

const OBSERVE = `
  select pg_get_userbyid(datdba)::text as owner, pg_encoding_to_char(encoding)::text as encoding,
         datcollate::text as collate, datctype::text as ctype, datconnlimit as "connectionLimit"
  from pg_database where datname = $1`;

/** UTF8, utf-8 and Utf_8 name one encoding. */
const sameEncoding = (a: string, b: string) =>
  a.replace(/[^A-Za-z0-9]/g, '').toUpperCase() === b.replace(/[^A-Za-z0-9]/g, '').toUpperCase();
/** C.UTF-8 and C.utf8 name one locale. */
const sameLocale = (a: string, b: string) =>
  a.replace(/utf-?8/i, 'utf8').toLowerCase() === b.replace(/utf-?8/i, 'utf8').toLowerCase();

export const postgresDatabaseProvider: Provider<
  PostgresDatabaseSpec,
  PostgresDatabaseActual,
  PostgresDatabaseDesired
> = {
  kind: 'PostgresDatabase',
  description: 'A PostgreSQL database: owner, encoding, locale, connection limit.',
  schema: PostgresDatabaseSpecSchema,
  concurrency: 2,

  async resolve(spec, ctx) {
    return { spec, name: nameOf(spec, ctx), conn: await resolveConnection(spec.connection, ctx) };
  },

  observe: (desired) => withClient(desired.conn, undefined, (c) => observeDatabase(c, desired.name)),

  diff(desired, actual) {
    const { spec } = desired;
    if (!actual) return [CREATE];
    const changes: Change[] = [];
    field(changes, 'spec.owner', actual.owner, spec.owner);
    if (spec.encoding !== undefined && !sameEncoding(spec.encoding, actual.encoding))
      changes.push({ path: 'spec.encoding', old: actual.encoding, new: spec.encoding });
    if (
      spec.locale !== undefined &&
      !(sameLocale(spec.locale, actual.collate) && sameLocale(spec.locale, actual.ctype))
    )
      changes.push({ path: 'spec.locale', old: actual.collate, new: spec.locale });
    field(changes, 'spec.connectionLimit', actual.connectionLimit, spec.connectionLimit);
    return changes;
  },

  async apply(desired, actual) {
    const { spec, name } = desired;
    const db = ident(name);
    return withClient(desired.conn, undefined, async (c) => {
      const run = async (sql: string, what: string, fieldPath: string | ((err: unknown) => string)) => {
        try {
          await c.query(sql);
        } catch (err) {
          throw statementError(
            err,
            `${what} database ${name}`,
            typeof fieldPath === 'string' ? fieldPath : fieldPath(err),
          );
        }
      };
      const now = actual ?? (await observeDatabase(c, name));
      if (!now) {
        const options: string[] = [];
        if (spec.owner !== undefined) options.push(`OWNER ${ident(spec.owner)}`);
        const template = spec.template ?? (spec.encoding || spec.locale ? 'template0' : undefined);
        if (template !== undefined) options.push(`TEMPLATE ${ident(template)}`);
        if (spec.encoding !== undefined) options.push(`ENCODING ${literal(spec.encoding)}`);
        if (spec.locale !== undefined) options.push(`LOCALE ${literal(spec.locale)}`);
        options.push(`CONNECTION LIMIT ${spec.connectionLimit}`);
        // CREATE DATABASE cannot run in a transaction; it is one statement, done whole or not at all.
        await run(`CREATE DATABASE ${db} WITH ${options.join(' ')}`, 'creating', (err) =>
          fieldOfCreate(spec, err),
        );
      } else {
        const changes = postgresDatabaseProvider.diff(desired, now);
        const fixed = changes.find((ch) => ch.path === 'spec.encoding' || ch.path === 'spec.locale');
        if (fixed)
          throw new ProviderError(
            `database ${name} has ${fixed.path.slice(5)} ${String(fixed.old)}, not ${String(fixed.new)}: it is fixed when a database is created`,
            {
              code: 'SETPOINT_POSTGRES_IMMUTABLE',
              field: fixed.path,
              hint: 'dump the data, drop the database and apply again (setpoint never drops it for this), or declare what it has',
            },
          );
        await inTransaction(c, async () => {
          if (changes.some((ch) => ch.path === 'spec.owner'))
            await run(
              `ALTER DATABASE ${db} OWNER TO ${ident(spec.owner!)}`,
              'changing the owner of',
              'spec.owner',
            );
          if (changes.some((ch) => ch.path === 'spec.connectionLimit'))
            await run(
              `ALTER DATABASE ${db} WITH CONNECTION LIMIT ${spec.connectionLimit}`,
              'changing the connection limit of',
              'spec.connectionLimit',
            );
        });
      }
      return converged(`database ${name}`, await observeDatabase(c, name));
    });
  },

  async destroy(desired) {
    await dropObject(
      desired.conn,
      undefined,
      `DROP DATABASE IF EXISTS ${ident(desired.name)}`,
      `database ${desired.name}`,
    );
  },

  // Its tables go with it.
  isDestructive: () => true,

  display: (desired, actual) => ({ name: desired.name, ...actual }),
};

/** The field a failed CREATE DATABASE concerns, from the server's SQLSTATE and what the spec sets. */
function fieldOfCreate(spec: PostgresDatabaseSpec, err: unknown): string {
  const code = (err as { code?: string }).code;
  const message = String((err as Error).message ?? '');
  if (code === '42704' && spec.owner !== undefined) return 'spec.owner';
  if (code === '3D000' || /template/i.test(message)) return 'spec.template';
  if (/locale|collation|LC_/i.test(message) && spec.locale !== undefined) return 'spec.locale';
  if (/encoding/i.test(message) && spec.encoding !== undefined) return 'spec.encoding';
  return 'spec.name';
}

async function observeDatabase(c: Queryable, name: string): Promise<PostgresDatabaseActual | undefined> {
  const { rows } = await c.query<PostgresDatabaseActual>(OBSERVE, [name]).catch((err: unknown) => {
    throw statementError(err, `reading database ${name}`, 'spec.connection');
  });
  return rows[0];
}
