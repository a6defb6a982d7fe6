/**
 * PostgresRole: a role (user or group) with its attributes, connection
 * limit, memberships and password. The password comes from a secretRef,
 * is sent as a SCRAM verifier computed here, and drift is found by checking
 * the verifier in pg_authid against the secret (needs a superuser
 * connection; otherwise the password is set at create and not compared).
 * Plans show it only as "(sensitive)"; the actual state holds a boolean.
 * After a failed apply the role is as before: each apply is one transaction.
 */
import * as z from 'zod';
import type { Change } from '../../diff/index.js';
import { ProviderError } from '../../provider/errors.js';
import type { Provider } from '../../provider/types.js';
import { SecretError, SecretRefSchema } from '../../secrets/index.js';
import { EnsureSchema } from '../fs/index.js';
import { CREATE, field, nameOf, sortedSet, converged } from './common.js';
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
import { ident, literal, passwordMatches, scramVerifier } from './sql.js';

const RoleName = IdentifierSchema.refine((s) => !/^pg_/i.test(s), 'names starting with pg_ are reserved');

export const PostgresRoleSpecSchema = z
  .strictObject({
    name: RoleName.optional().describe('The role name. Defaults to metadata.name.'),
    login: z.boolean().default(false).describe('May log in (a user). Defaults to false.'),
    superuser: z.boolean().default(false).describe('Bypasses every permission check. Defaults to false.'),
    createdb: z.boolean().default(false).describe('May create databases. Defaults to false.'),
    createrole: z.boolean().default(false).describe('May create and alter roles. Defaults to false.'),
    inherit: z
      .boolean()
      .default(true)
      .describe('Uses the privileges of the roles it is a member of. Defaults to true.'),
    replication: z.boolean().default(false).describe('May stream replication. Defaults to false.'),
    bypassRls: z.boolean().default(false).describe('Bypasses row-level security. Defaults to false.'),
    connectionLimit: z
      .number()
      .int()
      .min(-1)
      .default(-1)
      .describe('Concurrent connections it may hold; -1 is no limit. Defaults to -1.'),
    memberOf: z
      .array(IdentifierSchema)
      .optional()
      .describe('The roles it is a member of, exactly (others are revoked). Unset: not managed.'),
    password: z
      .strictObject({ secretRef: SecretRefSchema })
      .optional()
      .describe(
        'The password, from a secret; stored by PostgreSQL as a SCRAM verifier, never shown or stored by setpoint. Unset: not managed.',
      ),
    connection: ConnectionSchema.optional(),
    ensure: EnsureSchema,
  })
  .describe('A PostgreSQL role: login, attributes, connection limit, memberships, password.');

export type PostgresRoleSpec = z.infer<typeof PostgresRoleSpecSchema>;

export interface PostgresRoleDesired {
  spec: PostgresRoleSpec;
  name: string;
  conn: PgConnection;
  /** Held in memory only. */
  password?: string;
}

export interface PostgresRoleActual {
  login: boolean;
  superuser: boolean;
  createdb: boolean;
  createrole: boolean;
  inherit: boolean;
  replication: boolean;
  bypassRls: boolean;
  connectionLimit: number;
  memberOf: string[];
  /** Whether the stored password accepts the declared one; only when one is declared and pg_authid is readable. */
  passwordInSync?: boolean;
}

/** The attributes and their SQL keywords (`LOGIN` / `NOLOGIN`). */
const FLAGS = [
  ['login', 'LOGIN'],
  ['superuser', 'SUPERUSER'],
  ['createdb', 'CREATEDB'],
  ['createrole', 'CREATEROLE'],
  ['inherit', 'INHERIT'],
  ['replication', 'REPLICATION'],
  ['bypassRls', 'BYPASSRLS'],
] as const;

const OBSERVE = `
  select r.oid, r.rolcanlogin as login, r.rolsuper as superuser, r.rolcreatedb as createdb,
         r.rolcreaterole as createrole, r.rolinherit as inherit, r.rolreplication as replication,
         r.rolbypassrls as "bypassRls", r.rolconnlimit as "connectionLimit",
         coalesce((select array_agg(g.rolname::text order by g.rolname) from pg_auth_members m
                   join pg_roles g on g.oid = m.roleid where m.member = r.oid), '{}') as "memberOf"
  from pg_roles r where r.rolname = $1`;

