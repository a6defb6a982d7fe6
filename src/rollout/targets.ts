/**
 * Rollout targets: what a step promotes and a rollback returns. A target is
 * a named thing that can be pinned to a revision; a rollout keeps one pin
 * per target (`RolloutRecord.pins`). On one host the targets are resources
 * (this file's `resourceTargets`); across a fleet they are enrolled nodes
 * (node-targets.ts). The runner (runner.ts) only ever sees the TargetDriver
 * interface.
 */
import type { Resource } from '../manifest/index.js';
import type { DesiredState } from '../desired/desired.js';
import type { ResourceRecord } from '../store/index.js';
import type { RolloutRecord } from '../store/index.js';
import type { RolloutSpec } from './schema.js';

export interface RolloutTarget {
  /** Unique within a rollout and stable across revisions: a resource id here, `node/<name>` for nodes. */
  id: string;
  /** Matched by `selector` promotions. */
  labels: Record<string, string>;
  /** Named groups of the strategy it belongs to. */
  groups: string[];
  /** Its declaration differs between the two revisions (added, changed or removed). */
  changed: boolean;
  /** Only the previous revision has it. */
  removed?: boolean;
  /** A resource target: its spec in the new revision, as JSON (an in-sync record with it runs the new revision). */
  spec?: string;
  /** A node target: the ids of its resources whose declaration differs between the two revisions. */
  changedIds?: string[];
}

/** How one resource stands on one target, as that target last reported it (a node's report). */
export interface TargetHealth {
  target: string;
  health: string;
  message?: string;
  /** The target does not run the revision it is pinned to yet, or the result predates it: it says nothing of it. */
  stale?: boolean;
  /** Why it is stale ("no result observed since the node took its set"). */
  why?: string;
}

/** Whether the targets pinned to a revision run it: applied and healthy. */
export interface Readiness {
  ready: boolean;
  /** Targets not ready yet, with why ("File/default/a: Progressing"). */
  waiting: string[];
}

/** What a kind of target provides to the rollout runner. */
export interface TargetDriver {
  /** Every target `spec` governs between two revisions, in a stable order. */
  targets(
    spec: RolloutSpec,
    previous: DesiredState,
    next: DesiredState,
  ): RolloutTarget[] | Promise<RolloutTarget[]>;
  /** Whether `targets` run `revision` now. */
  readiness(targets: readonly RolloutTarget[], revision: string): Promise<Readiness>;
  /**
   * For health gates: how resources `ids` stand on `targets`, by id; an id
   * none of them runs is absent (the gate then reads the host's records).
   * Drivers whose targets are the host's own resources have none.
   */
  health?(targets: readonly RolloutTarget[], ids: readonly string[]): Promise<Map<string, TargetHealth[]>>;
}

