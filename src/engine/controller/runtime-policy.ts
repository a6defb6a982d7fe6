/**
 * Runtime audit under serve: the policies that read `actual` are judged
 * against each resource's observed state (as its provider displays it, the
 * view `setpoint describe` shows). Compliance is a condition on the resource,
 * `PolicyCompliant`; a change of that condition is a transition, recorded
 * once (a Warning event `PolicyViolation` per policy, a Normal `PolicyAudit`
 * for audit-mode ones, and a violation row each),
 * even when remediation repairs the target right after. Level-based: the
 * previous condition comes from the resource's record, so a restart neither
 * repeats nor loses a transition.
 */
import { setCondition, type Condition } from '../../health/index.js';
import { violationEvent, violationText, type PolicySet, type Violation } from '../../policy/index.js';
import type { EventType, ResourceRecord } from '../../store/index.js';
import type { Observation } from '../observe.js';
import type { DesiredIndex } from './desired-index.js';

export const POLICY_CONDITION = 'PolicyCompliant';

export interface RuntimeVerdict {
  /** The conditions to record (unchanged when nothing changed). */
  conditions: Condition[];
  /** violated: into violation, or to other violations; resolved: back to compliant. */
  transition?: 'violated' | 'resolved';
  /** The violations, on a `violated` transition only. */
  violations: Violation[];
}

/** Judges an observation; undefined when no runtime policy applies and none applied before. */
export function auditObserved(
  policies: PolicySet,
  obs: Observation,
  conditions: readonly Condition[],
  now: string,
): RuntimeVerdict | undefined {
  const prev = conditions.find((c) => c.type === POLICY_CONDITION);
  if (
    (policies.runtime.length === 0 && !prev) ||
    obs.orphan ||
    obs.error ||
    !obs.exists ||
    obs.actual === undefined
  )
    return undefined;
  const applicable = policies.runtimeFor(obs.resource);
  if (applicable === 0) {
    if (!prev) return undefined;
    // No runtime policy applies any more (removed or no longer matching): the condition goes.
    return {
      conditions: conditions.filter((c) => c.type !== POLICY_CONDITION),
      transition: prev.status === 'False' ? 'resolved' : undefined,
      violations: [],
    };
  }
  const shown = obs.provider.display ? obs.provider.display(obs.desired, obs.actual) : obs.actual;
  const violations = policies.audit(obs.resource, shown);
  const next: Omit<Condition, 'since'> =
    violations.length === 0
      ? {
          type: POLICY_CONDITION,
          status: 'True',
          reason: 'Compliant',
          message: `the observed state complies with ${applicable === 1 ? 'the runtime policy' : `all ${applicable} runtime policies`}`,
        }
      : {
          type: POLICY_CONDITION,
          status: 'False',
          reason: 'PolicyViolation',
          message: violations.map((v) => `${v.policy} (${v.action}): ${violationText(v)}`).join('; '),
        };
  if (prev && prev.status === next.status && prev.message === next.message)
    return { conditions: [...conditions], violations: [] };
  const updated = setCondition([...conditions], next, now);
  if (next.status === 'False') return { conditions: updated, transition: 'violated', violations };
  return {
    conditions: updated,
    transition: prev?.status === 'False' ? 'resolved' : undefined,
    violations: [],
  };
}

/** Where a transition is reported. */
export interface RuntimeAuditSink {
  event(type: EventType, reason: string, message: string, resourceId: string): void;
  /** Records the violations (store rows, metrics). */
  onViolations?(violations: Violation[], revisionId: string): void;
}

/**
 * Judges `obs` against the revision's runtime policies and sets the
 * PolicyCompliant condition on `record` (in place); a transition becomes
 * events (`PolicyViolation` or `PolicyAudit` per policy, or a Normal
 * `PolicyCompliant`) and violation records.
 */
export function auditRuntime(
  index: DesiredIndex,
  obs: Observation,
  record: ResourceRecord,
  now: string,
  sink: RuntimeAuditSink,
): void {
  const verdict = auditObserved(index.desired.policies, obs, record.conditions, now);
  if (!verdict) return;
  record.conditions = verdict.conditions;
  const id = obs.resource.id;
  if (verdict.transition === 'violated') {
    for (const v of verdict.violations) {
      const e = violationEvent(v);
      sink.event(e.type, e.reason, e.message, id);
    }
    sink.onViolations?.(verdict.violations, index.revisionOf(id).id);
  } else if (verdict.transition === 'resolved') {
    sink.event(
      'Normal',
      'PolicyCompliant',
      'the observed state complies with the runtime policies again',
      id,
    );
  }
}

/** Whether the PolicyCompliant condition differs (a transition to write even when nothing else changed). */
export function policyConditionChanged(before: readonly Condition[], after: readonly Condition[]): boolean {
  const a = before.find((c) => c.type === POLICY_CONDITION);
  const b = after.find((c) => c.type === POLICY_CONDITION);
  return a?.status !== b?.status || a?.message !== b?.message;
}

/** `conditions` with the PolicyCompliant condition taken from `from` (for records that keep older conditions). */
export function withPolicyCondition(
  conditions: readonly Condition[],
  from: readonly Condition[],
): Condition[] {
  const policy = from.find((c) => c.type === POLICY_CONDITION);
  const rest = conditions.filter((c) => c.type !== POLICY_CONDITION);
  return policy ? [...rest, policy] : rest;
}
