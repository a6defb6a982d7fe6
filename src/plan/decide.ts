/**
 * Pair first, then decide (gitops-engine's Reconcile): no desired side is a
 * prune candidate, no actual side is a create. Pure functions: the provider's
 * diff has already been computed by the caller.
 */
import { withoutIgnored, type Change } from '../diff/index.js';
import type { Lifecycle, ResourceId } from '../manifest/index.js';
import type { Action } from './types.js';

export interface DesiredPair {
  id: ResourceId;
  kind: string;
  /** `ensure: absent` declares that the target must not exist. */
  absent: boolean;
  exists: boolean;
  /** provider.diff(desired, actual). */
  changes: Change[];
  lifecycle: Lifecycle;
  dependsOn: ResourceId[];
  /** provider.isDestructive(desired, actual), when actual exists. */
  destructiveIfRemoved: boolean;
}

export function decideDesired(p: DesiredPair): Action {
  const base = { id: p.id, kind: p.kind, after: p.dependsOn };
  if (p.absent) {
    if (!p.exists) return { ...base, op: 'noop', changes: [], destructive: false, reason: 'absent, as declared' };
    return {
      ...base,
      op: 'delete',
      changes: [],
      destructive: p.destructiveIfRemoved,
      reason: 'declared with ensure: absent',
    };
  }
  if (!p.exists) return { ...base, op: 'create', changes: p.changes, destructive: false, reason: 'does not exist' };
  const changes = withoutIgnored(p.changes, p.lifecycle.ignoreChanges);
  if (changes.length === 0) {
    const ignored = p.changes.length - changes.length;
    return {
      ...base,
      op: 'noop',
      changes: [],
      destructive: false,
      reason: ignored > 0 ? `in sync (${ignored} ignored change${ignored === 1 ? '' : 's'})` : 'in sync',
    };
  }
  if (changes.some((c) => c.forcesReplace))
    return {
      ...base,
      op: 'replace',
      changes,
      destructive: p.destructiveIfRemoved,
      reason: `cannot change ${changes.filter((c) => c.forcesReplace).map((c) => c.path).join(', ')} in place`,
    };
  return {
    ...base,
    op: 'update',
    changes,
    destructive: false,
    reason: `${changes.length} field${changes.length === 1 ? '' : 's'} differ${changes.length === 1 ? 's' : ''}`,
  };
}

export interface OrphanPair {
  id: ResourceId;
  kind: string;
  exists: boolean;
  destructiveIfRemoved: boolean;
  /** Ids of other pruned resources that depended on this one: they go first. */
  dependents: ResourceId[];
}

/** A resource that left the desired state, with pruning on. */
export function decideOrphan(p: OrphanPair): Action {
  if (!p.exists)
    return { id: p.id, kind: p.kind, op: 'noop', changes: [], destructive: false, reason: 'no longer declared and already gone', after: [], pruned: true };
  return {
    id: p.id,
    kind: p.kind,
    op: 'delete',
    changes: [],
    destructive: p.destructiveIfRemoved,
    reason: 'no longer declared (prune)',
    after: p.dependents,
    pruned: true,
  };
}
