/**
 * The admitted desired state serve works from: one revision's resources by
 * id, and which of them have not settled since it was admitted — settled =
 * in sync, or Held on purpose (a change window, alert mode, a rejected
 * approval). When that set empties, the revision has converged: everything
 * not held is in sync.
 */
import type { Resource, ResourceId } from '../../manifest/index.js';
import type { RevisionRecord } from '../../store/index.js';
import type { DesiredState } from '../../desired/desired.js';

/** A source being rolled out (src/rollout): some resources come from the previous revision, some wait. */
export interface RolloutOverlay {
  /** Resources whose declaration comes from another revision than their source's current one. */
  revisionById: ReadonlyMap<ResourceId, RevisionRecord>;
  /** Resources held at the previous revision by a rollout step, with why. */
  holds: ReadonlyMap<ResourceId, string>;
}

export class DesiredIndex {
  readonly byId: Map<ResourceId, Resource>;
  /** Ids not yet seen in sync (or held) under this revision. */
  readonly unconverged: Set<ResourceId>;
  readonly admittedAt: number;
  /** For each id, the ids that depend on it. */
  readonly dependents = new Map<ResourceId, ResourceId[]>();

  /**
   * @param revision the revision that made this index (the latest admitted)
   * @param revisions each source's current revision
   */
  constructor(
    readonly revision: RevisionRecord,
    readonly desired: DesiredState,
    readonly revisions: ReadonlyMap<string, RevisionRecord> = new Map([[revision.source, revision]]),
    readonly rollout?: RolloutOverlay,
  ) {
    this.byId = new Map(desired.resources.map((r) => [r.id, r]));
    // Converged = every resource of the new revision's source in sync.
    this.unconverged = new Set(
      desired.resources.filter((r) => revisions.size === 1 || r.source === revision.source).map((r) => r.id),
    );
    this.admittedAt = Date.now();
    for (const r of desired.resources)
      for (const dep of r.dependsOn) {
        let list = this.dependents.get(dep);
        if (!list) this.dependents.set(dep, (list = []));
        list.push(r.id);
      }
  }

  /** `id` is in sync or held: true when it was the last one, i.e. the revision just converged. */
  settle(id: ResourceId): boolean {
    return this.unconverged.delete(id) && this.unconverged.size === 0;
  }

  get source(): string {
    return this.desired.source;
  }

  /** Part of a revision only (a rollout step): its convergence is the rollout's to judge, not the revision's. */
  get partial(): boolean {
    return Boolean(this.rollout && (this.rollout.revisionById.size > 0 || this.rollout.holds.size > 0));
  }

  /** Why a rollout step holds `id` at the previous revision; undefined when it does not. */
  rolloutHold(id: ResourceId): string | undefined {
    return this.rollout?.holds.get(id);
  }

  /** The revision a resource comes from (its source's current one, or the one a rollout pins it to). */
  revisionOf(id: ResourceId): RevisionRecord {
    const pinned = this.rollout?.revisionById.get(id);
    if (pinned) return pinned;
    const source = this.byId.get(id)?.source;
    return (source && this.revisions.get(source)) || this.revision;
  }

  /** Whether a source's resources are part of this index. */
  hasSource(source: string): boolean {
    return this.desired.sources.includes(source);
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
