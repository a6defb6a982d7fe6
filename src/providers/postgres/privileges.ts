/**
 * The privilege model of PostgresGrant: which privileges each object type
 * has, how `ALL` and `TEMP` read, and one catalog query per type that lists
 * the objects in scope with the privileges a role holds on each (from the
 * ACLs, defaults included, via aclexplode). Object names in SQL come from
 * the server (quote_ident, oidvectortypes), never from the manifest.
 */

export const OBJECT_TYPES = ['database', 'schema', 'table', 'sequence', 'function'] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

export const PRIVILEGES: Record<ObjectType, readonly string[]> = {
  database: ['CONNECT', 'CREATE', 'TEMPORARY'],
  schema: ['CREATE', 'USAGE'],
  table: ['DELETE', 'INSERT', 'REFERENCES', 'SELECT', 'TRIGGER', 'TRUNCATE', 'UPDATE'],
  sequence: ['SELECT', 'UPDATE', 'USAGE'],
  function: ['EXECUTE'],
};

/** The SQL keyword after `GRANT ... ON`. ROUTINE covers functions and procedures. */
export const KEYWORD: Record<ObjectType, string> = {
  database: 'DATABASE',
  schema: 'SCHEMA',
  table: 'TABLE',
  sequence: 'SEQUENCE',
  function: 'ROUTINE',
};

/** Upper-cases, reads TEMP as TEMPORARY and ALL [PRIVILEGES] as every privilege of the type; sorted. */
export function expandPrivileges(type: ObjectType, given: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of given) {
    const p = raw.trim().toUpperCase().replace(/\s+/g, ' ');
    if (p === 'ALL' || p === 'ALL PRIVILEGES') PRIVILEGES[type].forEach((x) => out.add(x));
    else out.add(p === 'TEMP' ? 'TEMPORARY' : p);
  }
  return [...out].sort();
}

/** The privileges among `given` that the type does not have (after expansion). */
export function unknownPrivileges(type: ObjectType, given: readonly string[]): string[] {
  return expandPrivileges(type, given).filter((p) => !PRIVILEGES[type].includes(p));
}

/** Function names compare without spaces: `add(integer, integer)` is `add(integer,integer)`. */
export const objectKey = (type: ObjectType, name: string): string =>
  type === 'function' ? name.replace(/\s+/g, '') : name;

/**
 * Per type: rows (object, target, privilege) for every object in scope —
 * privilege null when the role holds none. $1 is the database or schema
 * name, $2 the role's oid.
 */
export const SCAN: Record<ObjectType, string> = {
  database: `
    select d.datname::text as object, quote_ident(d.datname) as target, a.privilege_type as privilege
    from pg_database d
    left join lateral aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a on a.grantee = $2
    where d.datname = $1`,
  schema: `
    select n.nspname::text as object, quote_ident(n.nspname) as target, a.privilege_type as privilege
    from pg_namespace n
    left join lateral aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a on a.grantee = $2
    where n.nspname = $1`,
  table: relations(`c.relkind in ('r', 'p', 'v', 'm', 'f')`, 'r'),
  sequence: relations(`c.relkind = 'S'`, 's'),
  function: `
    select p.proname || '(' || oidvectortypes(p.proargtypes) || ')' as object,
           quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || oidvectortypes(p.proargtypes) || ')' as target,
           a.privilege_type as privilege
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    left join lateral aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a on a.grantee = $2
    where n.nspname = $1 and p.prokind in ('f', 'p')`,
};

function relations(kinds: string, aclType: string): string {
  return `
    select c.relname::text as object, quote_ident(n.nspname) || '.' || quote_ident(c.relname) as target,
           a.privilege_type as privilege
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    left join lateral aclexplode(coalesce(c.relacl, acldefault('${aclType}', c.relowner))) a on a.grantee = $2
    where n.nspname = $1 and ${kinds}`;
}
