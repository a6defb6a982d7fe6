/**
 * Resources placed on nodes (a nodeSelector) that no enrolled node matches:
 * nothing enforces them, so admission and `plan` warn, naming the resource
 * and its selector. A warning, not an error: the nodes may enrol later.
 */
import { formatSelector, type Diagnostic, type Resource } from '../manifest/index.js';
import type { NodeRecord } from '../store/index.js';
import { selectFor } from './compile.js';

export const NO_NODE_SELECTED = 'SETPOINT_NO_NODE_SELECTED';

/** The node resources that select none of `nodes` (revoked nodes do not count). */
export function unplacedResources(
  resources: readonly Resource[],
  nodes: readonly Pick<NodeRecord, 'labels' | 'facts' | 'revokedAt'>[],
): Resource[] {
  const live = nodes.filter((n) => !n.revokedAt);
  return resources.filter((r) => !live.some((n) => selectFor(n, [r]).length > 0));
}

/** One warning per unplaced resource. */
export function unplacedWarnings(
  resources: readonly Resource[],
  nodes: readonly Pick<NodeRecord, 'labels' | 'facts' | 'revokedAt'>[],
): Diagnostic[] {
  return unplacedResources(resources, nodes).map((r) => ({
    severity: 'warning',
    code: NO_NODE_SELECTED,
    summary: `${r.id} selects no enrolled node (nodeSelector ${formatSelector(r.nodeSelector!)}): nothing enforces it`,
    file: r.origin.file,
    line: r.origin.line,
    column: r.origin.column,
    resourceId: r.id,
    field: 'nodeSelector',
    hint: '`setpoint nodes` lists the enrolled nodes and their labels; enrol a matching node or change the selector',
  }));
}
