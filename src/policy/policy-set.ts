/**
 * The compiled policies of one revision, and the two ways to ask them:
 * `admit` (desired state: validate, plan, admission of a revision) and
 * `audit` (one resource's observed state, continuously under serve).
 */
import type { Resource } from '../manifest/index.js';
import { ACTUAL_VAR, OBJECT_VAR, toCel } from './cel.js';
import { policyObject, subjectOf, type CompiledPolicy } from './compile.js';
import type { Violation, PolicyPhase } from './violation.js';

export class PolicySet {
  static readonly EMPTY = new PolicySet([]);
  /** Rules over the desired state only. */
  readonly admission: readonly CompiledPolicy[];
  /** Rules that read `actual`. */
  readonly runtime: readonly CompiledPolicy[];

  constructor(readonly policies: readonly CompiledPolicy[]) {
    this.admission = policies.filter((p) => !p.runtime);
    this.runtime = policies.filter((p) => p.runtime);
  }

  /** Several sources' policies as one set (names are unique per source; the first of a name wins). */
  static merge(sets: readonly PolicySet[]): PolicySet {
    const nonEmpty = sets.filter((s) => s.size > 0);
    if (nonEmpty.length <= 1) return nonEmpty[0] ?? PolicySet.EMPTY;
    const byName = new Map<string, CompiledPolicy>();
    for (const s of nonEmpty) for (const p of s.policies) if (!byName.has(p.name)) byName.set(p.name, p);
    return new PolicySet([...byName.values()]);
  }

  /** What identifies the policies in a revision digest: each Policy document and its declared digest. */
  digestEntries(): Array<{ resource: Resource; renderedDigest: string }> {
    return this.policies.map((p) => ({ resource: p.resource, renderedDigest: p.resource.digest }));
  }

  get size(): number {
    return this.policies.length;
  }

  get(name: string): CompiledPolicy | undefined {
    return this.policies.find((p) => p.name === name);
  }

  /** Violations of the desired-state policies by these resources. */
  admit(resources: readonly Resource[]): Violation[] {
    if (this.admission.length === 0) return [];
    const out: Violation[] = [];
    for (const r of resources) {
      const subject = subjectOf(r);
      const applicable = this.admission.filter((p) => p.applies(subject));
      if (applicable.length === 0) continue;
      const context = { [OBJECT_VAR]: policyObject(r) };
      for (const p of applicable) {
        const v = judge(p, r, context, 'admission');
        if (v) out.push(v);
      }
    }
    return out;
  }

  /** How many runtime policies apply to this resource. */
  runtimeFor(resource: Resource): number {
    const subject = subjectOf(resource);
    return this.runtime.filter((p) => p.applies(subject)).length;
  }

  /** Violations of the runtime policies by one resource's observed state (`actual`, as the provider displays it). */
  audit(resource: Resource, actual: unknown): Violation[] {
    const applicable = this.runtime.filter((p) => p.applies(subjectOf(resource)));
    if (applicable.length === 0) return [];
    const context = { [OBJECT_VAR]: policyObject(resource), [ACTUAL_VAR]: toCel(actual ?? {}) };
    const out: Violation[] = [];
    for (const p of applicable) {
      const v = judge(p, resource, context, 'runtime');
      if (v) out.push(v);
    }
    return out;
  }
}

/** One policy's verdict on one resource, as a violation (undefined when it complies). */
export function judge(
  p: CompiledPolicy,
  r: Resource,
  context: Record<string, unknown>,
  phase: PolicyPhase,
): Violation | undefined {
  const verdict = p.evaluate(context);
  if (verdict.compliant) return undefined;
  return {
    policy: p.name,
    action: p.action,
    resourceId: r.id,
    message: verdict.message,
    phase,
    file: r.origin.file,
    line: r.origin.line,
    column: r.origin.column,
    policyOrigin: p.origin,
    error: verdict.error,
  };
}