export const postgresRoleProvider: Provider<PostgresRoleSpec, PostgresRoleActual, PostgresRoleDesired> = {
  kind: 'PostgresRole',
  description: 'A PostgreSQL role: login, attributes, connection limit, memberships, password (secretRef).',
  schema: PostgresRoleSpecSchema,
  concurrency: 4,

  async resolve(spec, ctx) {
    const name = nameOf(spec, ctx);
    const conn = await resolveConnection(spec.connection, ctx);
    if (!spec.password) return { spec, name, conn };
    try {
      const password = await ctx.secrets.resolve(spec.password.secretRef, ctx.baseDir);
      if (password.length === 0)
        throw new ProviderError('the password secret is empty', {
          code: 'SETPOINT_SPEC_INVALID',
          field: 'spec.password.secretRef',
          hint: 'give the secret a value, or remove spec.password',
        });
      return { spec, name, conn, password };
    } catch (err) {
      if (err instanceof SecretError)
        throw new ProviderError(err.message, {
          code: err.code,
          field: 'spec.password.secretRef',
          hint: err.hint,
        });
      throw err;
    }
  },

  observe: (desired) => withClient(desired.conn, undefined, (c) => observeRole(c, desired)),

  diff(desired, actual) {
    const { spec } = desired;
    if (!actual) {
      const changes: Change[] = [CREATE];
      if (desired.password !== undefined) changes.push({ path: 'spec.password', sensitive: true });
      return changes;
    }
    const changes: Change[] = [];
    for (const [key] of FLAGS) field(changes, `spec.${key}`, actual[key], spec[key]);
    field(changes, 'spec.connectionLimit', actual.connectionLimit, spec.connectionLimit);
    field(changes, 'spec.memberOf', actual.memberOf, spec.memberOf && sortedSet(spec.memberOf));
    if (desired.password !== undefined && actual.passwordInSync === false)
      changes.push({ path: 'spec.password', sensitive: true });
    return changes;
  },

  async apply(desired, actual, ctx) {
    const { spec, name } = desired;
    const role = ident(name);
    return withClient(desired.conn, undefined, async (c) => {
      const step = async (sql: string, what: string, fieldPath: string) => {
        try {
          await c.query(sql);
        } catch (err) {
          throw statementError(err, `${what} role ${name}`, fieldPath);
        }
      };
      // Read before the transaction: a refused pg_authid read must not abort it.
      const now = actual ?? (await observeRole(c, desired));
      await inTransaction(c, async () => {
        const attrs = FLAGS.map(([key, word]) => (spec[key] ? word : `NO${word}`));
        attrs.push(`CONNECTION LIMIT ${spec.connectionLimit}`);
        const setPassword =
          desired.password !== undefined && (!now || now.passwordInSync === false)
            ? ` PASSWORD ${literal(scramVerifier(desired.password))}`
            : '';
        if (!now)
          await step(`CREATE ROLE ${role} WITH ${attrs.join(' ')}${setPassword}`, 'creating', 'spec.name');
        else if (postgresRoleProvider.diff(desired, now).some((ch) => ch.path !== 'spec.memberOf'))
          await step(`ALTER ROLE ${role} WITH ${attrs.join(' ')}${setPassword}`, 'altering', 'spec.name');
        if (spec.memberOf) {
          const have = new Set(now?.memberOf ?? []);
          const want = new Set(spec.memberOf);
          for (const g of want)
            if (!have.has(g))
              await step(`GRANT ${ident(g)} TO ${role}`, 'adding a membership to', 'spec.memberOf');
          for (const g of have)
            if (!want.has(g))
              await step(`REVOKE ${ident(g)} FROM ${role}`, 'removing a membership from', 'spec.memberOf');
        }
      });
      if (setPasswordEvent(desired, now)) ctx.event('Normal', 'PasswordSet', `password of role ${name} set`);
      return converged(`role ${name}`, await observeRole(c, desired));
    });
  },

  async destroy(desired) {
    await dropObject(
      desired.conn,
      undefined,
      `DROP ROLE IF EXISTS ${ident(desired.name)}`,
      `role ${desired.name}`,
    );
  },

  // A role holds no data: DROP ROLE fails while it owns anything.
  isDestructive: () => false,

  display(desired, actual) {
    const { passwordInSync: _hidden, ...shown } = actual;
    return {
      name: desired.name,
      ...shown,
      ...(desired.password !== undefined ? { password: '(sensitive)' } : {}),
    };
  },
};

function setPasswordEvent(desired: PostgresRoleDesired, actual: PostgresRoleActual | undefined): boolean {
  return desired.password !== undefined && (!actual || actual.passwordInSync === false);
}

async function observeRole(
  c: Queryable,
  desired: PostgresRoleDesired,
): Promise<PostgresRoleActual | undefined> {
  const { rows } = await c
    .query<PostgresRoleActual & { oid: number }>(OBSERVE, [desired.name])
    .catch((err: unknown) => {
      throw statementError(err, `reading role ${desired.name}`, 'spec.connection');
    });
  if (rows.length === 0) return undefined;
  const { oid, ...row } = rows[0];
  const actual: PostgresRoleActual = row;
  if (desired.password !== undefined) {
    // pg_authid is readable by superusers only: elsewhere the password cannot be compared (and is not).
    const stored = await c
      .query<{ rolpassword: string | null }>('select rolpassword from pg_authid where oid = $1', [oid])
      .then((r) => r.rows[0]?.rolpassword ?? null)
      .catch(() => undefined);
    if (stored !== undefined) actual.passwordInSync = passwordMatches(stored, desired.password, desired.name);
  }
  return actual;
}
