/**
 * Implicit dependencies, as Puppet's autorequire: a resource whose spec.path
 * lies under a folder managed by a Directory resource depends on that
 * Directory (the nearest one), so folders are created before what goes in
 * them, and removed after, without anyone writing dependsOn. Likewise a
 * PostgreSQL object depends on the declared role, database and schema it
 * names (on the same server): a grant after its role, database and schema,
 * a schema after its database and owner. Explicit
 * dependsOn still wins; a self-dependency or an existing edge is not added.
 */
import { dirname } from 'node:path';
import type { Resource, ResourceId } from '../manifest/index.js';

const PATH_KINDS = new Set(['File', 'Directory', 'Symlink']);

function pathOf(r: Resource): string | undefined {
  if (!PATH_KINDS.has(r.key.kind)) return undefined;
  const p = (r.spec as { path?: unknown } | null)?.path;
  return typeof p === 'string' ? p : undefined;
}

/** Adds the implicit edges to each resource's dependsOn (in place). Returns how many were added. */
export function addImplicitDependencies(resources: readonly Resource[]): number {
  return addDirectoryDependencies(resources) + addPostgresDependencies(resources);
}

function addDirectoryDependencies(resources: readonly Resource[]): number {
  const directories = new Map<string, ResourceId>();
  for (const r of resources) {
    const p = r.key.kind === 'Directory' ? pathOf(r) : undefined;
    // ensure: absent folders are not parents anyone can rely on.
    if (p && (r.spec as { ensure?: string }).ensure !== 'absent') directories.set(p, r.id);
  }
  if (directories.size === 0) return 0;
  let added = 0;
  for (const r of resources) {
    const p = pathOf(r);
    if (!p) continue;
    for (let dir = dirname(p); ; dir = dirname(dir)) {
      const owner = directories.get(dir);
      if (owner && owner !== r.id) {
        if (!r.dependsOn.includes(owner)) {
          r.dependsOn = [...r.dependsOn, owner];
          added++;
        }
        break;
      }
      if (dir === dirname(dir)) break;
    }
  }
  return added;
}

interface PgSpec {
  name?: string;
  owner?: string;
  database?: string;
  schema?: string;
  role?: string;
  objectType?: string;
  memberOf?: string[];
  ensure?: string;
  connection?: { url?: string };
}

/** What each PostgreSQL kind refers to by name: [kind, database or undefined, name]. */
function pgRefs(kind: string, spec: PgSpec): Array<[string, string | undefined, string]> {
  const roles = (names: Array<string | undefined>) =>
    names
      .filter((n): n is string => !!n)
      .map((n): [string, undefined, string] => ['PostgresRole', undefined, n]);
  const database = spec.database
    ? [['PostgresDatabase', undefined, spec.database] as [string, undefined, string]]
    : [];
  const schema =
    spec.database && spec.schema
      ? [['PostgresSchema', spec.database, spec.schema] as [string, string, string]]
      : [];
  switch (kind) {
    case 'PostgresRole':
      return roles(spec.memberOf ?? []);
    case 'PostgresDatabase':
      return roles([spec.owner]);
    case 'PostgresSchema':
      return [...database, ...roles([spec.owner])];
    case 'PostgresExtension':
      return [...database, ...schema];
    case 'PostgresGrant':
      return [...roles([spec.role]), ...database, ...(spec.objectType === 'database' ? [] : schema)];
    default:
      return [];
  }
}

function addPostgresDependencies(resources: readonly Resource[]): number {
  const pg = resources.filter((r) => r.key.kind.startsWith('Postgres'));
  if (pg.length === 0) return 0;
  const declared = new Map<string, ResourceId>();
  const keyOf = (kind: string, url: string | undefined, database: string | undefined, name: string) =>
    JSON.stringify([kind, url ?? '', database ?? '', name]);
  for (const r of pg) {
    const spec = (r.spec ?? {}) as PgSpec;
    if (spec.ensure === 'absent') continue;
    const database = r.key.kind === 'PostgresSchema' ? spec.database : undefined;
    declared.set(keyOf(r.key.kind, spec.connection?.url, database, spec.name ?? r.metadata.name), r.id);
  }
  let added = 0;
  for (const r of pg) {
    const spec = (r.spec ?? {}) as PgSpec;
    for (const [kind, database, name] of pgRefs(r.key.kind, spec)) {
      const target = declared.get(keyOf(kind, spec.connection?.url, database, name));
      if (target && target !== r.id && !r.dependsOn.includes(target)) {
        r.dependsOn = [...r.dependsOn, target];
        added++;
      }
    }
  }
  return added;
}
