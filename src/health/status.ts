/** The status model of DESIGN.md: sync and health per resource, with conditions. */
import type { HealthStatus } from '../provider/types.js';

export type { Health, HealthStatus } from '../provider/types.js';
export { HEALTH_RANK } from '../provider/types.js';

export type SyncStatus = 'InSync' | 'Drifted' | 'Pending' | 'Applying' | 'Failed' | 'Conflict' | 'Blocked';

export const SYNC_STATUSES: readonly SyncStatus[] = [
  'InSync',
  'Drifted',
  'Pending',
  'Applying',
  'Failed',
  'Conflict',
  'Blocked',
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
