/** A resource that does not comply with a policy, and how it is shown as a diagnostic. */
import type { Diagnostic, ResourceId } from '../manifest/index.js';
import { POLICY_DENIED, POLICY_WARNING } from './errors.js';
import type { PolicyAction } from './schema.js';

/** Where a verdict was reached: on the desired state (validate, plan, admission) or on the observed state (serve). */
export type PolicyPhase = 'admission' | 'runtime';

export interface Violation {
  /** The policy's name (metadata.name; unique across namespaces). */
  policy: string;
  action: PolicyAction;
  resourceId: ResourceId;
  /** The policy's message, rendered for this resource. */
  message: string;
  phase: PolicyPhase;
  /** Where the resource is declared. */
  file?: string;
  line?: number;
  column?: number;
  /** Where the policy is declared (`file:line`). */
  policyOrigin?: string;
  /** The rule failed to evaluate (an error counts as a violation: policies fail closed). */
  error?: string;
}

/** The message with the evaluation error, if any: what records and events show. */
export function violationText(v: Pick<Violation, 'message' | 'error'>): string {
  return v.error ? `${v.message} (the rule failed: ${v.error})` : v.message;
}

/** deny -> an error, warn -> a warning; audit is a dry-run and never a diagnostic (undefined). */
export function violationDiagnostic(v: Violation): Diagnostic | undefined {
  if (v.action === 'audit') return undefined;
  const deny = v.action === 'deny';
  const detail = [`policy ${v.policy}${v.policyOrigin ? ` (${v.policyOrigin})` : ''}, action ${v.action}`];
  if (v.error) detail.push(`the rule could not be evaluated: ${v.error}; an error counts as a violation`);
  return {
    severity: deny ? 'error' : 'warning',
    code: deny ? POLICY_DENIED : POLICY_WARNING,
    summary: deny ? `denied by policy ${v.policy}: ${v.message}` : `policy ${v.policy} (warn): ${v.message}`,
    file: v.file,
    line: v.line,
    column: v.column,
    resourceId: v.resourceId,
    detail: detail.join('\n'),
    hint: v.error
      ? 'guard optional fields in the rule with has(...), e.g. has(object.metadata.labels.owner)'
      : deny
        ? "change the resource to comply, or set the policy's action to warn or audit while you roll it out"
        : undefined,
  };
}

/** The event a violation becomes under serve: a Warning `PolicyViolation` (deny, warn), a Normal `PolicyAudit` (audit: dry-run, nothing alerts). */
export function violationEvent(v: Violation): {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
} {
  return v.action === 'audit'
    ? {
        type: 'Normal',
        reason: 'PolicyAudit',
        message: `policy ${v.policy} (audit, not enforced): ${violationText(v)}`,
      }
    : {
        type: 'Warning',
        reason: 'PolicyViolation',
        message: `policy ${v.policy} (${v.action}): ${violationText(v)}`,
      };
}
