/**
 * The policy part of the store contract: every violation, whatever its
 * action, with the policy, resource, revision and when. Unlike Gatekeeper's
 * last-20-per-constraint status, nothing is dropped: the table is the history.
 */
import type { ResourceId } from '../manifest/index.js';

export interface ViolationRecord {
  seq?: number;
  time: string;
  /** The policy's name. */
  policy: string;
  resourceId: ResourceId;
  /** The revision judged (admission) or in force (runtime). */
  revisionId?: string;
  /** deny | warn | audit */
  action: string;
  /** admission (desired state) | runtime (observed state under serve) */
  phase: string;
  /** The verdict refused something (a deny at admission). */
  blocked: boolean;
  message: string;
}

export interface ViolationQuery {
  policy?: string;
  resourceId?: ResourceId;
  /** ISO time: violations at or after it. */
  since?: string;
  /** The newest N, returned newest first. Defaults to 100. */
  limit?: number;
}

/** Counts per policy and action, with the latest time. */
export interface ViolationTotal {
  policy: string;
  action: string;
  count: number;
  blocked: number;
  last: string;
}

export interface ViolationStore {
  appendViolations(violations: readonly ViolationRecord[]): Promise<void>;
  listViolations(query?: ViolationQuery): Promise<ViolationRecord[]>;
  violationTotals(options?: { since?: string }): Promise<ViolationTotal[]>;
}
