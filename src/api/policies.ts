/** Policies: what is declared with what it found, and the policy tests. */
import { loadDesired } from '../desired/desired.js';
import { testPolicies as runPolicyTests, type PolicyTestReport } from '../policy/test-runner.js';
import { POLICY_KIND } from '../policy/index.js';
import type { ApiContext } from './context.js';
import type { PolicyListing } from './types.js';

/** The declared policies, with violation counts and the most recent violations from the state. */
export async function policies(
  ctx: ApiContext,
  options: { paths?: readonly string[]; limit?: number; policy?: string } = {},
): Promise<PolicyListing> {
  const desired = await (await ctx.engine()).loadDesired(ctx.manifestPaths(options.paths));
  const store = await ctx.store();
  const totals = await store.violationTotals();
  const declared = desired.policies.policies.map((p) => {
    const mine = totals.filter((t) => t.policy === p.name);
    return {
      name: p.name,
      id: p.id,
      action: p.action,
      description: p.description,
      match: p.match,
      rule: p.rule,
      runtime: p.runtime,
      origin: p.origin,
      violations: mine.reduce((n, t) => n + t.count, 0),
      lastViolation: mine.reduce<string | undefined>((m, t) => (m && m > t.last ? m : t.last), undefined),
    };
  });
  const violations = await store.listViolations({ policy: options.policy, limit: options.limit ?? 20 });
  return {
    policies: declared,
    totals,
    violations,
    diagnostics: desired.diagnostics.items.filter((d) => d.resourceId?.startsWith(`${POLICY_KIND}/`)),
  };
}

/** Runs the policy tests (`*.test.yaml` fixtures) under `paths` (default: the manifest folders). */
export function testPolicies(ctx: ApiContext, paths?: readonly string[]): PolicyTestReport {
  return runPolicyTests({
    paths: ctx.manifestPaths(paths),
    catalog: ctx.registry,
    load: (p) =>
      loadDesired({
        paths: p,
        catalog: ctx.registry,
        projectRoot: ctx.settings.root,
        defaultNamespace: ctx.settings.namespace,
      }),
  });
}
