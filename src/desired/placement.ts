/**
 * Where each resource is enforced: resources with a nodeSelector (their own,
 * or their source's) go to enrolled nodes and are set apart; the rest stay
 * with the server's own host, exactly as before nodes existed.
 */
import {
  declaredDigest,
  intersectSelectors,
  type Diagnostics,
  type NodeSelector,
  type Resource,
} from '../manifest/index.js';

export function splitByPlacement(
  all: readonly Resource[],
  sourceSelector: NodeSelector | undefined,
  diagnostics: Diagnostics,
): { resources: Resource[]; nodeResources: Resource[] } {
  const resources: Resource[] = [];
  const nodeResources: Resource[] = [];
  for (const r of all) {
    const selector = intersectSelectors(sourceSelector, r.nodeSelector);
    if (!selector) {
      resources.push(r);
      continue;
    }
    const placed = r.nodeSelector === selector ? r : { ...r, nodeSelector: selector };
    if (placed !== r) placed.digest = declaredDigest(placed);
    nodeResources.push(placed);
  }
  // A resource of this host cannot wait for one enforced on nodes: the host never sees it in sync.
  const onNodes = new Set(nodeResources.map((r) => r.id));
  for (const r of resources)
    r.dependsOn.forEach((dep, i) => {
      if (!onNodes.has(dep)) return;
      diagnostics.error({
        code: 'SETPOINT_DEPENDENCY_ELSEWHERE',
        summary: `${r.id} depends on ${dep}, which goes to enrolled nodes (nodeSelector), not to this host`,
        file: r.origin.file,
        line: r.origin.line,
        column: r.origin.column,
        resourceId: r.id,
        field: `dependsOn[${i}]`,
        hint: `give ${r.id} the same nodeSelector, or remove the dependency`,
      });
    });
  return { resources, nodeResources };
}
