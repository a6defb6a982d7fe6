/**
 * Pair first, then decide (gitops-engine's Reconcile): no desired side is a
 * prune candidate, no actual side is a create. Pure functions: the provider's
 * diff has already been computed by the caller. Actions are built as
 * fixed-shape literals: this runs once per resource on every plan.
 */
import { withoutIgnored, type Change } from '../diff/index.js';
import type { Lifecycle, ResourceId } from '../manifest/index.js';
import type { Action, Op } from './types.js';

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

const NO_CHANGES: Change[] = [];

function action(
  p: { id: ResourceId; kind: string },
  op: Op,
  changes: Change[],
  destructive: boolean,
  reason: string,
  after: ResourceId[],
  pruned?: boolean,
): Action {
  return { id: p.id, kind: p.kind, op, changes, destructive, reason, after, pruned };
}

export function decideDesired(p: DesiredPair): Action {
  if (p.absent) {
    if (!p.exists) return action(p, 'noop', NO_CHANGES, false, 'absent, as declared', p.dependsOn);
    return action(
      p,
      'delete',
      NO_CHANGES,
      p.destructiveIfRemoved,
      'declared with ensure: absent',
      p.dependsOn,
    );
  }
  if (!p.exists) return action(p, 'create', p.changes, false, 'does not exist', p.dependsOn);
  if (p.changes.length === 0) return action(p, 'noop', NO_CHANGES, false, 'in sync', p.dependsOn);
  const changes = withoutIgnored(p.changes, p.lifecycle.ignoreChanges);
  if (changes.length === 0) {
    const ignored = p.changes.length;
    return action(
      p,
      'noop',
      NO_CHANGES,
      false,
      `in sync (${ignored} ignored change${ignored === 1 ? '' : 's'})`,
      p.dependsOn,
    );
  }
  const forcing = changes.filter((c) => c.forcesReplace);
  if (forcing.length > 0)
    return action(
      p,
      'replace',
      changes,
      p.destructiveIfRemoved,
      `cannot change ${forcing.map((c) => c.path).join(', ')} in place`,
      p.dependsOn,
    );
  const n = changes.length;
  return action(
    p,
    'update',
    changes,
    false,
    `${n} field${n === 1 ? '' : 's'} differ${n === 1 ? 's' : ''}`,
    p.dependsOn,
  );
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
  if (!p.exists) return action(p, 'noop', NO_CHANGES, false, 'no longer declared and already gone', [], true);
  return action(
    p,
    'delete',
    NO_CHANGES,
    p.destructiveIfRemoved,
    'no longer declared (prune)',
    p.dependents,
    true,
  );
}
