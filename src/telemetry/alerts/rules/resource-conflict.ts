/** ResourceConflict: the thrash guard stopped repairing a resource that another actor keeps changing (sync Conflict). Ticket. */
import { resourceAlert, type Rule } from '../types.js';

export const resourceConflict: Rule = (input, config) =>
  input.resources
    .filter((r) => r.sync === 'Conflict')
    .map((r) => ({
      rule: 'ResourceConflict',
      severity: config.severity ?? 'ticket',
      ...resourceAlert(r, input.settings),
      annotations: {
        summary: `${r.id} is fought over: ${r.conditions.find((c) => c.type === 'Synced' && c.status === 'False')?.message ?? 'remediation stopped'}`,
        description: `Find the other actor, then \`setpoint resume ${r.id}\`.`,
      },
      forMs: config.forMs ?? 0,
    }));