/** All the labels match. */
export function matchesLabels(labels: Record<string, string>, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/**
 * Resources as targets, on the host serve runs on: the resources of the
 * strategy's source that match its selector in either revision, in id order.
 */
export function resourceTargets(
  spec: RolloutSpec,
  previous: DesiredState,
  next: DesiredState,
): RolloutTarget[] {
  const before = new Map(previous.resources.map((r) => [r.id, r]));
  const after = new Map(next.resources.map((r) => [r.id, r]));
  const ids = [...new Set([...before.keys(), ...after.keys()])].sort();
  const out: RolloutTarget[] = [];
  for (const id of ids) {
    const r = (after.get(id) ?? before.get(id))!;
    const labels = r.metadata.labels;
    if (spec.selector && !matchesLabels(labels, spec.selector)) continue;
    out.push({
      id,
      labels,
      groups: Object.entries(spec.groups)
        .filter(([, g]) => inGroup(r, g))
        .map(([name]) => name),
      changed: before.get(id)?.digest !== after.get(id)?.digest,
      ...(after.has(id) ? { spec: JSON.stringify(after.get(id)!.spec) } : { removed: true }),
    });
  }
  return out;
}

function inGroup(r: Resource, g: RolloutSpec['groups'][string]): boolean {
  return (
    (g.resources?.some((id) => id === r.id || `${r.key.kind}/${r.key.name}` === id) ?? false) ||
    (g.selector !== undefined && matchesLabels(r.metadata.labels, g.selector))
  );
}

/**
 * The resource driver: a changed target is ready when its record says it was
 * applied from `revision` (or holds its new spec), is in sync and is not
 * unhealthy; a removed one when it is no longer declared. Unchanged targets
 * are ready as they are.
 */
export class ResourceTargetDriver implements TargetDriver {
  constructor(private readonly records: (ids: string[]) => Promise<ResourceRecord[]>) {}

  targets(spec: RolloutSpec, previous: DesiredState, next: DesiredState): RolloutTarget[] {
    return resourceTargets(spec, previous, next);
  }

  async readiness(targets: readonly RolloutTarget[], revision: string): Promise<Readiness> {
    const changed = targets.filter((t) => t.changed);
    if (changed.length === 0) return { ready: true, waiting: [] };
    const byId = new Map((await this.records(changed.map((t) => t.id))).map((r) => [r.id, r]));
    const waiting: string[] = [];
    for (const { id, removed, spec } of changed) {
      const r = byId.get(id);
      if (removed) {
        if (r?.declared) waiting.push(`${id}: still declared`);
        continue;
      }
      if (!r) {
        waiting.push(`${id}: not created yet`);
        continue;
      }
      // Applied from the revision, or in sync with its declaration (a change nothing had to act on).
      if (r.lastAppliedRevision !== revision && JSON.stringify(r.spec) !== spec)
        waiting.push(`${id}: not applied yet`);
      else if (r.sync !== 'InSync') waiting.push(`${id}: ${r.sync}`);
      else if (r.health === 'Degraded' || r.health === 'Missing' || r.health === 'Progressing')
        waiting.push(`${id}: ${r.health}${r.healthMessage ? ` (${r.healthMessage})` : ''}`);
    }
    return { ready: waiting.length === 0, waiting };
  }
}

// --- Nodes as targets: what the runner and the API need; the driver is fleet/rollout-targets.ts. ---

const PREFIX = 'node/';
export const nodeTargetId = (name: string): string => PREFIX + name;
/** The node name of a node target id; undefined for other targets. */
export const nodeOfTarget = (id: string): string | undefined =>
  id.startsWith(PREFIX) ? id.slice(PREFIX.length) : undefined;

/** A resource the strategy governs (its selector; every resource without one). */
export const governs = (spec: Pick<RolloutSpec, 'selector'>, r: Resource): boolean =>
  !spec.selector || matchesLabels(r.metadata.labels, spec.selector);

/**
 * What a strategy's steps promote between two revisions: its `targets`, or
 * with auto, nodes when every resource it governs goes to nodes (a
 * nodeSelector) and at least one does; resources otherwise.
 */
export function targetKind(
  spec: Pick<RolloutSpec, 'selector' | 'targets'>,
  previous: DesiredState,
  next: DesiredState,
): 'resources' | 'nodes' {
  if (spec.targets !== 'auto') return spec.targets;
  const g = (list: readonly Resource[] | undefined) => (list ?? []).some((r) => governs(spec, r));
  const onNodes = g(previous.nodeResources) || g(next.nodeResources);
  const onHost = g(previous.resources) || g(next.resources);
  return onNodes && !onHost ? 'nodes' : 'resources';
}

/** A rollout whose targets are nodes, with both revisions loaded. */
export interface NodeRollout {
  spec: Pick<RolloutSpec, 'source' | 'selector'>;
  /** Read at each call: serve passes its live record, so a new step takes effect at once. */
  record: Pick<RolloutRecord, 'id' | 'from' | 'to' | 'pins' | 'targets'>;
  previous: DesiredState;
  next: DesiredState;
}
