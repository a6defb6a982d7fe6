/**
 * API roles, ranked: each role can do what the roles before it can.
 * viewer reads; operator triggers syncs, plans and pins; approver approves
 * and rejects proposed actions; admin manages tokens and overrides.
 */
export const ROLES = ['viewer', 'operator', 'approver', 'admin'] as const;

export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** True when `held` ranks at or above `needed`. */
export function roleAllows(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

/** Who is calling: a token's name, role and namespace scope (empty = every namespace). */
export interface Principal {
  name: string;
  role: Role;
  namespaces: readonly string[];
  /**
   * Set for an enrolled node's credential (a node token): the node's name. A
   * node may call only node routes, and only for itself.
   */
  node?: string;
}

/** True when the principal may see and act on resources of `namespace`. */
export function inScope(p: Pick<Principal, 'namespaces'>, namespace: string): boolean {
  return p.namespaces.length === 0 || p.namespaces.includes(namespace);
}

/** The namespace of a resource id `Kind/namespace/name`; undefined when the id has another shape. */
export function namespaceOf(id: string): string | undefined {
  const parts = id.split('/');
  return parts.length === 3 ? parts[1] : undefined;
}
