/**
 * TargetBehind: a goal (a Target, or an Objective with a key result behind)
 * is BehindTarget. One alert per goal, to the goal's `spec.owner`, else its
 * `owner` label, else the default owner. Ticket.
 */
import type { ResourceRecord } from '../../../store/index.js';
import { resourceAlert, type Rule } from '../types.js';

/** The kinds whose health says whether a goal is met. */
export const GOAL_KINDS: ReadonlySet<string> = new Set(['Target', 'Objective']);

/** A goal's record says BehindTarget in its health (the drift of a goal is its value, not a field). */
export function isBehind(r: Pick<ResourceRecord, 'kind' | 'health' | 'healthMessage'>): boolean {
  return (
    GOAL_KINDS.has(r.kind) && r.health === 'Degraded' && (r.healthMessage ?? '').startsWith('BehindTarget')
  );
}

function specOwner(r: ResourceRecord): string | undefined {
  const owner = (r.spec as { owner?: unknown } | undefined)?.owner;
  return typeof owner === 'string' && owner !== '' ? owner : undefined;
}

export const targetBehind: Rule = (input, config) =>
  input.resources.filter(isBehind).map((r) => {
    const base = resourceAlert(r, input.settings);
    return {
      rule: 'TargetBehind',
      severity: config.severity ?? 'ticket',
      labels: { ...base.labels, owner: specOwner(r) ?? base.labels.owner },
      subject: base.subject,
      annotations: {
        summary: `${r.id} is behind its target: ${(r.healthMessage ?? '').replace(/^BehindTarget: /, '')}`,
        description: `${r.kind === 'Objective' ? 'A key result of this objective misses its threshold' : 'The measure misses its threshold'}${r.driftedSince ? ` since ${r.driftedSince}` : ''}. setpoint only reports it${(r.spec as { remediation?: unknown })?.remediation ? ', and runs its remediation as lifecycle.remediation allows' : ''}; \`setpoint describe ${r.id}\` shows the value, the gap and the trend.`,
      },
      forMs: config.forMs ?? 0,
    };
  });
