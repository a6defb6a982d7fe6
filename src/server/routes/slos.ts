/** SLOs: Prometheus rules generated from `slos:` of setpoint.yaml. */
import { SloRulesSchema } from '../../api/contract.js';
import type { ServerContext } from '../context.js';
import type { Routes } from '../route.js';

export function mount(routes: Routes, ctx: ServerContext): void {
  routes.add({
    method: 'GET',
    path: '/api/v1/slos/rules',
    tag: 'status',
    summary: 'Prometheus rules generated from the SLOs',
    description:
      'Recording rules of each SLO error ratio over the windows it needs, multi-window burn-rate alerts with the declared factors, and an alert when the error budget is spent: the same as `setpoint slo rules`.',
    auth: 'viewer',
    response: { schema: SloRulesSchema },
    handler: async (c) => c.json(await ctx.api.sloRules()),
  });
}
