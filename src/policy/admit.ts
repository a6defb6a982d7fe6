/**
 * Separates Policy documents from the resources setpoint manages, compiles
 * them and judges the desired state: deny violations become errors (the
 * revision is refused as a whole), warn violations warnings; audit
 * violations are returned for the record only.
 */
import type { Diagnostics, FieldLocator, Resource } from '../manifest/index.js';
import { compilePolicy } from './compile.js';
import { POLICY_INVALID } from './errors.js';
import { PolicySet } from './policy-set.js';
import { POLICY_KIND } from './schema.js';
import { violationDiagnostic, type Violation } from './violation.js';

export interface Admitted {
  /** The managed resources: everything but policies. */
  resources: Resource[];
  policies: PolicySet;
  /** Every violation of the desired state, all actions. */
  violations: Violation[];
}

export interface AdmitOptions {
  /** Finds field positions for diagnostics. Defaults to the document's position. */
  locator?: FieldLocator;
  /** Known kinds, to flag a match on an unknown one. Defaults to no check. */
  kinds?: readonly string[];
}

export function isPolicy(resource: Resource): boolean {
  return resource.key.kind === POLICY_KIND;
}

export function admitResources(
  all: readonly Resource[],
  diags: Diagnostics,
  options: AdmitOptions = {},
): Admitted {
  if (!all.some(isPolicy)) return { resources: [...all], policies: PolicySet.EMPTY, violations: [] };
  const resources = all.filter((r) => !isPolicy(r));
  const declared = all.filter(isPolicy);
  const compiled = [];
  const byName = new Map<string, Resource>();
  for (const p of declared) {
    const first = byName.get(p.metadata.name);
    if (first) {
      diags.error({
        code: POLICY_INVALID,
        summary: `policy name ${p.metadata.name} is used twice (${first.id} and ${p.id})`,
        file: p.origin.file,
        line: p.origin.line,
        column: p.origin.column,
        resourceId: p.id,
        field: 'metadata.name',
        detail: `first declared at ${first.origin.file}:${first.origin.line}`,
        hint: 'policy names are unique across namespaces: they label metrics and violation records',
      });
      continue;
    }
    byName.set(p.metadata.name, p);
    const c = compilePolicy(p, diags, options);
    if (c) compiled.push(c);
  }
  const policyIds = new Set(declared.map((p) => p.id));
  for (const r of resources)
    for (const [i, dep] of r.dependsOn.entries())
      if (policyIds.has(dep))
        diags.error({
          code: POLICY_INVALID,
          summary: `depends on ${dep}, a Policy: policies are not managed targets`,
          file: r.origin.file,
          line: r.origin.line,
          column: r.origin.column,
          resourceId: r.id,
          field: `dependsOn[${i}]`,
          hint: 'remove the dependency; a policy applies at admission, before anything is applied',
        });
  const policies = new PolicySet(compiled);
  const violations = policies.admit(resources);
  for (const v of violations) {
    const d = violationDiagnostic(v);
    if (d) diags.add(d);
  }
  return { resources, policies, violations };
}
