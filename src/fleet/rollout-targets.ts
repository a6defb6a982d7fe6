/**
 * Enrolled nodes as rollout targets (`node/<name>`): the nodes whose set
 * changes between two revisions of the source (the resources the strategy
 * governs select them by nodeSelector), labelled with the node's labels and
 * facts, so `canary: 1`, `25%`, named groups and selector steps pick nodes.
 * A node target runs a revision when its last report says it holds the set
 * the server gives it now (its pin applied) and the resources that changed
 * there are in sync and not Degraded, Missing or Progressing, as observed
 * since the node took that set. Health gates read the nodes' reports and
 * count only results observed since the node took its set and applied what
 * changed (fresh-results.ts).
 */
import type { Resource } from '../manifest/index.js';
import type { DesiredState } from '../desired/desired.js';
import { nodeLabels, selectFor } from './compile.js';
import { reportedSinceTaken, resultFreshness } from './fresh-results.js';
import type { NodeRecord, NodeResourceStatus } from '../store/index.js';
import {
  governs,
  matchesLabels,
  nodeOfTarget,
  nodeTargetId,
  type Readiness,
  type RolloutSpec,
  type RolloutTarget,
  type TargetDriver,
  type TargetHealth,
} from '../rollout/index.js';

/** The targets: enrolled (not revoked) nodes whose governed resources differ between the revisions, by name. */
export function nodeTargets(
  spec: RolloutSpec,
  previous: DesiredState,
  next: DesiredState,
  nodes: readonly NodeRecord[],
): RolloutTarget[] {
  const before = (previous.nodeResources ?? []).filter((r) => governs(spec, r));
  const after = (next.nodeResources ?? []).filter((r) => governs(spec, r));
  const out: RolloutTarget[] = [];
  for (const node of [...nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (node.revokedAt) continue;
    const was = new Map(selectFor(node, before).map((r) => [r.id, r.digest]));
    const is = new Map(selectFor(node, after).map((r) => [r.id, r.digest]));
    const changedIds = [...new Set([...was.keys(), ...is.keys()])]
      .filter((id) => was.get(id) !== is.get(id))
      .sort();
    if (changedIds.length === 0) continue;
    const labels = nodeLabels(node);
    out.push({
      id: nodeTargetId(node.name),
      labels,
      groups: Object.entries(spec.groups)
        .filter(
          ([, g]) =>
            (g.resources?.some((n) => n === node.name || n === nodeTargetId(node.name)) ?? false) ||
            (g.selector !== undefined && matchesLabels(labels, g.selector)),
        )
        .map(([name]) => name),
      changed: true,
      changedIds,
    });
  }
  return out;
}

/**
 * The node resources a node held at the previous revision gets while a
 * rollout runs: `current` (every source's, combined) with the resources
 * this strategy governs as the previous revision declares them.
 */
export function heldNodeResources(
  spec: Pick<RolloutSpec, 'source' | 'selector'>,
  current: readonly Resource[],
  previous: DesiredState,
  next: DesiredState,
): Resource[] {
  const governed = new Set(
    [...(previous.nodeResources ?? []), ...(next.nodeResources ?? [])]
      .filter((r) => governs(spec, r))
      .map((r) => r.id),
  );
  const out = current.filter((r) => !(r.source === spec.source && governed.has(r.id)));
  const taken = new Set(out.map((r) => r.id));
  for (const r of previous.nodeResources ?? []) if (governs(spec, r) && !taken.has(r.id)) out.push(r);
  return out;
}

/** What the node driver reads of the fleet: the nodes, and the set the server gives one now. */
export interface NodeView {
  list(): Promise<NodeRecord[]>;
  /** The node and the set it gets now (rollout pins applied); undefined when it is not enrolled. */
  get(name: string): Promise<{ node: NodeRecord; set?: { digest: string; ids: string[] } } | undefined>;
}

const UNREADY_HEALTH = new Set(['Degraded', 'Missing', 'Progressing']);

export class NodeTargetDriver implements TargetDriver {
  constructor(private readonly view: NodeView) {}

  async targets(spec: RolloutSpec, previous: DesiredState, next: DesiredState): Promise<RolloutTarget[]> {
    return nodeTargets(spec, previous, next, await this.view.list());
  }

  async readiness(targets: readonly RolloutTarget[], _revision: string): Promise<Readiness> {
    const waiting: string[] = [];
    for (const t of targets) {
      const got = await this.view.get(nodeOfTarget(t.id)!);
      // A node revoked (or removed) meanwhile runs nothing more from here: it holds no step back.
      if (!got || got.node.revokedAt) continue;
      const { node, set } = got;
      if (!set || node.appliedDigest !== set.digest) {
        waiting.push(
          `${t.id}: holds set ${node.appliedDigest?.slice(0, 12) ?? 'none'}, not ${set?.digest.slice(0, 12) ?? 'its set'} yet`,
        );
        continue;
      }
      const status = new Map(node.resources.map((s) => [s.id, s]));
      // Only what changed there: how the unchanged resources stand (an HttpCheck) is for the gates to judge.
      for (const id of (t.changedIds ?? []).filter((i) => set.ids.includes(i))) {
        const s = status.get(id);
        if (!s) waiting.push(`${t.id} ${id}: not reported yet`);
        else if (!reportedSinceTaken(node, set.digest, s))
          waiting.push(`${t.id} ${id}: not reported since the node took its set`);
        else if (s.sync !== 'InSync')
          waiting.push(`${t.id} ${id}: ${s.sync}${s.lastError ? ` (${s.lastError})` : ''}`);
        else if (UNREADY_HEALTH.has(s.health)) waiting.push(`${t.id} ${id}: ${s.health}${healthNote(s)}`);
      }
    }
    return { ready: waiting.length === 0, waiting };
  }

  async health(
    targets: readonly RolloutTarget[],
    ids: readonly string[],
  ): Promise<Map<string, TargetHealth[]>> {
    const out = new Map<string, TargetHealth[]>();
    for (const t of targets) {
      const got = await this.view.get(nodeOfTarget(t.id)!);
      if (!got?.set || got.node.revokedAt) continue;
      const { node, set } = got;
      const status = new Map(node.resources.map((s) => [s.id, s]));
      for (const id of ids) {
        if (!set.ids.includes(id)) continue;
        const s = status.get(id);
        let list = out.get(id);
        if (!list) out.set(id, (list = []));
        const fresh = resultFreshness(node, set.digest, id);
        list.push({
          target: t.id,
          health: s?.health ?? 'Unknown',
          message: s ? noteOf(s) : 'not reported yet',
          // A result from before the node took its set (or one that cannot be told) says nothing of it.
          stale: node.appliedDigest !== set.digest || !fresh.fresh,
          ...(fresh.fresh ? {} : { why: fresh.why }),
        });
      }
    }
    return out;
  }
}

const noteOf = (s: NodeResourceStatus): string | undefined => s.healthMessage ?? s.lastError;

function healthNote(s: NodeResourceStatus): string {
  const m = noteOf(s);
  return m ? ` (${m})` : '';
}
