/**
 * The desired state of a source during a rollout, from two revisions: each
 * resource of a target pinned to the new revision as the new revision
 * declares it (absent if it removes it), each resource of a target pinned to
 * the previous one as before (absent if it is new). Resources the strategy
 * does not govern follow the new revision. Files a manifest refers to are
 * read from the checkout of the revision that declared it.
 */
import type { Resource, ResourceId } from '../manifest/index.js';
import type { DesiredState } from '../desired/desired.js';

export interface Composed {
  desired: DesiredState;
  /** The revision each resource's declaration comes from. */
  revisionOf: Map<ResourceId, string>;
  /** Resources kept at the previous revision whose new declaration differs: held by the rollout. */
  held: ResourceId[];
}

export function composeRevisions(
  previous: DesiredState,
  next: DesiredState,
  pins: Readonly<Record<string, string>>,
  revisions: { from: string; to: string },
): Composed {
  const before = new Map(previous.resources.map((r) => [r.id, r]));
  const after = new Map(next.resources.map((r) => [r.id, r]));
  const resources: Resource[] = [];
  const revisionOf = new Map<ResourceId, string>();
  const held: ResourceId[] = [];
  for (const id of [...new Set([...after.keys(), ...before.keys()])]) {
    const pin = pins[id] ?? revisions.to;
    const r = pin === revisions.to ? after.get(id) : before.get(id);
    if (pin !== revisions.to && before.get(id)?.digest !== after.get(id)?.digest) held.push(id);
    if (!r) continue;
    resources.push(r);
    revisionOf.set(id, pin);
  }
  const fromPrevious = new Set(
    resources.filter((r) => revisionOf.get(r.id) === revisions.from).map((r) => r.origin.file),
  );
  return {
    desired: {
      ...next,
      resources,
      sourceRootOf: (file) => (fromPrevious.has(file) ? previous : next).sourceRootOf(file),
    },
    revisionOf,
    held,
  };
}
