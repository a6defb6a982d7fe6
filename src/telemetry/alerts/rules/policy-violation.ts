/**
 * PolicyViolation: a resource violates a deny or warn policy (audit-mode
 * policies are a dry run and never alert). Active while its PolicyCompliant
 * condition says so (runtime audit), or for `after` (default 1h) after a
 * PolicyViolation event about it (e.g. a revision refused at admission) —
 * until a PolicyCompliant event clears it. Ticket.
 */
import type { ResourceRecord } from '../../../store/index.js';
import { resourceAlert, type Candidate, type Rule } from '../types.js';

/** A condition message lists `policy (action): text` per violation. */
const ENFORCED = /\((?:deny|warn)\):/;

function violatedCondition(r: ResourceRecord): string | undefined {
  const c = r.conditions.find((x) => x.reason === 'PolicyViolation' && x.status !== 'True');
  return c && ENFORCED.test(c.message) ? c.message : undefined;
}

export const policyViolation: Rule = (input, config) => {
  const keep = config.afterMs ?? 3_600_000;
  const out: Candidate[] = [];
  const done = new Set<string>();
  const candidate = (id: string, record: ResourceRecord | undefined, message: string): Candidate => ({
    rule: 'PolicyViolation',
    severity: config.severity ?? 'ticket',
    ...(record
      ? resourceAlert(record, input.settings)
      : { labels: { owner: input.settings.defaultOwner, resource: id } }),
    annotations: {
      summary: `${id} violates ${message.startsWith('policy ') ? message : `a policy: ${message}`}`,
    },
    forMs: config.forMs ?? 0,
  });
  for (const r of input.resources) {
    const message = violatedCondition(r);
    if (!message) continue;
    done.add(r.id);
    out.push(candidate(r.id, r, message));
  }
  const byId = new Map(input.resources.map((r) => [r.id, r]));
  for (const [id, seen] of input.violations) {
    if (done.has(id) || input.now - seen.at > keep) continue;
    out.push(candidate(id, byId.get(id), seen.message));
  }
  return out;
};
