/**
 * `setpoint rollout pause|resume|abort|promote` reach the leader as nudges
 * in the store (as approvals and syncs do), so they work from any replica
 * and from the CLI beside a running serve. The reason carries the verb and
 * the source: `rollout:<verb>:<source>`.
 */
import type { RolloutVerb } from './runner.js';

export const ROLLOUT_VERBS: readonly RolloutVerb[] = ['pause', 'resume', 'abort', 'promote'];

export function commandReason(verb: RolloutVerb, source: string): string {
  return `rollout:${verb}:${source}`;
}

export function parseCommandReason(reason: string): { verb: RolloutVerb; source: string } | undefined {
  const m = /^rollout:(pause|resume|abort|promote):(.+)$/.exec(reason);
  return m ? { verb: m[1] as RolloutVerb, source: m[2] } : undefined;
}
