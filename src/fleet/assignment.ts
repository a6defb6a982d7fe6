/**
 * Which desired state a node gets: the one decision every path (the long
 * poll, `render --node`, `plan --node`, the behind-revision alert) asks
 * here. Today a node gets the current revision; a rollout pins a node to
 * another one by passing a pin, so the decision stays in one place.
 */
import type { Resource } from '../manifest/index.js';
import type { NodeRecord } from '../store/index.js';

/** A revision's resources that go to nodes, and its id. */
export interface Assignment {
  /** The revision id (several sources: each source's, joined with "+"). */
  revision: string;
  resources: readonly Resource[];
}

/** Returns the assignment a node is pinned to, or undefined to let the next pin (or the current revision) decide. */
export type NodePin = (node: Pick<NodeRecord, 'name' | 'labels' | 'facts'>) => Assignment | undefined;

/** The first pin that claims the node, else the current revision. */
export function assignRevision(
  node: Pick<NodeRecord, 'name' | 'labels' | 'facts'>,
  current: Assignment,
  pins: readonly NodePin[] = [],
): Assignment {
  for (const pin of pins) {
    const pinned = pin(node);
    if (pinned) return pinned;
  }
  return current;
}
