/** DriftDetected: a resource under `remediation: alert` changed outside setpoint and is left as it is. Ticket. */
import { isDrifted } from '../../../health/index.js';
import { resourceAlert, type Rule } from '../types.js';
import { GOAL_KINDS } from './target-behind.js';

export const driftDetected: Rule = (input, config) =>
  input.resources
    .filter(
      (r) =>
        isDrifted(r.sync, r.held?.reason) &&
        r.sync !== 'Conflict' &&
        !GOAL_KINDS.has(r.kind) && // a goal behind alerts as TargetBehind
        (r.lifecycle.remediation ?? input.defaultRemediation) === 'alert',
    )
    .map((r) => ({
      rule: 'DriftDetected',
      severity: config.severity ?? 'ticket',
      ...resourceAlert(r, input.settings),
      annotations: {
        summary: `${r.id} drifted: ${(r.drift ?? []).map((c) => c.path).join(', ') || 'it differs from the desired state'}`,
        description: `Changed outside setpoint${r.driftedSince ? ` since ${r.driftedSince}` : ''}; its remediation policy is alert, so setpoint does not repair it. Fix it by hand or with \`setpoint apply --target ${r.id}\`.`,
      },
      forMs: config.forMs ?? 0,
    }));
