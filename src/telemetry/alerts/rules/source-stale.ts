/**
 * SourceStale: a polled (Git) source has not been fetched successfully for 3
 * of its intervals (counted from serve's start when it never was): new
 * commits are not deployed. One alert per source. Ticket.
 */
import { formatDuration } from '../../../util/duration.js';
import { STALE_INTERVALS, staleFor } from '../../source-health.js';
import type { Candidate, Rule } from '../types.js';

export const sourceStale: Rule = (input, config) => {
  const out: Candidate[] = [];
  for (const h of input.sources) {
    const ms = staleFor(h, input.now);
    if (ms === undefined) continue;
    const since = h.lastSuccessAt === undefined ? 'since serve started' : 'since its last successful fetch';
    out.push({
      rule: 'SourceStale',
      severity: config.severity ?? 'ticket',
      labels: { owner: input.settings.defaultOwner, source: h.source },
      annotations: {
        summary: `source ${h.source} has not been fetched for ${formatDuration(ms)} (${STALE_INTERVALS} intervals of ${formatDuration(h.intervalMs!)})`,
        description: `${h.failuresInARow} failed fetch${h.failuresInARow === 1 ? '' : 'es'} ${since}${h.lastError ? `; last error: ${h.lastError}` : ''}. New commits are not applied; \`setpoint sources\` shows the source, \`setpoint sync\` retries now.`,
      },
      forMs: config.forMs ?? 0,
    });
  }
  return out;
};
