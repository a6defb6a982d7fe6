/**
 * A rollout across nodes as `NodePin`s (assignment.ts): a node that is
 * a target of a rollout in progress and not promoted yet gets the previous
 * revision's set for the resources the strategy governs; every other node
 * gets the current one. Every path that decides a node's set (the long
 * poll, `render --node`, `plan --node`, the behind alert) passes these pins,
 * so they agree.
 */
import type { Resource } from '../manifest/index.js';
import { nodeTargetId, type NodeRollout } from '../rollout/index.js';
import type { Assignment, NodePin } from './assignment.js';
import { heldNodeResources } from './rollout-targets.js';

/** Held assignments, per current resource list and rollout: one array each, so compiled sets are shared. */
const held = new WeakMap<readonly Resource[], Map<string, Assignment>>();

function heldAssignment(current: Assignment, r: NodeRollout): Assignment {
  let byRollout = held.get(current.resources);
  if (!byRollout) held.set(current.resources, (byRollout = new Map<string, Assignment>()));
  const key = `${r.record.id}:${r.record.from}`;
  let a = byRollout.get(key);
  if (!a) {
    const parts = current.revision.split('+');
    a = {
      // The revision id of a held node names the previous revision of this source.
      revision: parts.includes(r.record.to)
        ? parts.map((p) => (p === r.record.to ? r.record.from : p)).join('+')
        : r.record.from,
      resources: heldNodeResources(r.spec, current.resources, r.previous, r.next),
    };
    byRollout.set(key, a);
  }
  return a;
}

/** The pins of `rollouts` over `current`: one per rollout, claiming its targets not promoted yet. */
export function rolloutPins(current: Assignment, rollouts: readonly NodeRollout[] = []): NodePin[] {
  return rollouts.map((r) => (node) => {
    const id = nodeTargetId(node.name);
    if (!r.record.targets.includes(id)) return undefined;
    // Targets not listed run the previous revision (RolloutRecord.pins).
    if ((r.record.pins[id] ?? r.record.from) === r.record.to) return undefined;
    return heldAssignment(current, r);
  });
}
