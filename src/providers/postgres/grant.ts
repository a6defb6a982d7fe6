/**
 * PostgresGrant: the privileges a role holds on a database, a schema, or
 * tables, sequences or functions of a schema (named ones, or all there are
 * when `objects` is unset). The declared privileges are exact: missing ones
 * are granted, others the role holds on those objects are revoked, and
 * destroy revokes them all. Drift is any object whose privileges differ.
 * Each apply is one transaction: after a failure nothing changed.
 */
import type pg from 'pg';
import * as z from 'zod';
import type { Change } from '../../diff/index.js';
import { ProviderError } from '../../provider/errors.js';
import type { Provider } from '../../provider/types.js';
import { EnsureSchema } from '../fs/index.js';
import { CREATE } from './common.js';
import {
  ConnectionSchema,
  DatabaseMissing,
  IdentifierSchema,
  inTransaction,
  resolveConnection,
  statementError,
  withClient,
  type PgConnection,
  readIn,
} from './connection.js';
import {
  expandPrivileges,
  KEYWORD,
  OBJECT_TYPES,
  objectKey,
  PRIVILEGES,
  SCAN,
  unknownPrivileges,
  type ObjectType,
} from './privileges.js';
import type { Queryable } from './connection.js';
import { ident } from './sql.js';

export const PostgresGrantSpecSchema = z
  .strictObject({
    role: IdentifierSchema.describe('The role that gets the privileges.'),
    database: IdentifierSchema.describe('The database (for objectType database: the one granted on).'),
    objectType: z
      .enum(OBJECT_TYPES)
      .describe('What the privileges are on: database, schema, table, sequence or function.'),
    schema: IdentifierSchema.optional().describe(
      'For schema: the schema granted on. For table, sequence, function: the schema they are in. Defaults to public for those.',
    ),
    objects: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        'For table, sequence, function: their names (functions with argument types, e.g. "add(integer, integer)"). Unset: all of that type in the schema.',
      ),
    privileges: z
      .array(z.string().regex(/^[A-Za-z ]+$/, 'a privilege such as SELECT'))
      .min(1)
      .describe(
        'Exactly these privileges (others the role holds on the objects are revoked); ALL means every privilege of the type.',
      ),
    connection: ConnectionSchema.optional(),
    ensure: EnsureSchema,
  })
  .superRefine((s, ctx) => {
    if (s.objectType === 'database' && s.schema !== undefined)
      ctx.addIssue({ code: 'custom', path: ['schema'], message: 'a database grant takes no schema' });
    if (s.objectType === 'schema' && s.schema === undefined)
      ctx.addIssue({ code: 'custom', path: ['schema'], message: 'the schema granted on' });
    if ((s.objectType === 'database' || s.objectType === 'schema') && s.objects !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['objects'],
        message: `a ${s.objectType} grant takes no objects (they are for table, sequence and function)`,
      });
    const unknown = unknownPrivileges(s.objectType, s.privileges);
    if (unknown.length > 0)
      ctx.addIssue({
        code: 'custom',
        path: ['privileges'],
        message: `${unknown.join(', ')} ${unknown.length === 1 ? 'is not a privilege' : 'are not privileges'} of a ${s.objectType}: use ${PRIVILEGES[s.objectType].join(', ')} or ALL`,
      });
  })
  .describe('Privileges of a PostgreSQL role on a database, schema, tables, sequences or functions.');

export type PostgresGrantSpec = z.infer<typeof PostgresGrantSpecSchema>;

export interface PostgresGrantDesired {
  spec: PostgresGrantSpec;
  conn: PgConnection;
  type: ObjectType;
  /** The schema scanned (or granted on); the database's name for a database grant. */
  scope: string;
  privileges: string[];
}

export interface PostgresGrantActual {
  /** Per object in scope: the privileges the role holds, sorted. */
  privileges: Record<string, string[]>;
  /** Declared objects that do not exist. */
  missing?: string[];
}

interface ScanRow {
  object: string;
  target: string;
  privilege: string | null;
}

interface Scanned {
  target: string;
  privileges: string[];
}

