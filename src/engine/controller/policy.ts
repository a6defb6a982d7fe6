/**
 * Which way an action goes under serve: applied now, only reported, or
 * proposed for approval. Pure.
 *
 * - auto: converge on new revisions and repair drift at once.
 * - alert: converge on new revisions; drift is recorded and alerted, never
 *   repaired automatically.
 * - approve: every action waits for a person.
 * Destructive actions (deleting or replacing something that holds data) wait
 * for approval unless the resource itself says `remediation: auto`.
 */
import type { Remediation } from '../../manifest/index.js';

export type Mode = 'apply' | 'report' | 'approve';

export interface PolicyInput {
  /** The resource's own lifecycle.remediation, if it sets one. */
  declared?: Remediation;
  /** The project's default (setpoint.yaml defaults.remediation). */
  projectDefault: Remediation;
  /** The action repairs drift (the desired state did not change since the last apply). */
  isDrift: boolean;
  destructive: boolean;
  /** A blast-radius guard was hit (maxDeletesPerRun). */
  overDeleteBudget?: boolean;
}

export function modeFor(p: PolicyInput): { mode: Mode; why: string } {
  const remediation = p.declared ?? p.projectDefault;
  if (p.overDeleteBudget)
    return { mode: 'approve', why: 'more deletes than reconcile.maxDeletesPerRun allows' };
  if (p.destructive && p.declared !== 'auto')
    return { mode: 'approve', why: 'destructive actions need approval' };
  if (remediation === 'approve') return { mode: 'approve', why: 'remediation: approve' };
  if (remediation === 'alert' && p.isDrift) return { mode: 'report', why: 'remediation: alert' };
  return { mode: 'apply', why: p.isDrift ? 'remediation: auto' : 'new desired state' };
}
