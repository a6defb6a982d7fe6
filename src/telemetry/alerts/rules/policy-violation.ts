/**
 * PolicyViolation: a resource violates a policy. Active while its record has
 * a condition with reason PolicyViolation that is not True, or for `after`
 * (default 1h) after a PolicyViolation event about it. Ticket.
 */
import { resourceAlert, type Candidate, type Rule } from '../types.js';

export const policyViolation: Rule = (input, config) => {
  const keep = config.afterMs ?? 3_600_000;
  const out: Candidate[] = [];
  for (const r of input.resources) {
    const condition = r.conditions.find((c) => c.reason === 'PolicyViolation' && c.status !== 'True');
    const seen = input.violations.get(r.id);
    const recent = seen && input.now - seen.at <= keep ? seen : undefined;
    if (!condition && !recent) continue;
    out.push({
      rule: 'PolicyViolation',
      severity: config.severity ?? 'ticket',
      ...resourceAlert(r, input.settings),
      annotations: { summary: `${r.id} violates a policy: ${condition?.message ?? recent!.message}` },
      forMs: config.forMs ?? 0,
    });
  }
  return out;
};
