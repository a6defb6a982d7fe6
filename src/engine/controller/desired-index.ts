/**
 * The admitted desired state serve works from: one revision's resources by
 * id, and which of them have not been in sync since it was admitted (when
 * that set empties, the revision has converged).
 */
import type { Resource, ResourceId } from '../../manifest/index.js';
import type { RevisionRecord } from '../../store/index.js';
import type { DesiredState } from '../desired.js';

export class DesiredIndex {
  readonly byId: Map<ResourceId, Resource>;
  /** Ids not yet seen in sync under this revision. */
  readonly unconverged: Set<ResourceId>;
  readonly admittedAt: number;
  /** For each id, the ids that depend on it. */
  readonly dependents = new Map<ResourceId, ResourceId[]>();

  constructor(
    readonly revision: RevisionRecord,
    readonly desired: DesiredState,
  ) {
    this.byId = new Map(desired.resources.map((r) => [r.id, r]));
    this.unconverged = new Set(this.byId.keys());
    this.admittedAt = Date.now();
    for (const r of desired.resources)
      for (const dep of r.dependsOn) {
        let list = this.dependents.get(dep);
        if (!list) this.dependents.set(dep, (list = []));
        list.push(r.id);
      }
  }

  get source(): string {
    return this.desired.source;
  }

  /** Ids whose declaration differs between two revisions (added, changed or removed). */
  static changedIds(previous: DesiredIndex | undefined, next: DesiredIndex): ResourceId[] {
    if (!previous) return [...next.byId.keys()];
    const out: ResourceId[] = [];
    for (const [id, r] of next.byId) if (previous.byId.get(id)?.digest !== r.digest) out.push(id);
    for (const id of previous.byId.keys()) if (!next.byId.has(id)) out.push(id);
    return out;
  }
}
