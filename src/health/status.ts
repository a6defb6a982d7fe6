/** The status model of DESIGN.md: sync and health per resource, with conditions. */
import type { HealthStatus } from './types.js';

export type { Health, HealthStatus } from './types.js';
export { HEALTH_RANK } from './types.js';

/**
 * Held: out of sync on purpose, not failing: a deny change window is open,
 * the resource is in `alert` remediation mode, its change was rejected, or
 * an SLO's error budget is exhausted (ErrorBudget).
 * A revision counts converged when everything not held is in sync, and held
 * time is no error for SLOs (the record's `held` says why and since when).
 * Blocked: refused by a rule of the plan (e.g. preventDestroy, a policy).
 */
export type SyncStatus =
  'InSync' | 'Drifted' | 'Pending' | 'Applying' | 'Failed' | 'Conflict' | 'Blocked' | 'Held';

/** Why a resource is Held. */
/** RolloutStep: a newer revision's change waits for its rollout step (src/rollout). */
export type HeldReason = 'ChangeWindow' | 'AlertMode' | 'ApprovalRejected' | 'ErrorBudget' | 'RolloutStep';

/**
 * Whether a resource counts as drifted (drift ratio, drift gauges): it
 * differs from what setpoint applied — Drifted, Conflict, or Held in alert
 * mode (drift that is reported, not repaired).
 */
export function isDrifted(sync: SyncStatus, heldReason?: HeldReason): boolean {
  return sync === 'Drifted' || sync === 'Conflict' || (sync === 'Held' && heldReason === 'AlertMode');
}

export const HELD_REASONS: readonly HeldReason[] = [
  'ChangeWindow',
  'AlertMode',
  'ApprovalRejected',
  'ErrorBudget',
  'RolloutStep',
];

export const SYNC_STATUSES: readonly SyncStatus[] = [
  'InSync',
  'Drifted',
  'Pending',
  'Applying',
  'Failed',
  'Conflict',
  'Blocked',
  'Held',
];
export const HEALTH_STATUSES: readonly HealthStatus[] = [
  'Healthy',
  'Progressing',
  'Degraded',
  'Missing',
  'Unknown',
];

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  /** When the status last changed. */
  since: string;
}

/** Sets or replaces a condition, keeping `since` when the status did not change. */
export function setCondition(
  conditions: Condition[],
  next: Omit<Condition, 'since'>,
  now: string,
): Condition[] {
  const old = conditions.find((c) => c.type === next.type);
  const since = old && old.status === next.status ? old.since : now;
  return [...conditions.filter((c) => c.type !== next.type), { ...next, since }];
}
