/**
 * Records policy violations, whatever their action: a row each in the
 * store (policy, resource, revision, action, message, when), a count in
 * `setpoint_policy_violations_total` when serve's metrics are there, and an
 * audit entry for each deny that refused something.
 */
import { violationText, type Violation } from '../policy/index.js';
import { redactor } from '../secrets/index.js';
import type { AuditInput, Store, ViolationRecord } from '../store/index.js';
import type { Metrics } from '../telemetry/metrics.js';

export interface ViolationSinks {
  store: Pick<Store, 'appendViolations'>;
  /** serve's metrics; one-shot runs have none (their record is the store). Defaults to none. */
  metrics?: Pick<Metrics, 'policyViolations'>;
  /** Appends audit entries (serve: through its recorder; one-shot runs: to the store). */
  audit(entry: Omit<AuditInput, 'time' | 'actor'>): void | Promise<void>;
}

export interface ViolationContext {
  revisionId?: string;
  /** The verdicts refused the revision or the plan: each deny gets an audit entry and `blocked`. */
  blocked: boolean;
  /** Defaults to now. */
  at?: string;
}

export async function recordViolations(
  violations: readonly Violation[],
  context: ViolationContext,
  sinks: ViolationSinks,
): Promise<ViolationRecord[]> {
  if (violations.length === 0) return [];
  const time = context.at ?? new Date().toISOString();
  const records = violations.map((v): ViolationRecord => ({
    time,
    policy: v.policy,
    resourceId: v.resourceId,
    revisionId: context.revisionId,
    action: v.action,
    phase: v.phase,
    blocked: context.blocked && v.action === 'deny',
    message: redactor.redact(violationText(v)),
  }));
  await sinks.store.appendViolations(records);
  for (const r of records) sinks.metrics?.policyViolations.inc({ policy: r.policy, action: r.action });
  for (const r of records)
    if (r.blocked)
      await sinks.audit({
        action: 'policy.deny',
        resourceId: r.resourceId,
        revisionId: r.revisionId,
        result: 'blocked',
        detail: { policy: r.policy, phase: r.phase, message: r.message },
      });
  return records;
}
