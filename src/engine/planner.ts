/**
 * Builds a plan from observations: the provider's diff for each declared
 * resource, prune decisions for the ones that left the manifests, and the
 * lifecycle guards (preventDestroy).
 */
import { Diagnostics, type ResourceId } from '../manifest/index.js';
import { decideDesired, decideOrphan, summarize, type Action, type Plan } from '../plan/index.js';
import { differences } from './inspect.js';
import type { Observation } from './observe.js';

export interface PlanOptions {
  /** Prune every orphan (--prune); otherwise only those whose lifecycle.prune is on. Defaults to false. */
  prune?: boolean;
  /** Only these ids (already expanded to their dependencies). Defaults to all. */
  targets?: ReadonlySet<ResourceId>;
}

export function buildPlan(
  observations: readonly Observation[],
  revision: string,
  options: PlanOptions = {},
): Plan {
  const diags = new Diagnostics();
  const actions: Action[] = [];
  const orphans: ResourceId[] = [];
  const inScope = (id: ResourceId) => !options.targets || options.targets.has(id);

  const pruned = observations.filter(
    (o) => o.orphan && inScope(o.resource.id) && (options.prune || o.resource.lifecycle.prune),
  );
  const prunedIds = new Set(pruned.map((o) => o.resource.id));
  const dependentsOf = new Map<ResourceId, ResourceId[]>();
  for (const o of pruned)
    for (const dep of o.resource.dependsOn)
      if (prunedIds.has(dep)) dependentsOf.set(dep, [...(dependentsOf.get(dep) ?? []), o.resource.id]);

  for (const o of observations) {
    const { resource, provider } = o;
    if (!inScope(resource.id)) continue;
    if (o.orphan && !prunedIds.has(resource.id)) {
      orphans.push(resource.id);
      continue;
    }
    if (o.error || o.unknown) {
      diags.add((o.error ?? o.unknown)!);
      continue;
    }
    const destructiveIfRemoved = o.exists ? (provider.isDestructive?.(o.desired, o.actual) ?? true) : false;
    const action = o.orphan
      ? decideOrphan({
          id: resource.id,
          kind: resource.key.kind,
          exists: o.exists,
          destructiveIfRemoved,
          dependents: dependentsOf.get(resource.id) ?? [],
        })
      : decideDesired({
          id: resource.id,
          kind: resource.key.kind,
          absent: o.absent,
          exists: o.exists,
          changes: differences(o),
          lifecycle: resource.lifecycle,
          dependsOn: resource.dependsOn.filter(inScope),
          destructiveIfRemoved,
        });
    if ((action.op === 'delete' || action.op === 'replace') && resource.lifecycle.preventDestroy) {
      diags.error({
        code: 'SETPOINT_PREVENT_DESTROY',
        summary: `the plan would ${action.op} ${resource.id}, which has lifecycle.preventDestroy set`,
        file: resource.origin.file,
        line: resource.origin.line,
        column: resource.origin.column,
        resourceId: resource.id,
        field: 'lifecycle.preventDestroy',
        detail: `reason: ${action.reason}`,
        hint: 'remove preventDestroy first if the resource really must go',
      });
    }
    actions.push(action);
  }
  return {
    revision,
    actions,
    summary: summarize(actions),
    orphans: orphans.sort(),
    diagnostics: diags.items,
    createdAt: new Date().toISOString(),
  };
}
