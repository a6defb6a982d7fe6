/** ReconcileFailing: a resource whose reconcile keeps failing (sync Failed). Page for critical resources, else ticket; fires after 5m. */
import { resourceAlert, type Rule } from '../types.js';

export const reconcileFailing: Rule = (input, config) =>
  input.resources
    .filter((r) => r.sync === 'Failed')
    .map((r) => ({
      rule: 'ReconcileFailing',
      severity: config.severity ?? (r.lifecycle.priority === 'critical' ? 'page' : 'ticket'),
      ...resourceAlert(r, input.settings),
      annotations: {
        summary: `${r.id} fails to reconcile: ${r.lastError ?? 'unknown error'}`,
        description: `${r.attempts} attempt${r.attempts === 1 ? '' : 's'} so far; serve keeps retrying with backoff. \`setpoint describe ${r.id}\` shows the error and recent events.`,
      },
      forMs: config.forMs ?? 5 * 60_000,
    }));
