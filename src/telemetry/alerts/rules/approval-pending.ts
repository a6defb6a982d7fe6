/** ApprovalPending: an action has waited for approval longer than `after` (default 1h). Ticket. */
import { formatDuration } from '../../../util/duration.js';
import { ownerOf, type Candidate, type Rule } from '../types.js';

export const approvalPending: Rule = (input, config) => {
  const after = config.afterMs ?? 3_600_000;
  const byId = new Map(input.resources.map((r) => [r.id, r]));
  const out: Candidate[] = [];
  for (const a of input.pendingApprovals) {
    const age = input.now - Date.parse(a.createdAt);
    if (age <= after) continue;
    const r = byId.get(a.resourceId);
    out.push({
      rule: 'ApprovalPending',
      severity: config.severity ?? 'ticket',
      labels: {
        owner: r ? ownerOf(r, input.settings) : input.settings.defaultOwner,
        resource: a.resourceId,
        approval: a.id,
      },
      annotations: {
        summary: `${a.op} of ${a.resourceId} has waited ${formatDuration(age)} for approval ${a.id}`,
        description: `${a.reason}. Review it with \`setpoint approvals\`, then \`setpoint approve ${a.id}\` or \`setpoint reject ${a.id}\`.`,
      },
      forMs: config.forMs ?? 0,
      subject: r
        ? { kind: r.kind, namespace: r.namespace, labels: r.labels, priority: r.lifecycle.priority }
        : undefined,
    });
  }
  return out;
};
