/**
 * ConvergenceSlow: the current revision is not in sync after the convergence
 * SLO's threshold (else `after`, default 10m); for each source. One alert per owner of the
 * resources still out of sync; resources that wait on purpose (a change
 * window, an approval, alert-only drift) are left out. Ticket.
 */
import type { ResourceRecord, RevisionRecord } from '../../../store/index.js';
import type { RuleConfig } from '../schema.js';
import { formatDuration } from '../../../util/duration.js';
import { listIds, ownerOf, type Candidate, type Rule, type RuleInput } from '../types.js';

export const convergenceSlow: Rule = (input, config) =>
  input.revisions.flatMap((rev) => slowRevision(input, config, rev));

function slowRevision(input: RuleInput, config: RuleConfig, rev: RevisionRecord): Candidate[] {
  if (rev.convergedAt) return [];
  const limit = config.afterMs ?? input.convergenceThresholdMs ?? 10 * 60_000;
  const age = input.now - Date.parse(rev.createdAt);
  if (age <= limit) return [];
  const byOwner = new Map<string, ResourceRecord[]>();
  for (const r of input.resources) {
    if (r.source !== rev.source || r.sync === 'InSync' || r.sync === 'Held' || r.approvalId || r.blockedUntil)
      continue;
    if (r.sync === 'Drifted' && (r.lifecycle.remediation ?? input.defaultRemediation) === 'alert') continue;
    const owner = ownerOf(r, input.settings);
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), r]);
  }
  const out: Candidate[] = [];
  for (const [owner, records] of byOwner)
    out.push({
      rule: 'ConvergenceSlow',
      severity: config.severity ?? 'ticket',
      labels: { owner, revision: rev.id },
      annotations: {
        summary: `revision ${rev.id} has not converged after ${formatDuration(age)} (objective ${formatDuration(limit)}): ${records.length} resource${records.length === 1 ? '' : 's'} of ${owner} not in sync`,
        description: `Not in sync: ${listIds(
          records.map((r) => `${r.id} (${r.sync})`),
          10,
        )}.`,
      },
      forMs: config.forMs ?? 0,
    });
  return out;
}
