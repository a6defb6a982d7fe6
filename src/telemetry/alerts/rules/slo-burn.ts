/**
 * SLOBurnRate: an SLO spends its error budget too fast over both windows of a
 * burn-rate pair (e.g. 14.4x over 1h and 5m: page; 1x over 3d and 6h:
 * ticket). One alert per SLO and window pair.
 */
import { windowName } from '../../slo/status.js';
import type { Candidate, Rule } from '../types.js';

export const sloBurnRate: Rule = (input, config) => {
  const out: Candidate[] = [];
  for (const s of input.slos)
    for (const f of s.firing) {
      const window = `${windowName(f.window.longMs)}/${windowName(f.window.shortMs)}`;
      out.push({
        rule: 'SLOBurnRate',
        severity: config.severity ?? f.window.severity,
        labels: { owner: s.spec.owner ?? input.settings.defaultOwner, slo: s.spec.name, window },
        annotations: {
          summary: `SLO ${s.spec.name} burns its error budget ${f.longRate.toFixed(1)}x too fast over ${windowName(f.window.longMs)} (${f.shortRate.toFixed(1)}x over ${windowName(f.window.shortMs)}; threshold ${f.window.factor}x)`,
          description: `${Math.round(s.budget.remaining * 100)}% of the ${windowName(s.spec.windowMs)} error budget left (${s.budget.bad} bad of ${s.budget.total} events).`,
        },
        forMs: config.forMs ?? 0,
      });
    }
  return out;
};