export const postgresGrantProvider: Provider<PostgresGrantSpec, PostgresGrantActual, PostgresGrantDesired> = {
  kind: 'PostgresGrant',
  description: 'Privileges of a PostgreSQL role on a database, schema, tables, sequences or functions.',
  schema: PostgresGrantSpecSchema,
  concurrency: 4,

  async resolve(spec, ctx) {
    const type = spec.objectType;
    const scope = type === 'database' ? spec.database : (spec.schema ?? 'public');
    return {
      spec,
      conn: await resolveConnection(spec.connection, ctx),
      type,
      scope,
      privileges: expandPrivileges(type, spec.privileges),
    };
  },

  async observe(desired) {
    return readIn(desired.conn, desired.spec.database, async (c) => {
      const scanned = await scan(c, desired);
      return scanned && toActual(desired, scanned);
    });
  },

  diff(desired, actual) {
    if (!actual) return [CREATE];
    const changes: Change[] = [];
    if (actual.missing)
      changes.push({ path: 'spec.objects', old: Object.keys(actual.privileges), new: desired.spec.objects });
    const differing = Object.entries(actual.privileges).filter(
      ([, held]) => held.join() !== desired.privileges.join(),
    );
    if (differing.length === 0) return changes;
    const single = desired.type === 'database' || desired.type === 'schema';
    changes.push({
      path: 'spec.privileges',
      old: single ? differing[0][1] : Object.fromEntries(differing),
      new: desired.privileges,
    });
    return changes;
  },

  async apply(desired) {
    const { spec, type } = desired;
    const role = ident(spec.role);
    return withClient(desired.conn, spec.database, async (c) => {
      const scanned = await scan(c, desired);
      if (!scanned)
        throw new ProviderError(`role ${spec.role} does not exist`, {
          code: 'SETPOINT_POSTGRES_FAILED',
          field: 'spec.role',
          hint: 'declare it as a PostgresRole (it is then created first), or fix the name',
        });
      const missing = missingOf(desired, scanned);
      const whole = type === 'database' || type === 'schema';
      if (missing.length > 0 || (whole && scanned.size === 0))
        throw new ProviderError(
          whole
            ? `${type} ${desired.scope} does not exist`
            : `no ${type} ${missing.join(', ')} in schema ${desired.scope} of ${spec.database}`,
          {
            code: 'SETPOINT_POSTGRES_FAILED',
            field: whole ? `spec.${type}` : 'spec.objects',
            hint: 'create it first (declare it, or run your migrations), or fix the name',
          },
        );
      await inTransaction(c, async () => {
        for (const { target, privileges } of scanned.values()) {
          const grant = desired.privileges.filter((p) => !privileges.includes(p));
          const revoke = privileges.filter((p) => !desired.privileges.includes(p));
          try {
            if (grant.length > 0)
              await c.query(`GRANT ${grant.join(', ')} ON ${KEYWORD[type]} ${target} TO ${role}`);
            if (revoke.length > 0)
              await c.query(`REVOKE ${revoke.join(', ')} ON ${KEYWORD[type]} ${target} FROM ${role}`);
          } catch (err) {
            throw statementError(err, `granting on ${type} ${target} to ${spec.role}`, 'spec.privileges');
          }
        }
      });
      const after = toActual(desired, (await scan(c, desired)) ?? new Map<string, Scanned>());
      if (!after)
        throw new ProviderError(`the privileges of ${spec.role} did not take effect`, {
          code: 'SETPOINT_APPLY_UNCONVERGED',
          field: 'spec.privileges',
        });
      return after;
    });
  },

  async destroy(desired) {
    const { spec, type } = desired;
    try {
      await withClient(desired.conn, spec.database, async (c) => {
        const scanned = await scan(c, desired);
        if (!scanned) return;
        await inTransaction(c, async () => {
          for (const { target, privileges } of scanned.values()) {
            if (privileges.length === 0) continue;
            try {
              await c.query(`REVOKE ALL ON ${KEYWORD[type]} ${target} FROM ${ident(spec.role)}`);
            } catch (err) {
              throw statementError(err, `revoking on ${type} ${target} from ${spec.role}`, 'spec.ensure');
            }
          }
        });
      });
    } catch (err) {
      if (!(err instanceof DatabaseMissing)) throw err;
    }
  },

  isDestructive: () => false,

  display: (desired, actual) => ({
    role: desired.spec.role,
    on: `${desired.type} ${desired.scope}`,
    ...actual,
  }),
};

/**
 * The objects in scope and the role's privileges on each (declared objects
 * only, when `objects` is set); undefined when the role does not exist.
 */
async function scan(c: Queryable, desired: PostgresGrantDesired): Promise<Map<string, Scanned> | undefined> {
  const { spec, type, scope } = desired;
  const read = async <R extends pg.QueryResultRow>(sql: string, values: unknown[]) =>
    c.query<R>(sql, values).catch((err: unknown) => {
      throw statementError(err, `reading the privileges of ${spec.role}`, 'spec.connection');
    });
  const role = await read<{ oid: number }>('select oid from pg_roles where rolname = $1', [spec.role]);
  if (role.rows.length === 0) return undefined;
  const { rows } = await read<ScanRow>(SCAN[type], [scope, role.rows[0].oid]);
  const wanted = spec.objects && new Set(spec.objects.map((o) => objectKey(type, o)));
  const out = new Map<string, Scanned>();
  for (const row of rows) {
    const object = String(row.object);
    if (wanted && !wanted.has(objectKey(type, object))) continue;
    const entry = out.get(object) ?? { target: String(row.target), privileges: [] };
    if (row.privilege && !entry.privileges.includes(String(row.privilege)))
      entry.privileges.push(String(row.privilege));
    out.set(object, entry);
  }
  for (const e of out.values()) e.privileges.sort();
  return out;
}

/** Declared objects that do not exist. */
function missingOf(desired: PostgresGrantDesired, scanned: Map<string, Scanned>): string[] {
  const found = new Set([...scanned.keys()].map((o) => objectKey(desired.type, o)));
  return desired.spec.objects?.filter((o) => !found.has(objectKey(desired.type, o))) ?? [];
}

/**
 * Absent when the role holds nothing on the objects in scope, or the
 * database or schema granted on does not exist. All tables of a schema
 * that has none is present and empty: there is nothing to grant.
 */
function toActual(
  desired: PostgresGrantDesired,
  scanned: Map<string, Scanned>,
): PostgresGrantActual | undefined {
  const privileges = Object.fromEntries([...scanned].map(([o, s]) => [o, s.privileges]));
  const missing = missingOf(desired, scanned);
  const holds = Object.values(privileges).some((p) => p.length > 0);
  if (!holds && (scanned.size > 0 || missing.length > 0)) return undefined;
  if (scanned.size === 0 && (desired.type === 'database' || desired.type === 'schema')) return undefined;
  return missing.length > 0 ? { privileges, missing } : { privileges };
}
